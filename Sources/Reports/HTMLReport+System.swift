import AVPSModel

extension HTMLReport {
    /// Where a result sits in a system: a VM names its system, a system's own result names its
    /// VMs and shows what was measured between them. Single guests get nothing.
    static func systemSection(_ target: TargetResult) -> HTML {
        guard let system = target.system else { return "" }
        guard let vms = target.vms else {
            return "<p class=\"system\">VM of system <strong>\(system)</strong>; requirements about the VMs together are in the system's own result.</p>"
        }
        let observations = (target.systemObservations ?? [:]).sorted { $0.key < $1.key }.map { name, value -> HTML in
            "<tr><td><code>\(name)</code></td><td>\(value.description)</td></tr>"
        }
        let table: HTML = observations.isEmpty ? "<p>Nothing was measured between the VMs.</p>" : """
            <table class="host"><caption>Measured between the VMs</caption>
            <thead><tr><th scope="col">Observation</th><th scope="col">Value</th></tr></thead>
            <tbody>\(HTML.joined(observations))</tbody></table>
            """
        let names = HTML.joined(vms.map { "<code>\($0)</code>" as HTML }, separator: ", ")
        return """
        <p class="system">System of \(vms.count) VMs: \(names). This result holds the requirements about \
        the VMs together (isolation, guest-to-guest traffic); each VM's own requirements are in its result.</p>
        \(table)
        """
    }

    /// The guest, device and probe sections: a system's own result has no guest of its own.
    static func guestSections(_ target: TargetResult) -> HTML {
        if target.isSystemResult { return "" }
        return """
        \(guestSection(target.evidence))
        \(deviceDetails(target.evidence))
        \(probeSection(target.evidence))
        """
    }
}
