import AgentProtocol
import Foundation
import HypervisorCore
import Synchronization

/// The files a target leaves in the run directory, recorded by name with paths relative to it.
final class ArtifactSet: Sendable {
    let directory: URL
    let runDirectory: URL
    private let entries = Mutex<[String: String]>([:])

    init(directory: URL, runDirectory: URL) {
        self.directory = directory
        self.runDirectory = runDirectory
    }

    var recorded: [String: String] { entries.withLock { $0 } }

    /// Writes a text artifact; a write failure is noted, never fatal (the verdicts matter more).
    func write(_ name: String, file: String, text: String) {
        let url = directory.appendingPathComponent(file)
        if (try? Data(text.utf8).write(to: url, options: .atomic)) != nil { note(name, url) }
    }

    /// Records the files the launch produced, and the agent transcript as JSON Lines.
    func collect(launch: PreparedLaunch, transcript: [AgentClient.TranscriptLine]) {
        for (name, url) in [("serial_log", launch.serialLog), ("hypervisor_stderr", launch.stderrLog)]
        where FileManager.default.fileExists(atPath: url.path) {
            Self.cap(url)
            note(name, url)
        }
        guard !transcript.isEmpty else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let lines = transcript.compactMap { try? encoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) }
        write("agent_transcript", file: "agent-transcript.jsonl", text: lines.joined(separator: "\n") + "\n")
    }

    /// Logs the platform wrote may be huge (a 4 GiB console was seen); above this only the tail is kept.
    static let artifactLimit: UInt64 = 32 << 20
    static let keptTail = 8 << 20

    /// Replaces an oversized log by its last `keptTail` bytes, after a first line that says so.
    static func cap(_ url: URL) {
        let size = FileTail.size(url)
        guard size > artifactLimit else { return }
        var kept = Data("[avps: this log was \(size) bytes; only its last \(keptTail) bytes are kept]\n".utf8)
        kept.append(FileTail.bytes(url, maxBytes: keptTail))
        try? kept.write(to: url, options: .atomic)
    }

    /// The last lines of the serial console, for INFRA messages.
    func serialTail(_ launch: PreparedLaunch, lines: Int = 12) -> String? {
        guard FileManager.default.fileExists(atPath: launch.serialLog.path) else { return nil }
        return FileTail.lines(launch.serialLog, maxBytes: 16 * 1024, lines: lines, lineCharacters: 300).joined(separator: "\n")
    }

    private func note(_ name: String, _ url: URL) {
        let base = runDirectory.standardizedFileURL.path
        let full = url.standardizedFileURL.path
        let relative = full.hasPrefix(base + "/") ? String(full.dropFirst(base.count + 1)) : full
        entries.withLock { $0[name] = relative }
    }
}

/// Shell quoting lives with the adapters (the SSH adapter quotes remote commands); kept visible here.
public typealias ShellQuoting = HypervisorCore.ShellQuoting
