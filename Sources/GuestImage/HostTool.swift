import Foundation
import Subprocess
import SystemPackage

/// Runs host tools (apt-get, dpkg-deb, depmod, cc, xz, zstd) through swift-subprocess.
///
/// Arguments are always passed as an argv array, never through a shell, so paths with spaces or
/// shell metacharacters in a user's cache directory cannot turn into commands. Failures are
/// mapped to `GuestImageError` here once, so callers only decide what a failure *means*.
struct HostTool: Sendable {
    /// Output captured from a finished command.
    struct Output: Sendable {
        var status: TerminationStatus
        var stdout: String
        var stderr: String
        var succeeded: Bool { status.isSuccess }
    }

    /// The executable name looked up in PATH, e.g. "apt-get".
    let name: String
    /// What to install when the tool is missing, shown to the user.
    let installHint: String

    static let aptGet = HostTool(name: "apt-get", installHint: "avps downloads the kernel with apt; on a non-Debian host pass --kernel PATH --modules DIR instead")
    static let aptCache = HostTool(name: "apt-cache", installHint: "avps resolves the kernel with apt; on a non-Debian host pass --kernel PATH --modules DIR instead")
    static let dpkgDeb = HostTool(name: "dpkg-deb", installHint: "install the dpkg package")
    static let depmod = HostTool(name: "depmod", installHint: "install the kmod package (Debian kernel packages ship no modules.dep)")
    static let cc = HostTool(name: "cc", installHint: "install a C compiler with static libc (apt-get install gcc libc6-dev)")
    static let xz = HostTool(name: "xz", installHint: "install xz-utils to decompress .ko.xz modules")
    static let ldd = HostTool(name: "ldd", installHint: "install libc-bin (ldd checks that an unpacked QEMU finds its libraries)")
    static let env = HostTool(name: "env", installHint: "install coreutils")
    static let zstd = HostTool(name: "zstd", installHint: "install zstd to decompress .ko.zst modules")
    static let debugfs = HostTool(name: "debugfs", installHint: "install e2fsprogs (debugfs writes the agent into an ext4 image)")

    /// Runs the tool and returns its captured output whatever the exit status; throws only when
    /// the tool cannot be started at all. Output beyond `limit` bytes is an error (we never
    /// expect megabytes of text from these tools).
    func capture(_ arguments: [String], in directory: URL? = nil, limit: Int = 4 << 20) async throws(GuestImageError) -> Output {
        do {
            let result = try await Subprocess.run(
                .name(name),
                arguments: Arguments(arguments),
                workingDirectory: directory.map { FilePath($0.path) },
                output: .string(limit: limit),
                error: .string(limit: limit)
            )
            return Output(status: result.terminationStatus,
                          stdout: result.standardOutput,
                          stderr: result.standardError)
        } catch let error as SubprocessError where error.code == .executableNotFound {
            throw .toolMissing(tool: name, hint: installHint)
        } catch {
            throw .commandFailed(command: commandLine(arguments), status: "could not run", output: "\(error)")
        }
    }

    /// Runs the tool and requires exit status 0.
    @discardableResult
    func check(_ arguments: [String], in directory: URL? = nil) async throws(GuestImageError) -> Output {
        let output = try await capture(arguments, in: directory)
        guard output.succeeded else {
            throw .commandFailed(command: commandLine(arguments), status: "\(output.status)",
                                 output: Self.tail(output.stderr + output.stdout))
        }
        return output
    }

    /// Runs the tool and returns its raw stdout bytes (for decompressors).
    func bytes(_ arguments: [String], limit: Int = 256 << 20) async throws(GuestImageError) -> [UInt8] {
        do {
            let result = try await Subprocess.run(
                .name(name), arguments: Arguments(arguments),
                output: .bytes(limit: limit), error: .string(limit: 1 << 20))
            guard result.terminationStatus.isSuccess else {
                throw GuestImageError.commandFailed(command: commandLine(arguments),
                                                    status: "\(result.terminationStatus)",
                                                    output: Self.tail(result.standardError))
            }
            return result.standardOutput
        } catch let error as GuestImageError {
            throw error
        } catch let error as SubprocessError where error.code == .executableNotFound {
            throw .toolMissing(tool: name, hint: installHint)
        } catch {
            throw .commandFailed(command: commandLine(arguments), status: "could not run", output: "\(error)")
        }
    }

    func commandLine(_ arguments: [String]) -> String {
        ([name] + arguments).joined(separator: " ")
    }

    /// Keeps error messages readable: the last lines of a tool's output carry the real reason.
    static func tail(_ text: String, lines: Int = 30) -> String {
        let all = text.split(separator: "\n", omittingEmptySubsequences: true)
        return all.suffix(lines).joined(separator: "\n")
    }
}
