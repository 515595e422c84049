import AVPSCommands
#if canImport(Glibc)
import Glibc
#endif

/// Entry point; everything lives in AVPSCommands so the commands can be tested as a library.
@main
enum AVPSMain {
    static func main() async {
        // A peer that goes away (a dead guest's socket, a helper process) must surface as an
        // EPIPE error where it happens, never as a signal that kills avps mid-cleanup.
        signal(SIGPIPE, SIG_IGN)
        await AVPSCommand.main()
    }
}
