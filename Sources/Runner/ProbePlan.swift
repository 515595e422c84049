import AVPSModel
import AgentProtocol

/// Which probes to run for the devices the guest actually has. A device type with no probe, or
/// a device that is absent, gets no request: absence is the inventory's business, not a probe's.
/// Devices that are not virtio have no inventory: their probes (`platformProbes`) run on every
/// target and report what the guest has, zero included.
struct ProbePlan {
    /// Address the guest gives its first network interface (QEMU user networking: 10.0.2.0/24).
    static let guestAddress = "10.0.2.15"
    /// Where QEMU user networking reaches the host's loopback.
    static let hostAddress = "10.0.2.2"

    /// Host port of the UDP echo peer, when one runs.
    var echoPort: Int?
    /// True when every block device belongs to a disk image avps created for this target, so the
    /// block probe may overwrite part of it.
    var disksAreScratch: Bool
    /// Named virtio-serial ports whose host end the runner can read (console.transfer).
    var consolePorts: [String] = []
    /// Seed of this target's storage patterns (each device adds its index, so one disk's pattern
    /// is never found in another's image); fresh per target, so a stale image from an earlier
    /// run cannot stand in for this run's write. nil: the fixed `plannedSeed` for every device,
    /// for a plan written before the guest's devices are known (autonomous mode).
    var dataSeed: UInt64? = Self.freshSeed()
    /// File the 9p probe leaves in the share for the host to check (`HostDataCheck`); nil when
    /// no host will look (autonomous mode).
    var keepFile: String? = "avps-host-check-" + String(Self.freshSeed(), radix: 16)
    /// Bytes and seed of each console.transfer.
    static let consoleBytes = 65536
    static let consoleSeed: UInt32 = 0x5eed_c0de

    /// A second NIC avps added for a system's guest-to-guest link (its MAC is in the link range,
    /// `SystemMembership.networkMAC`): the system stage measures it; it has no host echo peer.
    static func isSystemLinkNIC(_ device: VirtioDeviceRecord) -> Bool {
        guard case .string(let mac)? = device.config?["mac"] else { return false }
        return mac.lowercased().hasPrefix(SystemMembership.networkMACPrefix)
    }

    func requests(for devices: [VirtioDeviceRecord]) -> [ProbeRequest] {
        var requests: [ProbeRequest] = []
        var netProbed = false
        for (index, device) in devices.enumerated() {
            let seed = FactValue.int(Int64(dataSeed.map { $0 &+ UInt64(index) } ?? Self.plannedSeed))
            switch device.deviceID {
            case 1 where !netProbed && !Self.isSystemLinkNIC(device):
                netProbed = true
                var params: [String: FactValue] = ["address": .string(Self.guestAddress), "prefix": .int(24)]
                requests.append(ProbeRequest(name: "net.link", device: device.name, params: params))
                if let echoPort {
                    params["peer"] = .string(Self.hostAddress)
                    params["port"] = .int(Int64(echoPort))
                    params["count"] = .int(20)
                    requests.append(ProbeRequest(name: "net.udp_echo", device: device.name, params: params))
                }
            case 2:
                requests.append(ProbeRequest(name: "block.integrity", device: device.name, params: [
                    "allow_write": .bool(disksAreScratch), "offset": .int(1 << 20), "bytes": .int(4 << 20), "seed": seed,
                ]))
            case 3:
                requests.append(ProbeRequest(name: "console.ports", device: device.name))
                for port in consolePorts {
                    requests.append(ProbeRequest(name: "console.transfer", device: device.name, params: [
                        "port": .string(port), "bytes": .int(Int64(Self.consoleBytes)), "seed": .int(Int64(Self.consoleSeed)),
                    ]))
                }
            case 4: requests.append(ProbeRequest(name: "entropy.rate", device: device.name,
                                                 params: ["bytes": .int(16384), "max_seconds": .int(3)]))
            case 5: requests.append(ProbeRequest(name: "balloon.stats", device: device.name))
            case 9: requests.append(ProbeRequest(name: "9p.fileops", device: device.name, params: keepFile.map { ["keep_file": .string($0)] } ?? [:]))
            case 16: requests.append(ProbeRequest(name: "gpu.modes", device: device.name))
            case 18: requests.append(ProbeRequest(name: "input.caps", device: device.name))
            case 20: requests.append(ProbeRequest(name: "crypto.cipher", device: device.name))
            case 23: requests.append(ProbeRequest(name: "iommu.groups", device: device.name))
            case 25: requests.append(ProbeRequest(name: "sound.pcms", device: device.name))
            case 27: requests.append(ProbeRequest(name: "pmem.integrity", device: device.name, params: [
                "allow_write": .bool(disksAreScratch), "offset": .int(1 << 20), "bytes": .int(Int64(Self.pmemBytes)), "seed": seed,
            ]))
            default: continue
            }
        }
        return requests + Self.platformProbes
    }

    /// Probes about the platform rather than one virtio device: the buses the guest kernel sees
    /// (RTC, CAN, GPIO, I2C, SCMI) and the watchdog (arm, set, feed, disarm; never let it fire).
    static let platformProbes = [
        ProbeRequest(name: "platform.buses", device: nil),
        ProbeRequest(name: "watchdog.basic", device: nil),
    ]

    /// Probes that overwrite part of a device when the disks are scratch (params.allow_write).
    static let writingProbes: Set<String> = ["block.integrity", "pmem.integrity"]

    /// Bytes of the pmem pattern; the runner checks the same pattern in the backing file.
    static let pmemBytes = 4 << 20

    /// The storage seed of a plan without `dataSeed`.
    static let plannedSeed: UInt64 = 0x5eed_9e11

    /// A random seed below 2^48: positive as a JSON integer however many devices add their index.
    static func freshSeed() -> UInt64 { UInt64.random(in: 1..<(1 << 48)) }
}
