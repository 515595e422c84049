import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Removes every workspace this avps process made once the process is gone, however it ends.
///
/// The launch's `OrphanGuard` removes its workspace when avps dies, but it starts only when the
/// guest does; a workspace is made earlier, in `prepare`. avps killed in between (at plan time,
/// during the accelerator probe) left an empty `/tmp/avps-XXXXXX` behind. This guard is one `sh`
/// per avps process, in a process group of its own, reading workspace paths on a socket whose
/// only writer is avps (close-on-exec). A path is announced before its directory exists; when
/// avps exits for any reason the socket closes and the guard removes every announced path avps
/// did not withdraw (`Workspace.remove` withdraws what it removes).
package enum WorkspaceGuard {
    /// Input lines: `+PATH` announces a workspace, `-PATH` withdraws it (removed by avps, or a name
    /// another process owns). At end of input every announced path still listed is removed.
    package static let script = """
        while IFS= read -r line; do
          case "$line" in
            +*) set -- "$@" "${line#+}" ;;
            -*) drop="${line#-}"; n=$#
                while [ "$n" -gt 0 ]; do p="$1"; shift; [ "$p" = "$drop" ] || set -- "$@" "$p"; n=$((n - 1)); done ;;
          esac
        done
        for path in "$@"; do rm -rf -- "$path"; done
        exit 0
        """

    private static let writer = Mutex<Int32?>(nil)

    /// Hands `path` to the guard (started on first use). False when no guard could be started;
    /// the workspace is then removed only by avps itself and the launch's orphan guard.
    @discardableResult
    package static func announce(_ path: String) -> Bool { tell("+" + path) }

    /// Takes `path` back: avps removed it, or it was never avps's.
    package static func withdraw(_ path: String) { _ = tell("-" + path) }

    private static func tell(_ text: String) -> Bool {
        writer.withLock { fd -> Bool in
            if fd == nil { fd = start() }
            guard let socket = fd else { return false }
            let line = Array((text + "\n").utf8)
            let sent = line.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            return sent == line.count
        }
    }

    /// Spawns the guard with its stdin on one end of a socket pair; returns avps's end.
    package static func start() -> Int32? {
        var ends: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else { return nil }
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
            close(ends[1])
        }
        posix_spawn_file_actions_adddup2(&actions, ends[1], 0)
        closeInheritedDescriptors(&actions)
        // Its own process group: a Ctrl-C for avps's group must not end the guard before avps.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let argv = ["/bin/sh", "-c", script, "avps-workspace-guard"]
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/bin/sh", &actions, &attributes, &cArguments, environ) == 0 else {
            close(ends[0])
            return nil
        }
        return ends[0]
    }

    /// The guard outlives whatever avps has open when it starts, so it must keep none of it: a
    /// pipe another thread is just handing to a child (not yet close-on-exec) would otherwise stay
    /// open in the guard until avps exits, and whoever waits for that pipe's end waits with it (a
    /// test process that reads a CLI child's output to the end hung this way). glibc 2.34+ closes
    /// them all in the child (`posix_spawn_file_actions_addclosefrom_np`, not in Swift's Glibc
    /// module, so looked up by name); older ones get a close for each descriptor open now.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
            return
        }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap(Int32.init) where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
    }
}
