import AVPSCommands

await AVPSCommand.main()
