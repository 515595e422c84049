import HypervisorCore
/// The remote QEMU as seen through its supervisor script's channel (`SSHRemotePlan.script`): its pid
/// when it started, its exit status when it ended, and the control line that signals it.
actor SSHRemoteQEMU {
    private let channel: SSHChannel
    let processID: Int32
    private var pending: [UInt8] = []
    private(set) var exitStatus: Int32?

    private init(channel: SSHChannel, processID: Int32, pending: [UInt8]) {
        self.channel = channel
        self.processID = processID
        self.pending = pending
    }

    /// Runs the supervisor and waits for QEMU's pid. A script that ends first (QEMU not installed,
    /// directory missing) is `remoteCommand` with its exit status and stderr.
    static func start(_ plan: SSHRemotePlan, on connection: SSHConnection,
                      deadline: ContinuousClock.Instant) async throws(SSHError) -> SSHRemoteQEMU {
        let binary = plan.qemuCommand.first ?? "qemu"
        let label = "\(binary) on \(connection.endpoint)"
        let channel = try await SSHChannel.exec("exec /bin/sh -c \(ShellQuoting.quote(plan.script))",
                                                label: label, on: connection)
        var output: [UInt8] = []
        let start = ContinuousClock.now
        while true {
            if let line = takeLine(&output), line.hasPrefix(SSHRemotePlan.startedPrefix),
               let pid = Int32(line.dropFirst(SSHRemotePlan.startedPrefix.count)) {
                return SSHRemoteQEMU(channel: channel, processID: pid, pending: output)
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

    /// Reads what the supervisor printed without waiting; QEMU's exit status once it has ended.
    func pollExit() async -> Int32? {
        if let exitStatus { return exitStatus }
        switch try? await channel.read(maxBytes: 4096, waitMilliseconds: 0) {
        case .data(let bytes): pending += bytes
        case .endOfFile, nil: exitStatus = exitStatus ?? -1  // the supervisor is gone, so is QEMU
        case .nothingYet: break
        }
        while let line = Self.takeLine(&pending) {
            if line.hasPrefix(SSHRemotePlan.exitedPrefix) {
                exitStatus = Int32(line.dropFirst(SSHRemotePlan.exitedPrefix.count)) ?? -1
            }
        }
        return exitStatus
    }

    func waitForExit(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            if await pollExit() != nil { return true }
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Sends `TERM` or `KILL` to QEMU through the supervisor (by pid, only while it runs).
    func signal(_ name: String) async {
        try? await channel.write(Array("\(name)\n".utf8))
    }

    /// Ends the control line (the supervisor kills QEMU if it still runs) and closes the channel.
    func finish() async {
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
