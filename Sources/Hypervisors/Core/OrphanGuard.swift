import Foundation
import Subprocess
import Synchronization
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Makes sure nothing a launch started outlives avps, even when avps is SIGKILLed or crashes.
///
/// PR_SET_PDEATHSIG would be the textbook tool, but it fires when the *thread* that spawned the
/// child exits, and Swift's executor threads come and go; a guest could be killed mid-run. Instead a
/// tiny `sh`, in a process group of its own, is started before anything else of the launch and reads
/// a pipe whose only writer is avps (close-on-exec, so no other child inherits it). avps announces
/// every process group it starts (vsock backend, QEMU) as a line on that pipe. When avps exits for
/// any reason the kernel closes the pipe, `read` returns end of file, and the guard kills every
/// announced group and removes the launch's workspace (sockets, disk images).
///
/// Descendants that left those groups (`setsid()`, a double-forked daemon) are found by the
/// launch's marker in their environment (`LaunchProcesses`): the guard kills every process whose
/// `/proc/PID/environ` holds `AVPS_LAUNCH=<id>`, repeating while new ones appear.
package enum OrphanGuard {
    /// `$1` is the workspace, `$2` the launch id (or empty); each input line is a process group to
    /// kill once input ends, or `released` when every announced group has been reaped (their ids
    /// may then be reused).
    package static let script = """
        groups=""
        while read -r group; do
          if [ "$group" = released ]; then groups=""; else groups="$groups $group"; fi
        done
        for group in $groups; do kill -KILL -"$group" 2>/dev/null; done
        if [ -n "$2" ]; then
          for round in 1 2 3 4 5; do
            found=""
            for env in $(grep -l -s -z -x -F "AVPS_LAUNCH=$2" /proc/[0-9]*/environ); do
              pid=${env#/proc/}; pid=${pid%/environ}
              [ "$pid" != "$$" ] && kill -KILL "$pid" 2>/dev/null && found=1
            done
            [ -z "$found" ] && break
            sleep 0.1
          done
        fi
        rm -rf -- "$1"
        exit 0
        """

    /// Handed to the guarded body: announce each process group right after spawning it.
    package final class Guard: Sendable {
        private let writeEnd: Mutex<FileDescriptor?>

        init(writeEnd: FileDescriptor) { self.writeEnd = Mutex(writeEnd) }

        package func announce(processGroup: Int32) {
            writeEnd.withLock { fd in
                guard let fd else { return }
                _ = try? fd.writeAll(Array("\(processGroup)\n".utf8))
            }
        }

        /// Every announced group has exited and been reaped: killing by those ids is no longer safe.
        package func release() {
            writeEnd.withLock { fd in
                _ = try? fd?.writeAll(Array("released\n".utf8))
            }
        }

        package func close() {
            writeEnd.withLock { fd in
                try? fd?.close()
                fd = nil
            }
        }
    }

    /// Runs `body` with the guard up. The guard process lives in a task of its own, so cancelling
    /// the caller (SIGINT) does not kill the guard while the launch is still shutting down in order.
    package static func protect<T: Sendable>(workspace: URL, launchID: String = "", _ body: (Guard) async throws -> T) async throws -> T {
        let pipe = try FileDescriptor.pipe()
        // The write end must not leak into any other child, or the pipe would outlive avps.
        _ = fcntl(pipe.writeEnd.rawValue, F_SETFD, FD_CLOEXEC)
        let guardHandle = Guard(writeEnd: pipe.writeEnd)
        let (started, startedSignal) = AsyncStream<Bool>.makeStream()
        let (done, doneSignal) = AsyncStream<Void>.makeStream()
        let guardTask = Task {
            var options = PlatformOptions()
            options.processGroupID = 0  // its own group: safe from the terminal's Ctrl-C and from its own kill
            do {
                _ = try await Subprocess.run(
                    .path("/bin/sh"), arguments: ["-c", script, "avps-orphan-guard", workspace.path, launchID],
                    platformOptions: options,
                    input: .fileDescriptor(pipe.readEnd, closeAfterSpawningProcess: true),
                    output: .discarded, error: .discarded
                ) { _ in
                    startedSignal.yield(true)
                    for await _ in done {}
                    // Everything the launch started has been reaped by now.
                    guardHandle.release()
                    guardHandle.close()
                }
            } catch {
                startedSignal.yield(false)
                guardHandle.close()
            }
        }
        var guarded = false
        for await ok in started {
            guarded = ok
            break
        }
        guard guarded else {
            doneSignal.finish()
            _ = await guardTask.result
            throw HypervisorError.launchFailed("cannot start the orphan guard (/bin/sh)")
        }
        let outcome: Result<T, any Error>
        do {
            outcome = .success(try await body(guardHandle))
        } catch {
            outcome = .failure(error)
        }
        doneSignal.finish()
        _ = await guardTask.result
        return try outcome.get()
    }
}
