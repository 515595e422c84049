import Foundation

/// Checks that a binary can run inside the initramfs: an ELF executable with no program
/// interpreter (PT_INTERP), i.e. statically linked. A dynamically linked busybox (Debian's
/// `busybox` rather than `busybox-static`) would make /init fail with a baffling "not found".
enum ELFCheck {
    /// nil when `url` is a static ELF64 little-endian executable (for `machine`, an ELF
    /// `e_machine` value, when given), else the reason it is not.
    static func staticExecutableProblem(_ url: URL, machine: UInt16? = nil) -> String? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return "cannot be opened" }
        defer { try? handle.close() }
        guard let header = try? handle.read(upToCount: 64), header.count == 64 else { return "too short for ELF" }
        let bytes = [UInt8](header)
        guard bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46 else { return "not an ELF file" }
        guard bytes[4] == 2, bytes[5] == 1 else { return "not a 64-bit little-endian ELF file" }
        if let machine, le(bytes, 18, 2) != UInt64(machine) {
            return "built for ELF machine \(le(bytes, 18, 2)), not \(machine)"
        }
        let phoff = Int(le(bytes, 32, 8))
        let phentsize = Int(le(bytes, 54, 2))
        let phnum = Int(le(bytes, 56, 2))
        guard phentsize >= 4, phnum > 0, phnum < 256 else { return "no program headers" }
        do {
            try handle.seek(toOffset: UInt64(phoff))
            guard let table = try handle.read(upToCount: phentsize * phnum), table.count == phentsize * phnum else {
                return "truncated program header table"
            }
            let raw = [UInt8](table)
            for index in 0..<phnum where le(raw, index * phentsize, 4) == 3 { // PT_INTERP
                return "dynamically linked (has a program interpreter)"
            }
        } catch {
            return "unreadable: \(error)"
        }
        return nil
    }

    private static func le(_ bytes: [UInt8], _ offset: Int, _ count: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in (0..<count).reversed() { value = value << 8 | UInt64(bytes[offset + i]) }
        return value
    }
}
