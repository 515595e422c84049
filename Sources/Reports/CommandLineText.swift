import Foundation

/// The exact hypervisor command line as one copy-pasteable shell line.
///
/// Reports show it so that a person can reproduce a boot by hand; joining arguments with spaces
/// would lose argument boundaries (`-append "console=ttyS0 quiet"`), so each argument that is not
/// plainly safe is single-quoted POSIX style.
enum CommandLineText {
    static func shellQuoted(_ arguments: [String]) -> String {
        arguments.map(quote).joined(separator: " ")
    }

    static func quote(_ argument: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
        if !argument.isEmpty, argument.allSatisfy({ safe.contains($0) }) { return argument }
        return "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
