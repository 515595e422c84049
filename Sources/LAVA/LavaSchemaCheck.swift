import Foundation
import Subprocess
import SystemPackage

/// Validates job definitions with lava-common's own schema (`lava_common.schemas.validate`, strict:
/// what lava-server runs on submit). lava-common is Debian's package (not on PyPI) and only
/// Debian's interpreter sees it, hence `/usr/bin/python3`.
public enum LavaSchemaCheck {
    public enum Outcome: Sendable, Equatable {
        case valid
        /// LAVA's message and the path of the offending field (`actions[1]/boot/qemu/media`).
        case invalid(message: String, path: String)
        /// The check could not run; the reason says why (never counted as valid).
        case unavailable(String)
    }

    static let interpreter = "/usr/bin/python3"
    static let script = """
        import sys, yaml
        try:
            from voluptuous import Invalid
            from lava_common.schemas import validate
        except ImportError as exc:
            print("UNAVAILABLE lava_common cannot be imported: %s" % exc); sys.exit(0)
        try:
            validate(yaml.safe_load(open(sys.argv[1])), strict=True, extra_context_variables=[])
            print("VALID")
        except Invalid as exc:
            print("INVALID\\t" + "/".join(str(p) for p in exc.path) + "\\t" + str(exc.msg))
        """

    public static func check(jobFile: String) async -> Outcome {
        guard FileManager.default.isExecutableFile(atPath: interpreter) else {
            return .unavailable("\(interpreter) not found (lava-common needs Debian's Python)")
        }
        do {
            let result = try await Subprocess.run(.path(FilePath(interpreter)), arguments: ["-c", script, jobFile],
                                                  output: .string(limit: 1 << 16), error: .string(limit: 1 << 16))
            let line = result.standardOutput.split(separator: "\n").last.map(String.init) ?? ""
            if line == "VALID" { return .valid }
            let fields = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            if fields.count == 3, fields[0] == "INVALID" { return .invalid(message: fields[2], path: fields[1]) }
            if line.hasPrefix("UNAVAILABLE ") { return .unavailable(String(line.dropFirst("UNAVAILABLE ".count))) }
            return .unavailable("the validator said nothing usable: \(result.standardError)".prefix(500).description)
        } catch {
            return .unavailable("cannot run \(interpreter): \(error)")
        }
    }
}
