import ArgumentParser
import Dispatch
import Foundation
import VhostUserVsock

/// `avps vsockd`: the project's vhost-user-vsock backend on its own, a drop-in for rust-vmm's
/// `vhost-device-vsock --vm guest-cid=N,socket=PATH,uds-path=PATH`.
struct VsockdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vsockd",
        abstract: "Run the vhost-user-vsock device backend for one VM.",
        discussion: """
            Start it before QEMU (QEMU exits if the socket is not listening), then give QEMU \
            -chardev socket,id=vs,path=SOCKET -device vhost-user-vsock-pci,chardev=vs and guest RAM \
            on a shared memfd (-object memory-backend-memfd,id=mem,size=...,share=on \
            -machine memory-backend=mem). Host programs connect to UDS and send "CONNECT <port>\\n" \
            (answer "OK <n>\\n"); guest connections to host port P go to UDS_P. The backend exits when \
            QEMU disconnects, or on SIGTERM/SIGINT.
            """)

    @Option(help: "vhost-user socket QEMU connects to.")
    var socket: String

    @Option(help: "Hybrid vsock Unix socket for the host side.")
    var uds: String

    @Option(help: "Guest context id (3 or more).")
    var cid: UInt64 = 3

    @Flag(help: "Log malformed messages and connection trouble to stderr.")
    var verbose = false

    func run() async throws {
        let backend: VsockBackend
        do {
            backend = try VsockBackend(VsockBackendConfiguration(socketPath: socket, udsPath: uds, guestCID: cid, verbose: verbose))
        } catch {
            throw ValidationError("\(error)")
        }
        let signals = [SIGTERM, SIGINT].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { backend.stop() }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        do {
            try await backend.serve()
        } catch {
            FileHandle.standardError.write(Data("avps vsockd: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
