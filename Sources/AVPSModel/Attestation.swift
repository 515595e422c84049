/// A vendor's signed statement that one requirement is met on one platform, for what no machine
/// check can see there (emulation fidelity against real hardware, pass-through of a physical NIC,
/// a production configuration, a documentation duty).
///
/// It decides only what no measurement decided: an UNTESTED or SKIPPED requirement becomes
/// ATTESTED; a measured verdict (PASS, FAIL, NOT_APPLICABLE, NOT_OFFERED) always wins, so a
/// measured FAIL is never hidden by a statement; ERROR and INFRA stay, because they say the run
/// broke (see `Scoring.Attestations`). Reports show ATTESTED with its own word and colour, never
/// as PASS.
public struct Attestation: Codable, Sendable, Equatable {
    /// What the vendor states, in one sentence.
    public var statement: String
    /// Where the evidence is: a test report, a document, a URL.
    public var evidence: String
    /// Who answers for the statement.
    public var owner: String
    /// The organisation issuing the file (its `vendor:`).
    public var vendor: String
    /// The day the statement was made.
    public var date: CalendarDay
    /// Last day (inclusive, UTC) on which the statement counts.
    public var expires: CalendarDay
    /// The file as the run keeps it (run-relative, e.g. `attestations/vendor.yaml`).
    public var file: String
    /// SHA-256 of the signed file's exact bytes.
    public var sha256: String
    /// SHA-256 fingerprint of the Ed25519 public key the signature verified with.
    public var signer: String

    public init(statement: String, evidence: String, owner: String, vendor: String, date: CalendarDay,
                expires: CalendarDay, file: String, sha256: String, signer: String) {
        self.statement = statement
        self.evidence = evidence
        self.owner = owner
        self.vendor = vendor
        self.date = date
        self.expires = expires
        self.file = file
        self.sha256 = sha256
        self.signer = signer
    }

    /// An attestation counts up to and including its expiry day.
    public func isActive(on day: CalendarDay) -> Bool { day <= expires }

    /// "owner (vendor) on date": who stated it, for reasons and reports.
    public var byline: String { "\(owner) (\(vendor)) on \(date)" }
}

/// The verified attestations of a run: target name -> requirement key -> attestation.
public typealias AttestationIndex = [String: [String: Attestation]]

extension CalendarDay: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let day = CalendarDay(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a date YYYY-MM-DD, found \"\(text)\"")
        }
        self = day
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// An attestation file a run was given and the public keys it trusts for that file, as the suite
/// (`attestations:`) or the command line (`--attestation`, `--trust-key`) named them; plan.json
/// records them with the file's hash so a resumed or replayed run verifies the same text again.
public struct AttestationSource: Codable, Sendable, Equatable {
    public var file: String
    public var trustKeys: [String]
    /// SHA-256 of the file when the run started (nil before that).
    public var sha256: String?

    public init(file: String, trustKeys: [String], sha256: String? = nil) {
        self.file = file
        self.trustKeys = trustKeys
        self.sha256 = sha256
    }

    enum CodingKeys: String, CodingKey {
        case file
        case trustKeys = "trust_keys"
        case sha256
    }
}
