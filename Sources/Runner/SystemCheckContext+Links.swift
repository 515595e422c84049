import AVPSModel

/// What the link checks (guest-to-guest vsock, shared memory) ask of the system's VMs.
extension SystemCheckContext {
    /// The VM's position in the system (it decides its vsock CID).
    func position(_ vm: String) -> Int? { system.vms.firstIndex { $0.membership?.vm == vm } }

    /// The links of one kind with their position among the system's links.
    func links(_ kind: SystemLink.Kind) -> [(index: Int, link: SystemLink)] {
        system.links.enumerated().filter { $0.element.kind == kind }.map { ($0.offset, $0.element) }
    }

    /// The VMs of `link` that are not up, as a reason; nil when all are.
    func missing(_ link: SystemLink) -> String? {
        let down = link.vms.filter { member($0) == nil }
        return down.isEmpty ? nil : "VM(s) \(down.joined(separator: ", ")) of the link did not come up"
    }
}
