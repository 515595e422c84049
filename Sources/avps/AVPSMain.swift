import AVPSCommands

/// Entry point; everything lives in AVPSCommands so the commands can be tested as a library.
@main
enum AVPSMain {
    static func main() async {
        await AVPSCommand.main()
    }
}
