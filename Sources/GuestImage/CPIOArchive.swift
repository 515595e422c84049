import Foundation

/// A writer for the cpio "newc" format (magic `070701`), the format the Linux kernel unpacks as
/// an initramfs.
///
/// Why our own writer: the archive must be byte-for-byte reproducible so its SHA-256 can serve as
/// a cache key and appear in certification bundles. Host `cpio` copies host mtimes, inode
/// numbers and uids, and walks directories in readdir order. Here every entry has mtime 0, uid
/// and gid 0, inode numbers assigned in sorted path order, and parents precede children (the
/// kernel's unpacker does not create missing parent directories).
///
/// Format (per entry): 110-byte ASCII header — magic plus 13 eight-digit hex fields (ino, mode,
/// uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check)
/// — then the NUL-terminated name, padded so the data starts on a 4-byte boundary, then the
/// data, padded to 4 bytes. The archive ends with an entry named `TRAILER!!!`.
public struct CPIOArchive: Sendable {
    /// What an entry is. Contents of regular files are held in memory: an initramfs is a few MB.
    public enum Kind: Sendable, Equatable {
        case directory
        case file(Data)
        case symlink(target: String)
        case characterDevice(major: UInt32, minor: UInt32)
    }

    public struct Entry: Sendable, Equatable {
        /// Path inside the archive, without a leading `/` (e.g. `bin/busybox`).
        public var path: String
        /// Permission bits only (e.g. 0o755); the file type bits are derived from `kind`.
        public var permissions: UInt32
        public var kind: Kind
    }

    private var entries: [String: Entry] = [:]

    public init() {}

    /// Adds a directory (and any missing parents).
    public mutating func addDirectory(_ path: String, permissions: UInt32 = 0o755) {
        insert(Entry(path: Self.normalize(path), permissions: permissions, kind: .directory))
    }

    public mutating func addFile(_ path: String, contents: Data, permissions: UInt32 = 0o644) {
        insert(Entry(path: Self.normalize(path), permissions: permissions, kind: .file(contents)))
    }

    public mutating func addSymlink(_ path: String, target: String) {
        insert(Entry(path: Self.normalize(path), permissions: 0o777, kind: .symlink(target: target)))
    }

    public mutating func addCharacterDevice(_ path: String, major: UInt32, minor: UInt32, permissions: UInt32 = 0o600) {
        insert(Entry(path: Self.normalize(path), permissions: permissions,
                     kind: .characterDevice(major: major, minor: minor)))
    }

    /// Later additions of the same path replace earlier ones; missing parents become 0755 dirs.
    private mutating func insert(_ entry: Entry) {
        var parent = entry.path
        while let slash = parent.lastIndex(of: "/") {
            parent = String(parent[..<slash])
            if parent.isEmpty { break }
            if entries[parent] == nil {
                entries[parent] = Entry(path: parent, permissions: 0o755, kind: .directory)
            }
        }
        entries[entry.path] = entry
    }

    static func normalize(_ path: String) -> String {
        var p = Substring(path)
        while p.hasPrefix("/") || p.hasPrefix("./") { p = p.hasPrefix("/") ? p.dropFirst() : p.dropFirst(2) }
        while p.hasSuffix("/") { p = p.dropLast() }
        return String(p)
    }

    /// Entries in archive order: byte-wise sorted paths, so `a` precedes `a/b` and the output
    /// does not depend on insertion order or locale.
    public var sortedEntries: [Entry] {
        entries.values.sorted { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
    }

    /// The complete archive bytes, including the trailer.
    public func serialized() -> Data {
        var out = Data()
        var inode: UInt32 = 1
        for entry in sortedEntries {
            let (mode, nlink, body, rdev) = Self.layout(entry)
            Self.appendHeader(to: &out, name: entry.path, inode: inode, mode: mode, nlink: nlink,
                              fileSize: UInt32(body.count), rdevMajor: rdev.0, rdevMinor: rdev.1)
            out.append(body)
            Self.pad(&out)
            inode += 1
        }
        Self.appendHeader(to: &out, name: "TRAILER!!!", inode: 0, mode: 0, nlink: 1, fileSize: 0,
                          rdevMajor: 0, rdevMinor: 0)
        return out
    }

    /// Writes the archive to `url` atomically.
    public func write(to url: URL) throws(GuestImageError) {
        try CacheFiles.writeAtomically(serialized(), to: url)
    }

    private static func layout(_ entry: Entry) -> (mode: UInt32, nlink: UInt32, body: Data, rdev: (UInt32, UInt32)) {
        let perms = entry.permissions & 0o7777
        switch entry.kind {
        case .directory: return (0o040000 | perms, 2, Data(), (0, 0))
        case .file(let data): return (0o100000 | perms, 1, data, (0, 0))
        case .symlink(let target): return (0o120000 | 0o777, 1, Data(target.utf8), (0, 0))
        case let .characterDevice(major, minor): return (0o020000 | perms, 1, Data(), (major, minor))
        }
    }

    private static func appendHeader(to out: inout Data, name: String, inode: UInt32, mode: UInt32,
                                     nlink: UInt32, fileSize: UInt32, rdevMajor: UInt32, rdevMinor: UInt32) {
        let nameBytes = Array(name.utf8) + [0]
        let fields: [UInt32] = [inode, mode, 0, 0, nlink, 0, fileSize, 0, 0, rdevMajor, rdevMinor,
                                UInt32(nameBytes.count), 0]
        var header = "070701"
        for field in fields {
            let hex = String(field, radix: 16, uppercase: false)
            header += String(repeating: "0", count: 8 - hex.count) + hex
        }
        out.append(contentsOf: Array(header.utf8))
        out.append(contentsOf: nameBytes)
        pad(&out) // header (110) + name is padded to a multiple of 4
    }

    /// Pads with NULs to a 4-byte boundary. The archive always starts at offset 0, so the
    /// absolute length is the right reference.
    private static func pad(_ out: inout Data) {
        let remainder = out.count % 4
        if remainder != 0 { out.append(contentsOf: [UInt8](repeating: 0, count: 4 - remainder)) }
    }
}
