/// Parses `modules.dep` and turns a list of wanted module names into an `insmod` order.
///
/// The reference initramfs uses busybox `insmod`, which loads exactly one file and resolves no
/// dependencies, so the host must compute the closure and a dependency-first order itself.
/// `modules.dep` is trivial (`path: dep dep ...`, one module per line) so we parse it here
/// instead of shipping `modprobe` and its index files into the guest.
public struct ModuleDependencies: Sendable, Equatable {
    /// One kernel module file listed in modules.dep.
    public struct Module: Sendable, Equatable {
        /// Canonical module name: file name without `.ko[.xz|.zst|.gz]`, `-` folded to `_`
        /// (the kernel treats both spellings as the same module).
        public var name: String
        /// Path relative to `lib/modules/<release>/`, as written in modules.dep.
        public var path: String
        /// Canonical names of the modules this one needs, in modules.dep order.
        public var dependencies: [String]
    }

    /// The result of resolving a wanted list.
    public struct Resolution: Sendable, Equatable {
        /// Every module to load, dependencies before their users.
        public var loadOrder: [Module]
        /// Wanted names that this kernel does not provide as a module (built in or absent).
        public var missing: [String]
    }

    /// Modules keyed by canonical name.
    public private(set) var modules: [String: Module] = [:]

    /// Parses the text of a modules.dep file. `source` is used in error messages only.
    public init(parsing text: String, source: String = "modules.dep") throws(GuestImageError) {
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw .modulesDepMalformed(path: source, line: lineNumber, text: String(line))
            }
            let path = String(line[..<colon]).trimmingWhitespace()
            guard let name = Self.canonicalName(ofPath: path) else {
                throw .modulesDepMalformed(path: source, line: lineNumber, text: String(line))
            }
            var deps: [String] = []
            for dep in line[line.index(after: colon)...].split(separator: " ", omittingEmptySubsequences: true) {
                guard let depName = Self.canonicalName(ofPath: String(dep)) else {
                    throw .modulesDepMalformed(path: source, line: lineNumber, text: String(line))
                }
                deps.append(depName)
            }
            modules[name] = Module(name: name, path: path, dependencies: deps)
        }
    }

    /// File-name suffixes a module may carry in modules.dep.
    static let moduleSuffixes = [".ko.zst", ".ko.xz", ".ko.gz", ".ko"]

    /// `kernel/drivers/char/hw_random/virtio-rng.ko.xz` -> `virtio_rng`; nil if not a module path.
    public static func canonicalName(ofPath path: String) -> String? {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        for suffix in moduleSuffixes where file.hasSuffix(suffix) && file.count > suffix.count {
            return canonicalName(String(file.dropLast(suffix.count)))
        }
        return nil
    }

    /// Folds `-` to `_`, as the kernel does when comparing module names.
    public static func canonicalName(_ name: String) -> String {
        name.replacingOccurrences(of: "-", with: "_")
    }

    /// Resolves the dependency closure of `wanted` and orders it so every module comes after
    /// everything it depends on. Wanted modules keep their relative order where dependencies
    /// allow, which keeps the generated /init readable and the output deterministic.
    /// Unknown names are reported in `missing`, never an error: other kernels build them in.
    public func resolve(_ wanted: [String]) -> Resolution {
        var order: [Module] = []
        var placed = Set<String>()
        var visiting = Set<String>()
        var missing: [String] = []

        func visit(_ name: String) {
            if placed.contains(name) || visiting.contains(name) { return } // cycles: break, never loop
            guard let module = modules[name] else { return }
            visiting.insert(name)
            for dep in module.dependencies { visit(dep) }
            visiting.remove(name)
            placed.insert(name)
            order.append(module)
        }

        for raw in wanted {
            let name = Self.canonicalName(raw)
            if modules[name] == nil {
                if !missing.contains(raw) { missing.append(raw) }
                continue
            }
            visit(name)
        }
        return Resolution(loadOrder: order, missing: missing)
    }
}

extension StringProtocol {
    /// Spaces and tabs trimmed from both ends (modules.dep never contains other whitespace).
    func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" || first == "\r" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" || last == "\r" { slice.removeLast() }
        return String(slice)
    }
}
