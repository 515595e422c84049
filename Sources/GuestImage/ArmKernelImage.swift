import Foundation

/// Recognises an arm64 kernel image QEMU's `virt` machine boots directly with `-kernel`: the
/// uncompressed `Image` (magic `ARM\x64` at offset 0x38; Debian's `vmlinuz-*-arm64` is one,
/// despite the name) or a gzip'd one (QEMU inflates it itself).
enum ArmKernelImage {
    /// `arm64-Image` or `arm64-Image.gz`; nil when the file is neither.
    static func format(of url: URL) -> String? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: 64), data.count == 64 else { return nil }
        let bytes = [UInt8](data)
        if bytes[0x38...0x3b].elementsEqual([0x41, 0x52, 0x4d, 0x64]) { return "arm64-Image" }
        if bytes[0] == 0x1f, bytes[1] == 0x8b { return "arm64-Image.gz" }
        return nil
    }
}
