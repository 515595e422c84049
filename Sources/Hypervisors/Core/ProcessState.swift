#if canImport(Glibc)
import Glibc
#endif

/// Asks the kernel whether a child has exited, without reaping it (the process library reaps it).
package enum ProcessState {
    package static func hasExited(_ pid: Int32) -> Bool {
        var info = siginfo_t()
        let status = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
        if status != 0 { return errno == ECHILD }
        return info._sifields._sigchld.si_pid != 0
    }

    /// Exit status of an exited (not yet reaped) child; nil while running or when killed by a signal.
    package static func exitStatus(_ pid: Int32) -> Int32? {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0,
              info._sifields._sigchld.si_pid != 0, info.si_code == Int32(CLD_EXITED) else { return nil }
        return info._sifields._sigchld.si_status
    }

    /// How an exited (not yet reaped) child ended, for messages: "status 0", "signal 9"; nil while running.
    package static func exitDescription(_ pid: Int32) -> String? {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0,
              info._sifields._sigchld.si_pid != 0 else { return nil }
        let value = info._sifields._sigchld.si_status
        return info.si_code == Int32(CLD_EXITED) ? "status \(value)" : "signal \(value)"
    }

    /// Polls until the child exits or `timeout` passes; returns whether it exited.
    package static func waitForExit(_ pid: Int32, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if hasExited(pid) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return hasExited(pid)
    }
}
