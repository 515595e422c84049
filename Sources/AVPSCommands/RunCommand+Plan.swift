import AVPSModel
import ArgumentParser
import Foundation
import Runner

/// `--shard I/N` for CI matrices: each shard runs every N-th target.
struct Shard: ExpressibleByArgument, Sendable {
    var index: Int
    var count: Int

    init?(argument: String) {
        let parts = argument.split(separator: "/")
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]),
              count >= 1, (1...count).contains(index) else { return nil }
        self.index = index
        self.count = count
    }

    func select(_ targets: [TargetSpec]) -> [TargetSpec] {
        targets.enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
    }
}

extension RunCommand {
    /// Prints the plan: per target the exact command line, then one row per requirement.
    func printPlan(_ planner: Planner, targets: [TargetSpec], profiles: [LoadedProfile]) async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("avps-plan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        for target in targets {
            let plan = try await planner.plan(target, profiles: profiles, scratch: scratch)
            print("target \(target.name) (\(target.adapter), \(target.machine), \(target.devices.map(\.kind).joined(separator: ", ")))")
            print("  command: \(ShellQuoting.join(plan.commandLine))")
            for (profile, rows) in plan.rows {
                print("  profile \(profile):")
                for row in rows {
                    let decision = row.decision.padding(toLength: 15, withPad: " ", startingAt: 0)
                    print("    \(decision) \(row.key) [\(row.level.rawValue)] \(row.reason)")
                }
            }
        }
    }
}
