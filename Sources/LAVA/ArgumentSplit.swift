/// Splits the qemu adapter's arguments into LAVA's parts (see `LavaTarget`).
struct ArgumentSplit {
    var memory = "512"
    var machine: String?
    var cpu: String?
    var extraOptions: [String] = []
    var images: [LavaTarget.Image] = []

    init(arguments: [String], target: String, aarch64: Bool,
         backing: [(path: String, sizeMiB: Int)]) throws(LavaExportError) {
        func refuse(_ reason: String) -> LavaExportError { LavaExportError(target: target, reason: reason) }
        var kernel: String?, initrd: String?, commandLine = ""
        var backingArguments: [Int: [String]] = [:]
        var index = 0
        while index < arguments.count {
            let flag = arguments[index]
            guard flag.hasPrefix("-") else { throw refuse("unexpected QEMU argument \(flag)") }
            if LavaTarget.flagsWithoutValue.contains(flag) {
                index += 1
                // LAVA owns these: it never resumes a paused guest, and -nodefaults would take away
                // the serial port its -nographic console relies on.
                if !["-S", "-nodefaults", "-nographic", "-enable-kvm"].contains(flag) { extraOptions.append(flag) }
                continue
            }
            guard index + 1 < arguments.count else { throw refuse("QEMU argument \(flag) has no value") }
            let value = arguments[index + 1]
            index += 2
            if let slot = backing.firstIndex(where: { value.contains($0.path) }) {
                backingArguments[slot, default: []] += [flag, value.replacingOccurrences(of: backing[slot].path, with: "{disk\(slot)}")]
                continue
            }
            switch flag {
            case "-kernel": kernel = value
            case "-initrd": initrd = value
            case "-append": commandLine = value
            case "-m": memory = value
            case "-display", "-serial": continue
            case "-chardev" where value.hasPrefix("file,id=serial0,"): continue
            case "-machine" where aarch64: machine = value
            case "-cpu" where aarch64: cpu = value
            default:
                guard !value.contains(where: { $0 == " " || $0 == "'" || $0 == "\"" || $0 == "\\" }) else {
                    throw refuse("QEMU argument \(flag) \(value) has a space or quote, which LAVA's option list cannot carry")
                }
                extraOptions.append("\(flag) \(value)")
            }
        }
        guard let kernel, let initrd else { throw refuse("the launch has no -kernel or -initrd") }
        guard !commandLine.contains("\"") else { throw refuse("the kernel command line has a double quote") }
        images.append(.init(key: "kernel", source: kernel, imageArg: "-kernel {kernel} -append \"\(commandLine)\""))
        images.append(.init(key: "initrd", source: initrd, imageArg: "-initrd {initrd}"))
        for (slot, file) in backing.enumerated() {
            guard let arguments = backingArguments[slot] else { continue }
            let name = "disk\(slot)"
            images.append(.init(key: name, source: name + ".img", imageArg: arguments.joined(separator: " "),
                                scratchSizeMiB: file.sizeMiB))
        }
    }

    /// Replaces a private host path (the launch's workspace) by the device's directory on the worker.
    mutating func rewrite(prefix: String, to replacement: String) {
        guard !prefix.isEmpty else { return }
        extraOptions = extraOptions.map { $0.replacingOccurrences(of: prefix, with: replacement) }
    }
}
