import Foundation

extension DataDirectory {
    /// The data directory of this process: its environment, working directory and executable
    /// (`/proc/self/exe`, so an `avps` found through `PATH` or a symbolic link still finds its share).
    public static var current: DataDirectory? {
        locate(environment: ProcessInfo.processInfo.environment,
               workingDirectory: FileManager.default.currentDirectoryPath,
               executable: Bundle.main.executableURL?.resolvingSymlinksInPath().path ?? CommandLine.arguments.first,
               isDirectory: { path in
                   var directory: ObjCBool = false
                   return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
               })
    }
}
