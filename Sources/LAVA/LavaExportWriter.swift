import Foundation

/// Writes one directory per target: the device dictionary, the job, the attached suite, the images
/// the job deploys (kernel and initramfs copied, so a job never depends on a cache that can change
/// under it; scratch disks as fresh sparse files) and, with a docker image, the dispatcher snippet.
public struct LavaExportWriter: Sendable {
    public struct Options: Sendable {
        public var suite: String
        public var profiles: [String]
        public var avpsVersion: String
        /// `avps` as the worker runs it.
        public var avps = "avps"
        /// Images are fetched from here (default: `file://` of each target's export directory).
        public var imageBaseURL: String?
        public var dockerImage: String?
        /// `avps run --boot-timeout` in the worker's `avps_run` (nil: avps's default).
        public var bootTimeoutSeconds: Int?
        /// Jobs for the autonomous agent (`LavaJob.autonomous`); the initramfs must hold the plan.
        public var autonomous = false
        /// Exit statuses of `avps run` that mean verdicts were reported.
        public var reportedStatuses: [Int32]

        public init(suite: String, profiles: [String], avpsVersion: String, reportedStatuses: [Int32]) {
            self.suite = suite
            self.profiles = profiles
            self.avpsVersion = avpsVersion
            self.reportedStatuses = reportedStatuses
        }
    }

    public var options: Options

    public init(options: Options) { self.options = options }

    /// Writes `target` under `directory/<target name>` and returns the job file's path.
    public func write(_ target: LavaTarget, into directory: URL) throws -> URL {
        let manager = FileManager.default
        let out = directory.appendingPathComponent(target.target.name, isDirectory: true)
        try manager.createDirectory(at: out, withIntermediateDirectories: true)
        let suiteFile = out.appendingPathComponent("suite.yaml")
        var job = LavaJob(target: target, suite: options.suite, profiles: options.profiles, avpsVersion: options.avpsVersion,
                          imageBaseURL: options.imageBaseURL.map { $0.hasSuffix("/") ? $0 : $0 + "/" }
                              ?? "file://" + out.path + "/",
                          dockerImage: options.dockerImage)
        job.dockerAVPS = options.avps
        job.autonomous = options.autonomous
        var dictionary = LavaDeviceDictionary(target: target, avps: options.avps, suitePath: suiteFile.path,
                                              reportedStatuses: options.reportedStatuses)
        dictionary.bootTimeoutSeconds = options.bootTimeoutSeconds
        try write(dictionary.render(), to: out.appendingPathComponent("\(target.device).jinja2"))
        if !options.autonomous {
            try write(LavaAttachedSuite(target: target, suite: options.suite, profiles: options.profiles).render(), to: suiteFile)
        }
        let jobFile = out.appendingPathComponent("job.yaml")
        try write(job.render(), to: jobFile)
        if options.dockerImage != nil { try write(job.dispatcherSnippet(), to: out.appendingPathComponent("dispatcher.yaml")) }
        for image in target.images {
            let destination = out.appendingPathComponent(LavaJob.fileName(of: image))
            if manager.fileExists(atPath: destination.path) { try manager.removeItem(at: destination) }
            if let sizeMiB = image.scratchSizeMiB {
                guard manager.createFile(atPath: destination.path, contents: nil) else {
                    throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: destination.path])
                }
                let handle = try FileHandle(forWritingTo: destination)
                defer { try? handle.close() }
                try handle.truncate(atOffset: UInt64(sizeMiB) << 20)  // sparse
            } else {
                try manager.copyItem(at: URL(fileURLWithPath: image.source), to: destination)
            }
        }
        return jobFile
    }

    private func write(_ text: String, to url: URL) throws {
        try Data(text.utf8).write(to: url, options: .atomic)
    }
}
