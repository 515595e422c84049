import AVPSModel

extension HTMLReport {
    /// What the behavioural probes measured in the guest: one row per probe with its status,
    /// facts (or the reason it could not measure), so a verdict built on a probe can be checked.
    static func probeSection(_ evidence: Evidence?) -> HTML {
        guard let evidence, !evidence.probes.isEmpty || !evidence.hostObservations.isEmpty else { return "" }
        let rows = evidence.probes.map { probe -> HTML in
            let facts = probe.facts.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value.description)" }
            let detail: HTML = facts.isEmpty ? "" : "<pre>\(facts.joined(separator: "\n"))</pre>"
            let reason: HTML = probe.reason.map { "<p>\($0)</p>" } ?? ""
            let state = probe.status == .ok ? "ok" : probe.status.rawValue.uppercased()
            return """
            <tr class="p-\(probe.status.rawValue)"><td><code>\(probe.name)</code></td>\
            <td>\(probe.device, default: "–")</td><td>\(state)</td><td>\(reason)\(detail)</td></tr>
            """
        }
        let observations = evidence.hostObservations.sorted { $0.key < $1.key }.map { name, value -> HTML in
            "<tr><td><code>\(name)</code></td><td>\(value.description)</td></tr>"
        }
        let probeTable: HTML = rows.isEmpty ? "" : """
            <table class="probes"><caption>Probe results (\(rows.count))</caption>
            <thead><tr><th scope="col">Probe</th><th scope="col">Device</th><th scope="col">Status</th>\
            <th scope="col">Facts or reason</th></tr></thead>
            <tbody>\(HTML.joined(rows, separator: "\n"))</tbody></table>
            """
        let hostTable: HTML = observations.isEmpty ? "" : """
            <table class="host"><caption>Host observations</caption>
            <thead><tr><th scope="col">Observation</th><th scope="col">Value</th></tr></thead>
            <tbody>\(HTML.joined(observations))</tbody></table>
            """
        return "<h3>Probes</h3>\n\(probeTable)\n\(hostTable)"
    }

    /// Offered features, legacy flag, queues and decoded config per device, when the agent
    /// measured them (older results have none, and then this table is left out).
    static func deviceDetails(_ evidence: Evidence?) -> HTML {
        guard let devices = evidence?.devices,
              devices.contains(where: { $0.offered != nil || $0.queues != nil || $0.config != nil || $0.legacy != nil })
        else { return "" }
        let rows = devices.map { device -> HTML in
            let offered: HTML
            if let measured = device.offered {
                let bits = measured.bits.map { $0.bits.isEmpty ? "none" : $0.description }
                    ?? "not measured: \(measured.unavailableReason ?? "no reason given")"
                offered = "<code>\(bits)</code> (\(measured.method, default: "method unknown"))"
            } else {
                offered = "not measured"
            }
            let config = (device.config ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value.description)" }
            return """
            <tr><td><code>\(device.name)</code></td><td>\(offered)</td>\
            <td>\(device.legacy.map { $0 ? "yes" : "no" } ?? "–")</td>\
            <td class="num">\(device.queues.map(String.init) ?? "–")</td>\
            <td>\(config.isEmpty ? "–" : config.joined(separator: "; "))</td></tr>
            """
        }
        return """
        <table class="device-details"><caption>Offered features, queues and config</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Offered feature bits</th><th scope="col">Legacy</th>\
        <th scope="col">Queues</th><th scope="col">Config</th></tr></thead>
        <tbody>\(HTML.joined(rows, separator: "\n"))</tbody></table>
        """
    }
}
