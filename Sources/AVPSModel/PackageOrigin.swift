/// Where a target's QEMU build or guest kernel comes from (suite `qemu: {from: …}`, `kernel: {from: …}`),
/// so one machine can compare two real implementations side by side.
public enum PackageOrigin: String, Sendable, Codable, CaseIterable {
    /// The host's own: QEMU on PATH (or `$AVPS_QEMU`); the kernel package of the host's apt
    /// sources (Debian 12: Linux 6.1).
    case system
    /// Debian bookworm-backports (QEMU 10, Linux 6.12), fetched through avps's private apt
    /// configuration into the cache and run from there; nothing is installed on the host.
    case backports
}
