import Foundation

/// A minimal POSIX ustar writer and reader for regular files, for certification bundles.
///
/// Why our own: a bundle must be written and checked offline with no new dependency, and read
/// by standard tools (`tar -xf` works on it). Only what bundles need is supported: regular
/// files, names up to 255 bytes (ustar prefix + name), no compression, deterministic headers
/// (mode 0644, uid/gid 0, a fixed mtime) so the same run gives the same bytes. The reader
/// skips directory entries (a bundle re-packed with `tar` has them) and rejects anything else
/// (links, devices, absolute or `..` names, bad checksums) rather than guess.
enum TarArchive {
    struct Entry: Equatable {
        var path: String
        var data: Data
    }

    static let block = 512

    static func write(_ entries: [Entry], modified: Date) throws(ReportError) -> Data {
        var out = Data()
        for entry in entries {
            out += try header(for: entry, mtime: max(0, Int(modified.timeIntervalSince1970)))
            out += entry.data
            let padding = (block - entry.data.count % block) % block
            out += Data(count: padding)
        }
        out += Data(count: block * 2)  // end-of-archive marker
        return out
    }

    static func read(_ archive: Data) throws(ReportError) -> [Entry] {
        let bytes = [UInt8](archive)
        var entries: [Entry] = []
        var offset = 0
        while offset + block <= bytes.count {
            let header = Array(bytes[offset..<offset + block])
            if header.allSatisfy({ $0 == 0 }) { return entries }
            guard let stored = octal(header[148..<156]), stored == checksum(header) else {
                throw .malformedBundle("bad tar header checksum at byte \(offset)")
            }
            if header[156] == UInt8(ascii: "5") {  // a directory (a bundle re-packed with tar): no content
                offset += block
                continue
            }
            guard header[156] == UInt8(ascii: "0") || header[156] == 0 else {
                throw .malformedBundle("tar entry at byte \(offset) is not a regular file (type \(header[156]))")
            }
            let name = string(header[0..<100]), prefix = string(header[345..<500])
            var path = prefix.isEmpty ? name : prefix + "/" + name
            while path.hasPrefix("./") { path.removeFirst(2) }  // `tar -C dir .` writes ./name
            guard isSafe(path) else { throw .malformedBundle("unsafe path in bundle: \(path.debugDescription)") }
            guard let size = octal(header[124..<136]), offset + block + size <= bytes.count else {
                throw .malformedBundle("tar entry \(path.debugDescription) is truncated")
            }
            let start = offset + block
            entries.append(Entry(path: path, data: Data(bytes[start..<start + size])))
            offset = start + size + (block - size % block) % block
        }
        throw .malformedBundle("no end-of-archive marker (truncated bundle?)")
    }

    /// Relative, no `.`/`..` components, no empty components, no control characters.
    static func isSafe(_ path: String) -> Bool {
        guard !path.isEmpty, !path.hasPrefix("/") else { return false }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
            && path.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }
    }

    private static func header(for entry: Entry, mtime: Int) throws(ReportError) -> Data {
        guard isSafe(entry.path) else { throw .invalidInput("cannot bundle unsafe path \(entry.path.debugDescription)") }
        let utf8 = Array(entry.path.utf8)
        var name = utf8, prefix: [UInt8] = []
        if utf8.count > 100 {
            // Split at a slash so that the prefix fits 155 bytes and the name 100.
            guard let cut = utf8.indices.last(where: { utf8[$0] == UInt8(ascii: "/") && $0 <= 155 && utf8.count - $0 - 1 <= 100 })
            else { throw .invalidInput("path too long for a ustar bundle: \(entry.path)") }
            prefix = Array(utf8[..<cut])
            name = Array(utf8[(cut + 1)...])
        }
        var header = [UInt8](repeating: 0, count: block)
        func put(_ bytes: [UInt8], at start: Int) { for (i, byte) in bytes.enumerated() { header[start + i] = byte } }
        func putOctal(_ value: Int, at start: Int, width: Int) {
            let digits = String(value, radix: 8)
            put(Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8), at: start)
        }
        put(name, at: 0)
        putOctal(0o644, at: 100, width: 8)
        putOctal(0, at: 108, width: 8)
        putOctal(0, at: 116, width: 8)
        putOctal(entry.data.count, at: 124, width: 12)
        putOctal(mtime, at: 136, width: 12)
        header[156] = UInt8(ascii: "0")
        put(Array("ustar\u{0}00".utf8), at: 257)
        put(prefix, at: 345)
        put(Array(repeating: UInt8(ascii: " "), count: 8), at: 148)
        let sum = checksum(header)
        putOctal(sum, at: 148, width: 7)
        header[155] = UInt8(ascii: " ")
        return Data(header)
    }

    /// Sum of all header bytes with the checksum field read as spaces.
    private static func checksum(_ header: [UInt8]) -> Int {
        header.enumerated().reduce(0) { sum, item in sum + ((148..<156).contains(item.offset) ? 32 : Int(item.element)) }
    }

    private static func octal(_ field: ArraySlice<UInt8>) -> Int? {
        let text = String(decoding: field.prefix { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? 0 : Int(text, radix: 8)
    }

    private static func string(_ field: ArraySlice<UInt8>) -> String {
        String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }
}
