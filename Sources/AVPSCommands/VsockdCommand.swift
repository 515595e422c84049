import ArgumentParser
import Dispatch
import Foundation
import VhostUserVsock

/// `avps vsockd`: the project's vhost-user-vsock backend on its own, a drop-in for rust-vmm's
/// `vhost-device-vsock --vm guest-cid=N,socket=PATH,uds-path=PATH` (one VM or several).
struct VsockdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vsockd",
        abstract: "Run the vhost-user-vsock device backend for one VM, or for several that reach each other.",
        discussion: """
            Start it before QEMU (QEMU exits if the socket is not listening), then give QEMU \
            -chardev socket,id=vs,path=SOCKET -device vhost-user-vsock-pci,chardev=vs and guest RAM \
            on a shared memfd (-object memory-backend-memfd,id=mem,size=...,share=on \
            -machine memory-backend=mem). Host programs connect to UDS and send "CONNECT <port>\\n" \
            (answer "OK <n>\\n"); guest connections to host port P go to UDS_P. \
            With several --vm cid=N,socket=PATH,uds=PATH the guests also reach each other by CID \
            (guest-to-guest vsock; the host stays CID 2), each VM keeping its own host-side UDS. \
            The backend exits when every VM's QEMU has connected and disconnected (a VM whose QEMU \
            restarts is served again), or on SIGTERM/SIGINT.
            """)

    @Option(help: "vhost-user socket QEMU connects to (one VM; or use --vm).")
    var socket: String?

    @Option(help: "Hybrid vsock Unix socket for the host side (one VM; the default uds= of a single --vm).")
    var uds: String?

    @Option(help: "Guest context id (3 or more) of the one VM given with --socket.")
    var cid: UInt64 = 3

    @Option(name: .customLong("vm"), help: "cid=N,socket=PATH,uds=PATH: one VM of this backend (repeat it for guest-to-guest vsock).")
    var vms: [String] = []

    @Flag(help: "Log malformed messages and connection trouble to stderr.")
    var verbose = false

    @Option(name: .customLong("delay-ms"), help: ArgumentHelp("Hold every delivery to a guest this long (a negative control).", visibility: .hidden))
    var delay = 0

    func backendConfiguration() throws -> VsockBackendConfiguration {
        do {
            if vms.isEmpty {
                guard let socket, let uds else { throw ValidationError("give --socket and --uds, or one --vm per VM") }
                return VsockBackendConfiguration(socketPath: socket, udsPath: uds, guestCID: cid, verbose: verbose)
            }
            guard socket == nil else { throw ValidationError("--socket and --vm do not mix: give every VM as --vm") }
            let defaultUDS = vms.count == 1 ? uds : nil
            if uds != nil && vms.count > 1 { throw ValidationError("--uds names one VM's socket: give uds= in each --vm") }
            var configuration = VsockBackendConfiguration(
                vms: try vms.map { spec throws(VhostUserError) in try VsockVM.parse(spec, defaultUDS: defaultUDS) }, verbose: verbose)
            guard (0...1000).contains(delay) else { throw ValidationError("--delay-ms must be 0...1000") }
            configuration.deliveryDelayMilliseconds = delay
            return configuration
        } catch let error as VhostUserError {
            throw ValidationError("\(error)")
        }
    }

    func run() async throws {
        let backend: VsockBackend
        do {
            backend = try VsockBackend(try backendConfiguration())
        } catch let error as VhostUserError {
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
