import HypervisorCore

/// A remote process as seen through its supervisor script's channel (the ssh adapter's QEMU, the
/// remote external adapter's start command): its pid when it started, its exit status when it
/// ended, and the control line that signals it. The script prints `startedPrefix PID` once the
/// process runs and `exitedPrefix STATUS` when it ends; it reads `TERM`/`KILL` lines on stdin and
/// ends the process when its stdin ends (avps closed the channel, or died and sshd closed it).
package actor RemoteProcess {
    private let channel: SSHChannel
    private let exitedPrefix: String
    package nonisolated let processID: Int32
    private var pending: [UInt8] = []
    package private(set) var exitStatus: Int32?

    private init(channel: SSHChannel, processID: Int32, exitedPrefix: String, pending: [UInt8]) {
        self.channel = channel
        self.processID = processID
        self.exitedPrefix = exitedPrefix
        self.pending = pending
    }

    /// The first lines of every supervisor script: SIGPIPE ignored (once avps is gone nobody reads
    /// stdout), the control line kept as fd 3 (background jobs get /dev/null as stdin), into
    /// `directory`, and exit 127 with the shell's PATH when `program` is not there.
    package static func scriptPrologue(directory: String, program: String) -> String {
        let q = ShellQuoting.quote
        return """
            trap '' PIPE
            exec 3<&0  # background jobs get /dev/null as stdin: the guard reads the control line as fd 3
            cd \(q(directory)) || exit 125
            command -v \(q(program)) >/dev/null 2>&1 || { printf '%s: not found on the remote host (PATH=%s)\\n' \(q(program)) "$PATH" >&2; exit 127; }
            """
    }

    /// Runs the supervisor `script` and waits for the pid line. A script that ends first (program
    /// not installed, directory missing) is `remoteCommand` with its exit status and stderr.
    package static func start(script: String, label: String, startedPrefix: String, exitedPrefix: String,
                              on connection: SSHConnection, deadline: ContinuousClock.Instant) async throws(SSHError) -> RemoteProcess {
        let channel = try await SSHChannel.exec("exec /bin/sh -c \(ShellQuoting.quote(script))",
                                                label: label, on: connection)
        var output: [UInt8] = []
        let start = ContinuousClock.now
        while true {
            if let line = takeLine(&output), line.hasPrefix(startedPrefix),
               let pid = Int32(line.dropFirst(startedPrefix.count)) {
                return RemoteProcess(channel: channel, processID: pid, exitedPrefix: exitedPrefix, pending: output)
            }
            guard ContinuousClock.now < deadline else {
                await channel.close()
                throw .timeout(waitingFor: "\(label) to start", seconds: (ContinuousClock.now - start).seconds)
            }
            let chunk: SSHChannel.Chunk
            do {
                chunk = try await channel.read(maxBytes: 4096, waitMilliseconds: 100)
            } catch {
                await channel.close()
                throw error
            }
            switch chunk {
            case .data(let bytes): output += bytes
            case .nothingYet: continue
            case .endOfFile:
                let stderr = (try? await SSHRemoteCommand.drain(channel, until: .now + .seconds(5)).1) ?? []
                let status = await channel.exitStatus() ?? -1
                await channel.close()
                throw .remoteCommand(command: label, status: status,
                                     stderrTail: SSHRemoteCommand.tail(String(decoding: stderr, as: UTF8.self)))
            }
        }
    }

    /// Reads what the supervisor printed without waiting; the exit status once the process has ended.
    package func pollExit() async -> Int32? {
        if let exitStatus { return exitStatus }
        switch try? await channel.read(maxBytes: 4096, waitMilliseconds: 0) {
        case .data(let bytes): pending += bytes
        case .endOfFile, nil: exitStatus = exitStatus ?? -1  // the supervisor is gone, so is its process
        case .nothingYet: break
        }
        while let line = Self.takeLine(&pending) {
            if line.hasPrefix(exitedPrefix) {
                exitStatus = Int32(line.dropFirst(exitedPrefix.count)) ?? -1
            }
        }
        return exitStatus
    }

    package func waitForExit(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            if await pollExit() != nil { return true }
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Sends `TERM` or `KILL` through the supervisor (only while the process runs).
    package func signal(_ name: String) async {
        try? await channel.write(Array("\(name)\n".utf8))
    }

    /// Ends the control line (the supervisor ends the process if it still runs) and closes the channel.
    package func finish() async {
        await channel.sendEOF()
        _ = try? await SSHRemoteCommand.drain(channel, until: .now + .seconds(5))
        await channel.close()
    }

    private static func takeLine(_ buffer: inout [UInt8]) -> String? {
        guard let newline = buffer.firstIndex(of: 10) else { return nil }
        let line = String(decoding: buffer[..<newline], as: UTF8.self)
        buffer.removeSubrange(...newline)
        return line
    }
}
