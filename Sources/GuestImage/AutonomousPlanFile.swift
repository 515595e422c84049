import Foundation

/// Where a guest keeps the plan its agent runs in autonomous mode (PROTOCOL.md 8: the kernel
/// command line word `avps.autonomous` makes the agent answer it without a host, on the console).
public enum AutonomousPlanFile {
    /// The agent's default (`AUTONOMOUS_DEFAULT_PLAN` in Sources/avps-agent/autonomous.h).
    public static let path = "/etc/avps/plan.jsonl"

    /// A cpio archive holding only the plan, to append to any initramfs.
    public static func archive(plan: Data) -> Data {
        var archive = CPIOArchive()
        archive.addFile(String(path.dropFirst()), contents: plan, permissions: 0o644)
        return archive.serialized()
    }

    /// `initramfs` (padded to 4 bytes, as the kernel expects between archives) with the plan appended.
    public static func appended(to initramfs: Data, plan: Data) -> Data {
        var combined = initramfs
        if combined.count % 4 != 0 { combined.append(Data(count: 4 - combined.count % 4)) }
        combined.append(archive(plan: plan))
        return combined
    }
}
