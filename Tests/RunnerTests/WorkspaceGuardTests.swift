#if canImport(Glibc)
import Glibc
#endif
import HypervisorCore
import Testing

/// The workspace guard lives as long as the process that started it, so it must hold none of that
/// process's descriptors: one it kept made a reader wait forever for the end of a child's output.
@Suite("workspace guard")
struct WorkspaceGuardTests {
    @Test("a pipe open (not close-on-exec) when a guard starts still ends when its writer closes it")
    func guardKeepsNoInheritedDescriptor() throws {
        var ends: [Int32] = [-1, -1]
        try #require(pipe(&ends) == 0)  // like a pipe just made for a child, before close-on-exec
        defer { close(ends[0]) }
        let guardSocket = try #require(WorkspaceGuard.start())
        defer { close(guardSocket) }  // end of input: this guard removes nothing and exits
        close(ends[1])
        var poller = pollfd(fd: ends[0], events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, 5_000)
        var byte: UInt8 = 0
        let count = ready > 0 ? read(ends[0], &byte, 1) : -1
        #expect(count == 0, "no end of file within 5 s: the guard kept the pipe's write end open")
    }
}
