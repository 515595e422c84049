import Foundation

/// A private temporary directory for sockets and disk images.
///
/// It lives under /tmp rather than the run directory because Unix socket paths are limited to
/// 107 bytes, and CI checkouts can be deep.
package enum Workspace {
    package static func create() throws(HypervisorError) -> URL {
        var template = Array("/tmp/avps-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            return mkdtemp(base) != nil
        }
        guard created else { throw .workspace("mkdtemp failed: \(String(cString: strerror(errno)))") }
        let path = template.withUnsafeBufferPointer { buffer in
            String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return URL(fileURLWithPath: path, isDirectory: true)
    }
}
