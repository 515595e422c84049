import AVPSModel
import Foundation

/// Reads the end of a log without loading the file: hypervisor stderr and serial consoles come
/// from outside and may be gigabytes (a sparse 4 GiB console log was read whole, a 64 MiB stderr
/// line was copied into messages).
public enum FileTail {
    /// At most the last `maxBytes` bytes of `url` (empty when it cannot be read).
    public static func bytes(_ url: URL, maxBytes: Int) -> Data {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return Data() }
        defer { try? handle.close() }
        guard let end = try? handle.seekToEnd() else { return Data() }
        let start = end > UInt64(maxBytes) ? end - UInt64(maxBytes) : 0
        guard (try? handle.seek(toOffset: start)) != nil else { return Data() }
        return (try? handle.read(upToCount: maxBytes)) ?? Data()
    }

    /// The last `lines` lines of `url` within its last `maxBytes` bytes, as text: invalid UTF-8 is
    /// shown as U+FFFD, never dropped; a first line cut by the byte bound is marked with `…`.
    public static func text(_ url: URL, maxBytes: Int = 16 * 1024, lines: Int = 12) -> String {
        let data = bytes(url, maxBytes: maxBytes)
        let cut = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? UInt64)
            .flatMap { $0 }.map { $0 > UInt64(data.count) } ?? false
        var text = String(decoding: data, as: UTF8.self)
        if cut { text = "…" + text }
        return text.split(whereSeparator: \.isNewline).suffix(lines).joined(separator: "\n")
    }

    /// Bytes of `url` from `offset`, at most `maxBytes` of them (for followers such as the boot
    /// watcher, which must never read a whole multi-gigabyte console at once).
    public static func chunk(_ url: URL, from offset: UInt64, maxBytes: Int) -> Data {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return Data() }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: offset)) != nil else { return Data() }
        return (try? handle.read(upToCount: maxBytes)) ?? Data()
    }

    /// Bytes kept of a log copied from where the platform wrote it (libvirtd's QEMU log, a remote
    /// host's console over SFTP): its last 8 MiB.
    public static let copyLimit = 8 << 20

    /// The line that opens a copy cut to its last `kept` bytes of `size`.
    public static func cutNote(size: UInt64, kept: Int) -> Data {
        Data("[avps: this log was \(size) bytes; only its last \(kept) bytes are kept]\n".utf8)
    }

    /// Copies the last `maxBytes` of `source` to `destination` (a cut copy starts with
    /// `cutNote`); nothing when the source cannot be read. Never loads more than `maxBytes`.
    public static func copy(_ source: URL, to destination: URL, maxBytes: Int = copyLimit) {
        guard FileManager.default.isReadableFile(atPath: source.path) else { return }
        let size = size(source)
        var data = size > UInt64(maxBytes) ? cutNote(size: size, kept: maxBytes) : Data()
        data.append(bytes(source, maxBytes: maxBytes))
        try? data.write(to: destination)
    }

    /// Size of the file now (0 when it does not exist).
    public static func size(_ url: URL) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: url.path)[.size]) as? NSNumber)?.uint64Value ?? 0
    }
}

extension FileTail {
    /// The last `lines` distinct lines of the file's last `maxBytes` bytes, each cut to
    /// `lineCharacters` and made safe for a terminal; consecutive repeats are shown once
    /// (`(×N)`). Invalid UTF-8 shows as U+FFFD.
    public static func lines(_ url: URL, maxBytes: Int, lines: Int, lineCharacters: Int) -> [String] {
        let all = text(url, maxBytes: maxBytes, lines: Int.max).split(whereSeparator: \.isNewline)
        var result: [(line: String, count: Int)] = []
        for raw in all {
            var line = TerminalText.line(String(raw))
            if line.count > lineCharacters { line = String(line.prefix(lineCharacters)) + "…" }
            if let last = result.last, last.line == line { result[result.count - 1].count += 1 } else { result.append((line, 1)) }
        }
        return result.suffix(lines).map { $0.count > 1 ? "\($0.line) (×\($0.count))" : $0.line }
    }
}
