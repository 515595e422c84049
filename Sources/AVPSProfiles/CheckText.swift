import AVPSModel

/// One-line descriptions of checks and conditions, in profile terms, for `avps profile show`.
public enum CheckText {
    public static func describe(_ check: Check) -> String {
        switch check {
        case .devicePresent(let selector):
            return "device_present: \(selector)"
        case .driverReady(let selector), .negotiatedSubsetOfOffered(let selector), .notLegacy(let selector),
             .standardTransport(let selector), .pciModernCapabilities(let selector), .definedFeatureWords(let selector):
            return "\(check.kind): \(selector)"
        case .legacyInterface(let selector, let present):
            return "legacy_interface: \(selector) \(present ? "presents" : "does not present") the legacy interface"
        case .mmioVersion(let selector, let version):
            return "mmio_version: \(selector) Version == \(version)"
        case .featureNegotiated(let selector, let bit), .featureOffered(let selector, let bit):
            let feature = VirtioCatalogue.feature(bit: bit, forDevice: selector.deviceID)
            return "\(check.kind): \(selector) \(feature?.constant ?? "bit \(bit)") (bit \(bit))"
        case .config(let selector, let field, let comparison):
            return "config: \(selector).\(field) \(comparison)"
        case .probe(let name, let device, let fact, let comparison):
            return "probe: \(name)\(device.map { " on \($0)" } ?? "") fact \(fact) \(comparison)"
        case .host(let observation, let comparison):
            return "host: \(observation) \(comparison)"
        case .system(let observation, let comparison):
            return "system: \(observation) \(comparison) (decided on a system of two or more VMs)"
        case .hardwareVirtualization:
            return "hardware_virtualization: accelerator used vs the host CPU's extensions"
        case .inventoryCorroborated:
            return "inventory_corroborated: the agent's devices and offered bits vs the hypervisor's own (QMP)"
        }
    }

    public static func describe(_ condition: Condition) -> String {
        switch condition {
        case .devicePresent(let selector): "device_present: \(selector)"
        case .notWithheld(let kind): "not_withheld: \(kind)"
        case .probe(let name, let fact, let comparison): "probe: \(name) fact \(fact) \(comparison)"
        case .all(let parts): parts.map(describe).joined(separator: " and ")
        }
    }
}
