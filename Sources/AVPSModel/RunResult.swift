import Foundation

/// The verdict for one requirement on one target, with the reason a person can act on.
public struct RequirementResult: Codable, Sendable, Equatable {
    public var key: String
    public var title: String
    public var chapter: String
    public var category: String
    public var level: RequirementLevel
    public var verdict: Verdict
    /// Why this verdict: what was expected and what was measured, in one sentence.
    public var reason: String
    /// The facts the verdict rests on (e.g. device names and their feature bits).
    public var evidence: [String]
    /// False for non-normative key figures (reported, never deciding the exit status); nil means true.
    public var normative: Bool?
    /// A vendor's justification of a SHOULD deviation (from an overlay's `justify:`).
    public var justification: Justification?
    /// Whose word a PASS or FAIL rests on (nil for other verdicts and older results).
    public var basis: VerdictBasis?
    /// The signed vendor statement an ATTESTED verdict rests on (nil for every other verdict).
    public var attestation: Attestation?

    public init(key: String, title: String, chapter: String, category: String, level: RequirementLevel,
                verdict: Verdict, reason: String, evidence: [String] = [], normative: Bool? = nil,
                justification: Justification? = nil) {
        self.key = key
        self.title = title
        self.chapter = chapter
        self.category = category
        self.level = level
        self.verdict = verdict
        self.reason = reason
        self.evidence = evidence
        self.normative = normative
        self.justification = justification
    }
}

/// A timed step of bringing a target up (hypervisor started, agent hello, inventory, ...).
public struct StageTiming: Codable, Sendable, Equatable {
    public var stage: String
    /// Seconds since the target's start.
    public var startedAt: Double
    public var duration: Double
    public var ok: Bool

    public init(stage: String, startedAt: Double, duration: Double, ok: Bool) {
        self.stage = stage
        self.startedAt = startedAt
        self.duration = duration
        self.ok = ok
    }

    enum CodingKeys: String, CodingKey {
        case stage
        case startedAt = "started_at"
        case duration
        case ok
    }
}

/// Which profile file was scored, with its content hash so a result can be traced to exact text.
public struct ProfileReference: Codable, Sendable, Equatable {
    public var id: String
    public var path: String
    public var sha256: String
    /// The profile's `version:` (Profiles/CHANGELOG.md); with the hash, what a certificate cites.
    public var version: String?

    public init(id: String, path: String, sha256: String, version: String? = nil) {
        self.id = id
        self.path = path
        self.sha256 = sha256
        self.version = version
    }
}

/// Everything about one target in one run.
public struct TargetResult: Codable, Sendable, Equatable {
    public var name: String
    public var adapter: String
    public var accelerator: String?
    /// The exact hypervisor command line, argument by argument.
    public var commandLine: [String]
    public var profile: ProfileReference
    public var stages: [StageTiming]
    /// nil when the guest never answered.
    public var evidence: Evidence?
    /// Set when the target ended in INFRA: which stage failed and why.
    public var infraError: String?
    public var results: [RequirementResult]
    /// Artifact name -> path relative to the run directory (serial log, command line, ...).
    public var artifacts: [String: String]
    /// How many times the target was booted (more than 1 only with retries).
    public var attempts: Int?
    /// The exact hypervisor build that ran this target (QEMU: first line of `--version`).
    public var hypervisorVersion: String?
    /// Where the guest kernel came from (Debian package and version); the running kernel's
    /// release is in `evidence.guest`.
    public var guestKernel: String?
    /// The target's conformance outcome, derived from `results` by `Conformance.outcome`. Written
    /// into results.json for other tools; readers recompute it, so it is never trusted on load.
    public var conformance: Conformance.TargetOutcome?
    /// The system this result belongs to: set on each VM's result (`<system>/<vm>`) and on the
    /// system's own result; nil for a single guest.
    public var system: String?
    /// Set on a system's own result only: the names of its VMs' results. That result holds the
    /// requirements about the VMs together (isolation, guest-to-guest traffic), naming them all.
    public var vms: [String]?
    /// What the run measured between the VMs (a system's own result only), by name.
    public var systemObservations: [String: FactValue]?

    /// True for a system's own result (as opposed to one of its VMs or a single guest).
    public var isSystemResult: Bool { vms != nil }

    public init(name: String, adapter: String, accelerator: String?, commandLine: [String],
                profile: ProfileReference, stages: [StageTiming], evidence: Evidence?, infraError: String?,
                results: [RequirementResult], artifacts: [String: String]) {
        self.name = name
        self.adapter = adapter
        self.accelerator = accelerator
        self.commandLine = commandLine
        self.profile = profile
        self.stages = stages
        self.evidence = evidence
        self.infraError = infraError
        self.results = results
        self.artifacts = artifacts
    }

    enum CodingKeys: String, CodingKey {
        case name, adapter, accelerator
        case commandLine = "command_line"
        case profile, stages, evidence
        case infraError = "infra_error"
        case results, artifacts, attempts
        case hypervisorVersion = "hypervisor_version"
        case guestKernel = "guest_kernel"
        case conformance, system, vms
        case systemObservations = "system_observations"
    }
}

/// The canonical record of a run (`results.json`).
public struct RunResult: Codable, Sendable, Equatable {
    /// Bumped on any incompatible change of this structure.
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    public var toolVersion: String
    public var startedAt: Date
    public var finishedAt: Date
    public var host: HostInfo
    public var targets: [TargetResult]
    /// Master seed every random input of the run derives from (data patterns, ports, order).
    public var seed: UInt64?
    /// The run's conformance outcome and exit code, derived from the targets (see
    /// `TargetResult.conformance`): written for other tools, recomputed on load.
    public var conformance: RunConformance?

    public init(toolVersion: String, startedAt: Date, finishedAt: Date, host: HostInfo, targets: [TargetResult],
                seed: UInt64? = nil) {
        self.schemaVersion = Self.currentSchemaVersion
        self.toolVersion = toolVersion
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.host = host
        self.targets = targets
        self.seed = seed
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case toolVersion = "tool_version"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case host, targets, seed, conformance
    }
}

/// The run-level outcome as results.json records it.
public struct RunConformance: Codable, Sendable, Equatable {
    public var status: Conformance.Status
    public var exitCode: Int32

    public init(_ targets: [TargetResult]) {
        status = Conformance.status(of: targets)
        exitCode = RunOutcome.of(targets).rawValue
    }

    enum CodingKeys: String, CodingKey {
        case status
        case exitCode = "exit_code"
    }
}

/// The machine the harness ran on.
public struct HostInfo: Codable, Sendable, Equatable {
    public var hostname: String
    public var kernel: String
    public var machine: String
    public var hypervisorVersion: String?

    public init(hostname: String, kernel: String, machine: String, hypervisorVersion: String?) {
        self.hostname = hostname
        self.kernel = kernel
        self.machine = machine
        self.hypervisorVersion = hypervisorVersion
    }

    enum CodingKeys: String, CodingKey {
        case hostname, kernel, machine
        case hypervisorVersion = "hypervisor_version"
    }
}

/// Exit status of `avps run`, documented in one table (README, `avps run --help`). It is the
/// run's conformance outcome (`Conformance.status`), with INCOMPLETE split by cause so CI can tell
/// a broken test bench (3) from requirements nobody could decide (4).
public enum RunOutcome: Int32, Sendable, CaseIterable {
    /// CONFORMANT: every MUST requirement was decided (passed, did not apply, waived or attested).
    case allMustPass = 0
    /// NOT CONFORMANT: at least one MUST requirement failed.
    case mustFailed = 1
    /// Bad command line, suite or profile.
    case usageError = 2
    /// INCOMPLETE because of the test bench: a guest did not boot, the agent was unreachable, or a
    /// MUST requirement was not measured (INFRA).
    case infrastructure = 3
    /// INCOMPLETE: no MUST failed, but some MUST is UNTESTED, SKIPPED or ERROR.
    case incomplete = 4

    /// The statuses that mean the run measured and reported verdicts (whatever they were), as
    /// opposed to usage or infrastructure trouble; wrappers such as LAVA's `avps_run` pass on these.
    public static let verdictsReported: [RunOutcome] = [.allMustPass, .mustFailed, .incomplete]

    public static func of(_ targets: [TargetResult]) -> RunOutcome {
        switch Conformance.status(of: targets) {
        case .conformant: return .allMustPass
        case .notConformant: return .mustFailed
        case .incomplete:
            let infra = targets.contains { target in
                Conformance.outcome(of: target).undecided.contains { $0.verdict == .infra }
            }
            return infra ? .infrastructure : .incomplete
        }
    }

    /// The one table of exit codes, for `--help` and the README.
    public static let table: [(code: Int32, meaning: String)] = [
        (0, "CONFORMANT: every MUST requirement passed, did not apply, was waived or attested"),
        (1, "NOT CONFORMANT: at least one MUST requirement failed (the platform's fault)"),
        (2, "usage error: bad command line, suite or profile (the message names file, line and field)"),
        (3, "INCOMPLETE, test-bench trouble: guest did not boot, agent unreachable, hypervisor missing, interrupted"),
        (4, "INCOMPLETE: no MUST failed, but a MUST is UNTESTED, SKIPPED or ERROR (the report names each)"),
    ]
}
