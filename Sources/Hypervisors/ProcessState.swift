#if canImport(Glibc)
import Glibc
#endif

/// Asks the kernel whether a child has exited, without reaping it (the process library reaps it).
enum ProcessState {
    static func hasExited(_ pid: Int32) -> Bool {
        var info = siginfo_t()
        let status = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
        if status != 0 { return errno == ECHILD }
        return info._sifields._sigchld.si_pid != 0
    }

    /// Polls until the child exits or `timeout` passes; returns whether it exited.
    static func waitForExit(_ pid: Int32, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if hasExited(pid) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return hasExited(pid)
    }
}
