import HypervisorCore

/// A launch's private directory on the remote host, and the janitor that removes it.
///
/// The janitor is a remote shell started right after the directory is made, reading our stdin:
/// when that ends (avps is done, or died and sshd closed the channel), it kills every process of
/// the launch still carrying its marker (`AVPS_LAUNCH=<id>`, however it detached) and removes the
/// directory. So a killed avps leaves nothing behind on the remote host either.
package struct RemoteWorkspace: Sendable {
    package let directory: String
    private let janitor: SSHChannel

    private init(directory: String, janitor: SSHChannel) {
        self.directory = directory
        self.janitor = janitor
    }

    /// Makes `directory` (mode 0700; an existing one is refused, never reused) and starts its
    /// janitor; if the janitor cannot start, the directory is removed at once.
    package static func create(_ directory: String, launchID: String?,
                               on connection: SSHConnection) async throws(SSHError) -> RemoteWorkspace {
        try await SFTPTransfer.run([.makeDirectory(remote: directory)], on: connection)
        do {
            let janitor = try await SSHChannel.exec(janitorScript(directory: directory, launchID: launchID),
                                                    label: "cleanup of \(directory)", on: connection)
            return RemoteWorkspace(directory: directory, janitor: janitor)
        } catch {
            _ = try? await SSHRemoteCommand.run("rm -rf -- \(ShellQuoting.quote(directory))",
                                                label: "rm -rf \(directory)", on: connection, timeout: .seconds(10))
            throw error
        }
    }

    /// Ends the janitor's stdin and waits (bounded) until it has swept and removed the directory.
    package func remove() async {
        await janitor.sendEOF()
        _ = try? await SSHRemoteCommand.drain(janitor, until: .now + .seconds(10))
        await janitor.close()
    }

    /// `/bin/sh` that waits for the end of its stdin, then sweeps the launch's processes (TERM,
    /// then KILL) when a marker is given, then removes the directory.
    package static func janitorScript(directory: String, launchID: String?) -> String {
        let q = ShellQuoting.quote
        let sweep = launchID.map { "\n" + processSweep(launchID: $0) + "\nif sweep TERM; then sleep 1; sweep KILL; fi" } ?? ""
        return "exec /bin/sh -c " + q("while read -r _; do :; done\(sweep)\nrm -rf -- \(q(directory))")
    }

    /// A shell function `sweep SIGNAL`: signals every process whose environment holds the launch's
    /// marker (read from /proc/PID/environ, so it finds daemons that left the process group);
    /// succeeds when it found one.
    package static func processSweep(launchID: String) -> String {
        let marker = ShellQuoting.quote("\(LaunchProcesses.launchVariable)=\(launchID)")
        return """
            sweep() { found=1; for e in /proc/[0-9]*/environ; do if grep -qF \(marker) "$e" 2>/dev/null; then \
            p=${e#/proc/}; kill -"$1" "${p%/environ}" 2>/dev/null; found=0; fi; done; return $found; }
            """
    }
}
