import AVPSModel

extension SuiteLoader {
    static let sshKeys = ["host", "port", "user", "identity", "known_hosts", "accept_new_host_key", "qemu",
                          "remote_dir", "connect_timeout_s"]

    /// `ssh: {host, port, user, identity, known_hosts, accept_new_host_key, qemu, remote_dir, connect_timeout_s}`
    static func sshSpec(_ reader: YAMLNodeReader, allowedKeys: [String] = sshKeys) throws(LoadError) -> SSHSpec {
        let mapping = try reader.mapping(allowedKeys: allowedKeys)
        let host = try mapping.requiredString("host")
        guard !host.contains(where: { $0.isWhitespace || $0 == "@" }) else {
            throw try mapping.required("host").error("a host name or address only (put the login name in `user:`)")
        }
        let port = try mapping.optionalInt("port") ?? 22
        guard (1...65535).contains(port) else { throw try mapping.required("port").error("must be 1...65535") }
        let timeout = try mapping.optionalInt("connect_timeout_s") ?? 10
        guard (1...600).contains(timeout) else {
            throw try mapping.required("connect_timeout_s").error("must be 1...600 seconds")
        }
        let remoteDirectory = try mapping.optionalString("remote_dir") ?? "/tmp"
        guard remoteDirectory.hasPrefix("/") else {
            throw try mapping.required("remote_dir").error("must be an absolute path on the remote host")
        }
        func nonEmpty(_ key: String) throws(LoadError) -> String? {
            guard let value = mapping.optional(key) else { return nil }
            return try value.nonEmptyString()
        }
        return SSHSpec(
            host: host, port: port, user: try nonEmpty("user"), identity: try nonEmpty("identity"),
            knownHosts: try nonEmpty("known_hosts"),
            acceptNewHostKey: try mapping.optional("accept_new_host_key")?.bool() ?? false,
            qemu: try nonEmpty("qemu") ?? "qemu-system-x86_64", remoteDirectory: remoteDirectory,
            connectTimeoutSeconds: timeout)
    }

    /// `external.remote`: the `ssh:` keys (except `qemu`: the external commands name their own
    /// programs) plus `upload: {NAME: LOCAL_PATH}`, files copied into the remote `{workspace}`.
    static func externalRemote(_ reader: YAMLNodeReader) throws(LoadError) -> ExternalRemote {
        let keys = sshKeys.filter { $0 != "qemu" } + ["upload"]
        let ssh = try sshSpec(reader, allowedKeys: keys)
        var uploads: [String: String] = [:]
        if let upload = try reader.mapping(allowedKeys: keys).optional("upload") {
            let files = try upload.mapping()
            for name in files.keys {
                let value = try files.required(name)
                guard !name.isEmpty, !name.contains("/"), !name.hasPrefix("."),
                      !ExternalRemote.reservedNames.contains(name) else {
                    throw value.error("upload name \"\(name)\" must be a plain file name (no `/`, not hidden, not one of "
                        + "\(ExternalRemote.reservedNames.sorted().joined(separator: ", ")))")
                }
                uploads[name] = try value.nonEmptyString()
            }
        }
        return ExternalRemote(ssh: ssh, uploads: uploads)
    }

    /// `adapter: ssh` needs `ssh:`, and `ssh:` means nothing to any other adapter.
    static func checkSSHSection(adapter: String, ssh: SSHSpec?, mapping: YAMLMapping) throws(LoadError) {
        if adapter == "ssh", ssh == nil {
            throw try mapping.required("adapter").error("adapter ssh needs an `ssh:` section (at least `host:`)")
        }
        if adapter != "ssh", ssh != nil {
            throw try mapping.required("ssh").error("only used with `adapter: ssh` (this target's adapter is \(adapter))")
        }
    }
}
