import Foundation

/// Progress and error lines go to stderr so that stdout carries only the summary and report paths.
enum Console {
    static func info(_ line: String) {
        FileHandle.standardError.write(Data("avps: \(line)\n".utf8))
    }

    static func error(_ line: String) {
        FileHandle.standardError.write(Data("avps: error: \(line)\n".utf8))
    }
}
