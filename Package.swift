// swift-tools-version: 6.2
import Foundation
import PackageDescription

/// Warnings are errors when `AVPS_STRICT` is set (ci/test sets it); locally they stay warnings so
/// that an in-progress edit can still be run. Only this package's targets are affected.
let warningsAsErrors: [SwiftSetting] =
    ProcessInfo.processInfo.environment["AVPS_STRICT"] == nil ? [] : [.unsafeFlags(["-warnings-as-errors"])]

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
] + warningsAsErrors

let package = Package(
    name: "avps",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "avps", targets: ["avps"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        // Value types only: virtio catalogue, profiles, evidence, verdicts. No I/O.
        .target(name: "AVPSModel", swiftSettings: strict),
        // YAML profiles -> Profile, with file:line:field errors.
        .target(name: "AVPSProfiles", dependencies: ["AVPSModel", .product(name: "Yams", package: "Yams")],
                swiftSettings: strict),
        // JSON Lines wire format to the in-guest agent, over any byte stream.
        .target(name: "AgentProtocol", dependencies: ["AVPSModel"], swiftSettings: strict),
        // Reference guest: distro kernel, modules, busybox, the static agent, packed as an initramfs.
        .target(name: "GuestImage", dependencies: [
            "AVPSModel",
            .product(name: "Subprocess", package: "swift-subprocess"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: strict),
        // What Swift cannot express for the vsock backend: SCM_RIGHTS, eventfd, 16-bit ring atomics, AF_VSOCK.
        .target(name: "CVhostShim", cSettings: [.unsafeFlags(["-Wall", "-Wextra", "-Werror"])]),
        // Our own vhost-user-vsock device backend with the hybrid-vsock Unix socket API.
        .target(name: "VhostUserVsock", dependencies: ["CVhostShim"], swiftSettings: strict),
        // libvirt's C API (libvirt-dev), for the libvirt adapter.
        .systemLibrary(name: "CLibvirt", pkgConfig: "libvirt", providers: [.apt(["libvirt-dev"])]),
        // libssh's C API (libssh-dev), for the remote adapter over SSH.
        .systemLibrary(name: "CLibssh", pkgConfig: "libssh", providers: [.apt(["libssh-dev"])]),
        // What every hypervisor adapter shares: the `Hypervisor` protocol, launches, errors, workspaces,
        // the orphan guard, agent streams, QMP. Adapters boot and tear down; they never score.
        .target(name: "HypervisorCore", dependencies: [
            "AVPSModel", "AgentProtocol", "VhostUserVsock",
            .product(name: "Subprocess", package: "swift-subprocess"),
        ], path: "Sources/Hypervisors/Core", exclude: ["README.md"], swiftSettings: strict),
        // One target per adapter (Sources/Hypervisors/<Adapter>/README.md): each depends on the core, the
        // remote ones (ssh, external with `remote:`) on SSHTransport; the ssh adapter runs the qemu
        // adapter's command line on another host.
        .target(name: "QEMUHypervisor", dependencies: [
            "AVPSModel", "AgentProtocol", "HypervisorCore",
            .product(name: "Subprocess", package: "swift-subprocess"),
        ], path: "Sources/Hypervisors/QEMU", exclude: ["README.md"], swiftSettings: strict),
        .target(name: "LibvirtHypervisor", dependencies: ["AVPSModel", "AgentProtocol", "HypervisorCore", "CLibvirt"],
                path: "Sources/Hypervisors/Libvirt", exclude: ["README.md"], swiftSettings: strict),
        // libssh sessions, channels, SFTP, remote supervisors and janitors: what the remote adapters share.
        .target(name: "SSHTransport", dependencies: ["AVPSModel", "AgentProtocol", "HypervisorCore", "CLibssh"],
                path: "Sources/Hypervisors/SSHTransport", exclude: ["README.md"], swiftSettings: strict),
        .target(name: "SSHHypervisor", dependencies: [
            "AVPSModel", "AgentProtocol", "HypervisorCore", "QEMUHypervisor", "SSHTransport",
        ], path: "Sources/Hypervisors/SSH", exclude: ["README.md"], swiftSettings: strict),
        .target(name: "ExternalHypervisor", dependencies: [
            "AVPSModel", "AgentProtocol", "HypervisorCore", "SSHTransport",
            .product(name: "Subprocess", package: "swift-subprocess"),
        ], path: "Sources/Hypervisors/External", exclude: ["README.md"], swiftSettings: strict),
        // Pure: checks x evidence -> verdicts.
        .target(name: "Scoring", dependencies: ["AVPSModel"], swiftSettings: strict),
        // Plan, lifecycle, stages, timeouts: turns a target + profile into a TargetResult.
        .target(name: "Runner", dependencies: [
            "AVPSModel", "AVPSProfiles", "AgentProtocol", "GuestImage", "HypervisorCore", "QEMUHypervisor", "Scoring",
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: strict),
        // libxml2's streaming writer (libxml2-dev): junit.xml escaping without building a DOM.
        .systemLibrary(name: "CLibxml2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        // results.json, junit.xml, report.html.
        .target(name: "Reports", dependencies: [
            "AVPSModel", "CLibxml2", .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: strict),
        // LAVA back end: a target's QEMU launch as a LAVA device dictionary, job and attached suite.
        .target(name: "LAVA", dependencies: [
            "AVPSModel", "HypervisorCore", "QEMUHypervisor", .product(name: "Yams", package: "Yams"),
            .product(name: "Subprocess", package: "swift-subprocess"),
        ], swiftSettings: strict),
        // swift-argument-parser commands; `avps` main stays tiny.
        .target(name: "AVPSCommands", dependencies: [
            "AVPSModel", "AVPSProfiles", "GuestImage", "Runner", "Reports", "VhostUserVsock", "LAVA",
            "HypervisorCore", "QEMUHypervisor", "LibvirtHypervisor", "SSHHypervisor", "ExternalHypervisor",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: strict),
        .executableTarget(name: "avps", dependencies: ["AVPSCommands"], swiftSettings: strict),

        .testTarget(name: "AVPSProfilesTests", dependencies: ["AVPSProfiles"],
                    resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "ScoringTests", dependencies: ["Scoring"], swiftSettings: strict),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"], exclude: ["Golden"], swiftSettings: strict),
        .testTarget(name: "AgentProtocolTests", dependencies: ["AgentProtocol", "AVPSProfiles", "Scoring"],
                    resources: [.copy("Golden")], swiftSettings: strict),
        .testTarget(name: "RunnerTests", dependencies: ["Runner", "Reports"], swiftSettings: strict),
        .testTarget(name: "VhostUserVsockTests", dependencies: ["VhostUserVsock", "CVhostShim"], swiftSettings: strict),
        .testTarget(name: "LAVATests", dependencies: ["LAVA", "AVPSProfiles", "Reports", "ExternalHypervisor"],
                    exclude: ["Golden"], swiftSettings: strict),
        .testTarget(name: "GuestImageTests", dependencies: ["GuestImage"], swiftSettings: strict),
        // Boots real QEMU guests; needs the packages ci/setup installs.
        .testTarget(name: "IntegrationTests", dependencies: [
            "Runner", "GuestImage", "AVPSProfiles", "Reports",
            "HypervisorCore", "QEMUHypervisor", "LibvirtHypervisor", "SSHHypervisor", "SSHTransport", "ExternalHypervisor",
        ], exclude: ["HostilePlatform", "Recorded"], swiftSettings: strict),
    ]
)
