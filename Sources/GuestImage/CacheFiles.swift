import Crypto
import Foundation

/// Content hashing and atomic file placement for the guest image cache.
///
/// The cache is only trustworthy if nothing in it can be half-written: every artefact is
/// produced under a `.tmp-*` name in the same directory and renamed into place, and a cache
/// entry's name is derived from the SHA-256 of everything that went into it, so a changed input
/// simply produces a different name instead of a stale hit.
enum CacheFiles {
    /// Lowercase hex SHA-256 of a byte buffer.
    static func sha256(_ data: some DataProtocol) -> String {
        hex(SHA256.hash(data: data))
    }

    /// Lowercase hex SHA-256 of a UTF-8 string.
    static func sha256(_ text: String) -> String {
        sha256(Data(text.utf8))
    }

    /// Streams a file through SHA-256 in 1 MiB chunks so a 70 MB kernel package never has to sit
    /// in memory at once.
    static func sha256(of url: URL) throws(GuestImageError) -> String {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw .io(operation: "open", path: url.path, reason: reason(error))
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                hasher.update(data: chunk)
            }
        } catch {
            throw .io(operation: "read", path: url.path, reason: reason(error))
        }
        return hex(hasher.finalize())
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func fileExists(_ url: URL) -> Bool {
        FileManager.default.fileExists(atPath: url.path)
    }

    static func isDirectory(_ url: URL) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) && isDir.boolValue
    }

    static func createDirectory(_ url: URL) throws(GuestImageError) {
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw .io(operation: "create directory", path: url.path, reason: reason(error))
        }
    }

    /// A fresh scratch directory inside `parent` (same file system, so a later rename is atomic).
    static func makeTemporaryDirectory(in parent: URL) throws(GuestImageError) -> URL {
        try createDirectory(parent)
        let dir = parent.appendingPathComponent(".tmp-\(UUID().uuidString)", isDirectory: true)
        try createDirectory(dir)
        return dir
    }

    static func remove(_ url: URL) {
        try? FileManager.default.removeItem(at: url)
    }

    /// Removes `.tmp-*` leftovers of interrupted builds that are older than an hour (younger ones
    /// may belong to a build running right now in another process).
    static func sweepStaleTemporaries(in parent: URL) {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: parent.path) else { return }
        let cutoff = Date().addingTimeInterval(-3600)
        for name in names where name.hasPrefix(".tmp-") {
            let url = parent.appendingPathComponent(name)
            let modified = (try? fm.attributesOfItem(atPath: url.path)[.modificationDate]) as? Date
            if let modified, modified < cutoff { remove(url) }
        }
    }

    /// Moves a finished temporary file or directory to its final name. If another process won
    /// the race and the destination already exists, ours is discarded: both are built from the
    /// same inputs, so either is correct.
    static func publish(_ temporary: URL, as destination: URL) throws(GuestImageError) {
        if rename(temporary.path, destination.path) == 0 { return }
        let err = errno
        if fileExists(destination) {
            remove(temporary)
            return
        }
        throw .io(operation: "rename \(temporary.path) to", path: destination.path,
                  reason: String(cString: strerror(err)))
    }

    /// Writes `data` to `destination` atomically (temp file in the same directory + rename).
    static func writeAtomically(_ data: Data, to destination: URL) throws(GuestImageError) {
        let parent = destination.deletingLastPathComponent()
        try createDirectory(parent)
        let temporary = parent.appendingPathComponent(".tmp-\(UUID().uuidString)")
        do { try data.write(to: temporary) } catch {
            remove(temporary)
            throw .io(operation: "write", path: temporary.path, reason: reason(error))
        }
        do { try publish(temporary, as: destination) } catch {
            remove(temporary)
            throw error
        }
    }

    static func read(_ url: URL) throws(GuestImageError) -> Data {
        do { return try Data(contentsOf: url) } catch {
            throw .io(operation: "read", path: url.path, reason: reason(error))
        }
    }

    static func reason(_ error: any Error) -> String {
        (error as NSError).localizedDescription
    }
}
