import Foundation
import Testing
@testable import HypervisorCore

/// Logs from outside are read as bounded tails: never a whole file, invalid UTF-8 shown.
@Suite("Bounded log tails")
struct FileTailTests {
    static func file(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("avps-filetail-\(UUID().uuidString.prefix(8))-\(name)")
    }

    @Test("the tail of a sparse 8 GiB log is read without loading the file")
    func sparseLog() throws {
        let url = Self.file("serial.log")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("first\n".utf8).write(to: url)
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: 8 << 30)
        try handle.seek(toOffset: (8 << 30) - 11)
        try handle.write(contentsOf: Data("\nlast line\n".utf8))
        try handle.close()
        let lines = FileTail.lines(url, maxBytes: 4096, lines: 3, lineCharacters: 300)
        #expect(lines.last == "last line")
        #expect(FileTail.bytes(url, maxBytes: 4096).count == 4096)
        #expect(FileTail.chunk(url, from: 0, maxBytes: 1 << 20).count == 1 << 20)
    }

    @Test("invalid UTF-8 is shown as U+FFFD, controls and bidi overrides are neutralised, repeats shown once")
    func hostileBytes() throws {
        let url = Self.file("stderr.log")
        defer { try? FileManager.default.removeItem(at: url) }
        var bytes = Array("qemu: bad byte ".utf8) + [0xFF] + Array(" here\n".utf8)
        bytes += Array("\u{1B}[2Jcleared \u{202E}gnp.exe\n".utf8)
        bytes += Array(String(repeating: "same\n", count: 40).utf8)
        try Data(bytes).write(to: url)
        let lines = FileTail.lines(url, maxBytes: 4096, lines: 5, lineCharacters: 300)
        #expect(lines.contains("qemu: bad byte \u{FFFD} here"), "\(lines)")
        #expect(lines.last == "same (×40)", "\(lines)")
        #expect(!lines.joined().contains("\u{1B}"))
        #expect(!lines.joined().contains("\u{202E}"), "\(lines)")
    }

    @Test("one 64 MiB stderr line becomes a few hundred characters")
    func hugeLine() throws {
        let url = Self.file("stderr.log")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(("fatal: " + String(repeating: "x", count: 8 << 20) + "\n").utf8).write(to: url)
        let lines = FileTail.lines(url, maxBytes: 4096, lines: 5, lineCharacters: 300)
        #expect(lines.count == 1)
        #expect((lines.first?.count ?? 0) <= 301)
    }

    @Test("a copied log (libvirtd's QEMU log) keeps its tail under a note, a small one is copied as it is")
    func copiedLogIsBounded() throws {
        let source = Self.file("libvirt.log"), copy = Self.file("copy.log"), small = Self.file("small.log")
        defer { for url in [source, copy, small] { try? FileManager.default.removeItem(at: url) } }
        try Data("head\n".utf8).write(to: source)
        let handle = try FileHandle(forWritingTo: source)
        try handle.truncate(atOffset: 2 << 30)  // sparse 2 GiB
        try handle.seek(toOffset: (2 << 30) - 5)
        try handle.write(contentsOf: Data("tail\n".utf8))
        try handle.close()
        FileTail.copy(source, to: copy, maxBytes: 4096)
        let kept = try Data(contentsOf: copy)
        #expect(kept.starts(with: Data("[avps: this log was 2147483648 bytes; only its last 4096 bytes are kept]\n".utf8)))
        #expect(kept.count < 4096 + 100 && kept.suffix(5) == Data("tail\n".utf8))
        try Data("whole\n".utf8).write(to: small)
        FileTail.copy(small, to: copy, maxBytes: 4096)
        #expect(try Data(contentsOf: copy) == Data("whole\n".utf8))
        FileTail.copy(Self.file("absent"), to: Self.file("never"))
    }
}
