import Foundation
import Subprocess
#if canImport(Glibc)
import Glibc
#endif

/// Finds every process a launch started, however it detached: a child that calls `setsid()`, a
/// double-forked daemon, a start command's helper left in its group.
///
/// Each launch's commands get `AVPS_LAUNCH=<id>` (and the run's `AVPS_RUN=<id>`) in their
/// environment, which their descendants inherit across setsid and fork. avps is a child subreaper
/// (`PR_SET_CHILD_SUBREAPER`), so those descendants re-parent to avps rather than to init and
/// can be reaped after they are killed. The orphan guard runs the same sweep when avps is killed.
public enum LaunchProcesses {
    public static let launchVariable = "AVPS_LAUNCH"
    public static let runVariable = "AVPS_RUN"
    /// One id per avps process: the emergency exit kills whatever carries it.
    public static let runID = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

    /// Makes avps a child subreaper (Linux); harmless to call twice.
    public static func becomeSubreaper() {
        #if os(Linux)
        // prctl(2) is variadic in C, which Swift cannot call; every argument here is an integer
        // passed in a register, so a fixed-arity pointer to it is the same call.
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "prctl") else { return }
        let setChildSubreaper: Int32 = 36  // PR_SET_CHILD_SUBREAPER, <linux/prctl.h>
        _ = unsafeBitCast(symbol, to: Prctl.self)(setChildSubreaper, 1, 0, 0, 0)
        #endif
    }

    /// Whether avps is a child subreaper now (PR_GET_CHILD_SUBREAPER), for tests.
    public static var isSubreaper: Bool {
        #if os(Linux)
        typealias Prctl = @convention(c) (Int32, UnsafeMutablePointer<Int32>, UInt, UInt, UInt) -> Int32
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "prctl") else { return false }
        var flag: Int32 = 0
        let getChildSubreaper: Int32 = 37  // PR_GET_CHILD_SUBREAPER
        return unsafeBitCast(symbol, to: Prctl.self)(getChildSubreaper, &flag, 0, 0, 0) == 0 && flag != 0
        #else
        return false
        #endif
    }

    /// A fresh launch id.
    public static func newLaunchID() -> String { "\(getpid())-\(UUID().uuidString.prefix(12))" }

    /// The environment entries that mark a launch's processes.
    package static func environment(launch: String) -> [Environment.Key: String?] {
        [Environment.Key(stringLiteral: launchVariable): launch, Environment.Key(stringLiteral: runVariable): runID]
    }

    /// Pids (other than avps) whose environment holds `variable=value`.
    public static func marked(_ variable: String, _ value: String) -> [Int32] {
        let needle = Array("\(variable)=\(value)".utf8)
        let own = getpid()
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { Int32($0) }.filter { pid in
            guard pid != own, let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            return data.split(separator: 0).contains { $0.elementsEqual(needle) }
        }
    }

    /// SIGKILLs every process marked with `variable=value` until none is left (a forking parent
    /// may add children while we kill), then reaps those that re-parented to avps. Returns how
    /// many were killed.
    @discardableResult
    public static func killAll(_ variable: String, _ value: String) -> Int {
        var killed = Set<Int32>()
        for _ in 0..<20 {
            let found = marked(variable, value).filter { !isZombie($0) }
            if found.isEmpty { break }
            for pid in found {
                kill(pid, SIGKILL)
                killed.insert(pid)
            }
            usleep(20_000)
        }
        for pid in killed { reapIfChild(pid) }
        return killed.count
    }

    /// The sweep for one launch.
    @discardableResult
    public static func killLaunch(_ id: String) -> Int { killAll(launchVariable, id) }

    /// The sweep for everything this avps process started (emergency exit).
    @discardableResult
    public static func killRun() -> Int { killAll(runVariable, runID) }

    private static func isZombie(_ pid: Int32) -> Bool {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat"),
              let close = data.lastIndex(of: UInt8(ascii: ")")), close + 2 < data.count else { return true }
        return data[close + 2] == UInt8(ascii: "Z")
    }

    /// Collects a killed descendant that re-parented to avps (subreaper), so no zombie is left.
    private static func reapIfChild(_ pid: Int32) {
        for _ in 0..<50 {
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || (result < 0 && errno == ECHILD) { return }
            usleep(10_000)
        }
    }
}
