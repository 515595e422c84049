/// How much a hostile or broken agent may make the host hold.
///
/// Frames are bounded one by one (`LineFramer`), but a peer that sends endless well-formed frames
/// that answer nothing would make the host accumulate them (transcript, pending frames) without
/// bound: avps was seen killed at 4 GiB RSS. These budgets bound what one request may cost and
/// what a whole session may keep, and cap the strings that get copied into many results.
public struct AgentBudget: Sendable, Equatable {
    /// Bytes one request (or the wait for `ready`) may receive, its own answer included.
    public var bytesPerRequest: Int
    /// Frames one request may receive that are not its answer (stale frames, unknown events).
    public var unexpectedFramesPerRequest: Int
    /// Transcript text kept for the artifacts; later frames are counted, not kept.
    public var transcriptBytes: Int
    /// Longest agent error message or probe reason kept (a 1 MB error was copied into every result).
    public var messageCharacters: Int
    /// Longest string fact kept from a probe.
    public var factCharacters: Int
    /// Devices an inventory may list: the agent's own limit (PROTOCOL.md 6.2: more than 512 is an error).
    public var inventoryDevices: Int

    public init(bytesPerRequest: Int = 8 << 20, unexpectedFramesPerRequest: Int = 256, transcriptBytes: Int = 8 << 20,
                messageCharacters: Int = 1024, factCharacters: Int = 4096, inventoryDevices: Int = 512) {
        self.bytesPerRequest = bytesPerRequest
        self.unexpectedFramesPerRequest = unexpectedFramesPerRequest
        self.transcriptBytes = transcriptBytes
        self.messageCharacters = messageCharacters
        self.factCharacters = factCharacters
        self.inventoryDevices = inventoryDevices
    }

    public static let standard = AgentBudget()

    /// `text` cut to `limit` characters, saying how long it was.
    public static func capped(_ text: String, _ limit: Int) -> String {
        guard text.utf8.count > limit, text.count > limit else { return text }
        return String(text.prefix(limit)) + "…(\(text.utf8.count) bytes, cut)"
    }

    /// A probe result with its reason and string facts capped.
    func capped(_ result: ProbeResult) -> ProbeResult {
        var result = result
        result.reason = result.reason.map { Self.capped($0, messageCharacters) }
        result.facts = result.facts.mapValues { cappedFact($0) }
        return result
    }

    private func cappedFact(_ value: FactValue) -> FactValue {
        switch value {
        case .string(let text): .string(Self.capped(text, factCharacters))
        case .list(let items): .list(items.map(cappedFact))
        default: value
        }
    }
}

import AVPSModel
