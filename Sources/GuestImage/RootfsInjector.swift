import Foundation

/// Writes `AgentInjection.files` into a vendor root filesystem: a directory, or a raw ext2/3/4 image
/// edited in place with e2fsprogs' `debugfs` (no loop mount, no root privileges for the image
/// itself, never a hand-written ext4).
struct RootfsInjector: Sendable {
    enum Kind: Equatable {
        case directory
        case ext4Image
    }

    /// A directory, or a file starting with an ext2/3/4 superblock (magic 0xEF53 at byte 1080).
    static func kind(of url: URL) throws(GuestImageError) -> Kind {
        if CacheFiles.isDirectory(url) { return .directory }
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw .kernelInputInvalid(path: url.path, reason: "no such root filesystem (a directory or a raw ext4 image)")
        }
        defer { try? handle.close() }
        let magic = (try? handle.seek(toOffset: 1080)).flatMap { try? handle.read(upToCount: 2) } ?? Data()
        guard magic == Data([0x53, 0xEF]) else {
            throw .kernelInputInvalid(path: url.path, reason: "not an ext2/3/4 file system image (a partitioned disk? "
                                      + "pass its root partition as a file of its own, or a directory)")
        }
        return .ext4Image
    }

    func inject(_ files: [AgentInjection.File], into root: URL) async throws(GuestImageError) {
        switch try Self.kind(of: root) {
        case .directory: try write(files, toDirectory: root)
        case .ext4Image: try await write(files, toImage: root)
        }
    }

    private func write(_ files: [AgentInjection.File], toDirectory root: URL) throws(GuestImageError) {
        let manager = FileManager.default
        do {
            for directory in AgentInjection.directories(for: files) {
                try manager.createDirectory(atPath: root.path + directory, withIntermediateDirectories: true)
            }
            for file in files {
                let path = root.path + file.path
                if (try? manager.destinationOfSymbolicLink(atPath: path)) != nil || manager.fileExists(atPath: path) {
                    try manager.removeItem(atPath: path)
                }
                switch file.content {
                case let .data(data):
                    try data.write(to: URL(fileURLWithPath: path))
                    try manager.setAttributes([.posixPermissions: Int(file.mode)], ofItemAtPath: path)
                case let .symlink(target):
                    try manager.createSymbolicLink(atPath: path, withDestinationPath: target)
                }
            }
        } catch {
            throw .io(operation: "inject the agent", path: root.path, reason: "\(error)")
        }
    }

    /// One `debugfs -w -f COMMANDS IMAGE` run: existing entries are removed first, missing directories
    /// made, files written from a scratch copy, modes and owner (root) set with `set_inode_field`.
    ///
    /// Only missing directories are made: debugfs 1.47's `mkdir` of an existing directory allocates
    /// an inode and a block before it notices, and leaves them leaked (e2fsck then reports errors).
    private func write(_ files: [AgentInjection.File], toImage image: URL) async throws(GuestImageError) {
        let scratch = try CacheFiles.makeTemporaryDirectory(in: FileManager.default.temporaryDirectory)
        defer { CacheFiles.remove(scratch) }
        var commands: [String] = []
        for directory in AgentInjection.directories(for: files) where !(try await exists(directory, in: image)) {
            commands.append("mkdir \(directory)")
        }
        for (index, file) in files.enumerated() {
            commands.append("rm \(file.path)")
            switch file.content {
            case let .data(data):
                let local = scratch.appendingPathComponent("file\(index)")
                try CacheFiles.writeAtomically(data, to: local)
                commands.append("write \(local.path) \(file.path)")
                commands.append("set_inode_field \(file.path) mode 0100\(String(file.mode, radix: 8))")
            case let .symlink(target):
                commands.append("symlink \(file.path) \(target)")
            }
            commands += ["set_inode_field \(file.path) uid 0", "set_inode_field \(file.path) gid 0"]
        }
        let script = scratch.appendingPathComponent("commands")
        try CacheFiles.writeAtomically(Data((commands.joined(separator: "\n") + "\n").utf8), to: script)
        let result = try await HostTool.debugfs.capture(["-w", "-f", script.path, image.path])
        guard result.succeeded else {
            throw .commandFailed(command: "debugfs -w -f \(script.path) \(image.path)", status: "\(result.status)",
                                 output: HostTool.tail(result.stderr))
        }
        // debugfs reports a failed command on stderr and carries on; `rm` of what is not there is
        // expected, anything else is a real failure.
        let failures = result.stderr.split(separator: "\n").filter {
            !$0.hasPrefix("debugfs ") && !$0.contains("File not found by ext2_lookup")
        }
        guard failures.isEmpty else {
            throw .commandFailed(command: "debugfs on \(image.path)", status: "errors", output: failures.joined(separator: "\n"))
        }
    }

    /// Whether `path` exists in the image (`debugfs -R stat`, read-only).
    private func exists(_ path: String, in image: URL) async throws(GuestImageError) -> Bool {
        let result = try await HostTool.debugfs.capture(["-R", "stat \(path)", image.path])
        return result.succeeded && !result.stderr.contains("File not found by ext2_lookup")
    }
}
