import AVPSModel
import AgentProtocol
import Foundation
import HypervisorCore
import QEMUHypervisor
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A host program behind the hybrid-vsock convention: guests connecting to host port P reach
/// the Unix socket `<uds>_P`. Serves the agent's bulk `echo N` command on a thread of its own.
final class HostEchoServer: @unchecked Sendable {
    private let listener: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0 && listen(listener, 4) == 0)
        let fd = listener
        Thread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                Self.serve(client)
                Glibc.close(client)
            }
        }.start()
    }

    private static func serve(_ fd: Int32) {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1 && byte != 10 { line.append(byte) }
        let words = String(decoding: line, as: UTF8.self).split(separator: " ")
        guard words.count == 2, words[0] == "echo", var left = Int(words[1]) else { return }
        var buffer = [UInt8](repeating: 0, count: 256 << 10)
        while left > 0 {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, min($0.count, left)) }
            if count <= 0 { return }
            var sent = 0
            while sent < count {
                let wrote = buffer.withUnsafeBytes { send(fd, $0.baseAddress.map { $0 + sent }, count - sent, Int32(MSG_NOSIGNAL)) }
                if wrote <= 0 { return }
                sent += wrote
            }
            left -= count
        }
    }

    func close() {
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
        unlink(path)
    }
}
