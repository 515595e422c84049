import Foundation

/// What the avps agent needs inside a vendor's own guest image, and nothing else: the static agent,
/// a systemd unit that starts it early, and a SysV init script for images without systemd.
///
/// The agent is static, so it runs whatever the image's libc; it finds its channel itself (the
/// virtio-serial port `org.avps.agent.0`, else vsock). It waits for udev to settle so the virtio
/// modules the image loads itself are in place before it looks.
public enum AgentInjection {
    public static let agentPath = "/usr/local/sbin/avps-agent"
    public static let unitPath = "/etc/systemd/system/avps-agent.service"
    public static let sysvPath = "/etc/init.d/avps-agent"

    public struct File: Sendable, Equatable {
        public enum Content: Sendable, Equatable {
            case data(Data)
            case symlink(String)
        }
        public var path: String
        public var content: Content
        public var mode: UInt16
    }

    public static let unit = """
        # Installed by `avps guest inject`: the avps conformance agent. It talks to the avps host over the
        # virtio-serial port org.avps.agent.0 (or vsock) and powers the guest off when the host is done.
        [Unit]
        Description=avps conformance agent
        DefaultDependencies=no
        Wants=systemd-udev-settle.service
        After=systemd-udev-settle.service local-fs.target

        [Service]
        ExecStart=\(agentPath)
        Restart=on-failure
        StandardOutput=journal+console
        StandardError=journal+console

        [Install]
        WantedBy=multi-user.target

        """

    public static let sysvScript = """
        #!/bin/sh
        ### BEGIN INIT INFO
        # Provides:          avps-agent
        # Required-Start:    $local_fs
        # Required-Stop:
        # Default-Start:     2 3 4 5
        # Default-Stop:
        # Short-Description: avps conformance agent (installed by `avps guest inject`)
        ### END INIT INFO
        # For busybox init, add to /etc/inittab:  ::sysinit:/etc/init.d/avps-agent start
        case "$1" in
          start) \(agentPath) </dev/null >/dev/console 2>&1 & ;;
          stop) killall avps-agent 2>/dev/null ;;
          *) echo "usage: $0 start|stop"; exit 1 ;;
        esac

        """

    /// Every file the injection writes, with its mode (symbolic links: the target).
    /// `plan`: the autonomous-mode plan (`avps guest plan`), written to `AutonomousPlanFile.path`.
    public static func files(agent: Data, plan: Data? = nil) -> [File] {
        let planFile = plan.map { [File(path: AutonomousPlanFile.path, content: .data($0), mode: 0o644)] } ?? []
        return planFile + [
            File(path: agentPath, content: .data(agent), mode: 0o755),
            File(path: unitPath, content: .data(Data(unit.utf8)), mode: 0o644),
            File(path: "/etc/systemd/system/multi-user.target.wants/avps-agent.service",
                 content: .symlink(unitPath), mode: 0o777),
            File(path: sysvPath, content: .data(Data(sysvScript.utf8)), mode: 0o755),
        ] + (2...5).map {
            File(path: "/etc/rc\($0).d/S99avps-agent", content: .symlink("../init.d/avps-agent"), mode: 0o777)
        }
    }

    /// The directories the files need, parents first.
    public static func directories(for files: [File]) -> [String] {
        var result: [String] = []
        for file in files {
            var parents: [String] = []
            var path = (file.path as NSString).deletingLastPathComponent
            while path != "/" && !path.isEmpty {
                parents.insert(path, at: 0)
                path = (path as NSString).deletingLastPathComponent
            }
            for parent in parents where !result.contains(parent) { result.append(parent) }
        }
        return result
    }
}
