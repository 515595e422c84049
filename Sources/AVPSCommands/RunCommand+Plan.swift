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
            if target.isSystem {
                try await printSystemPlan(planner, target, profiles: profiles, scratch: scratch)
                continue
            }
            let plan = try await planner.plan(target, profiles: profiles, scratch: scratch)
            print("target \(target.name) (\(target.adapter), \(target.machine), \(target.devices.map(\.kind).joined(separator: ", ")))")
            print("  command: \(ShellQuoting.join(plan.commandLine))")
            if target.devices.contains(where: \.powerCutTest) {
                print("  power-cut test: after the probes the hypervisor is killed (SIGKILL) and started again on the same disks (a second boot)")
            }
            printRows(plan.rows, indent: "  ")
        }
    }

    /// A system: its links, then each VM as a target of its own, then the requirements about the VMs together.
    private func printSystemPlan(_ planner: Planner, _ target: TargetSpec, profiles: [LoadedProfile], scratch: URL) async throws {
        let plan = try await planner.planSystem(target, profiles: profiles, scratch: scratch)
        print("system \(target.name) (\(target.adapter), \(target.vms.count) VMs started together)")
        for link in plan.system.links {
            let ports = link.ports.map { " on host UDP ports \($0.map(String.init).joined(separator: ", "))" } ?? ""
            let size = link.sizeMiB.map { ", \($0) MiB" } ?? ""
            print("  link \(link.kind.rawValue): \(link.vms.joined(separator: " <-> "))\(size)\(ports)")
        }
        if let restart = target.restartTest {
            print("  restart test: VM \(restart) is power-cycled (QMP system_reset) while the host keeps asking its siblings")
        }
        for vm in plan.vms {
            print("  vm \(vm.target.name) (\(vm.target.machine), \(vm.target.memoryMiB) MiB, \(vm.target.devices.map(\.kind).joined(separator: ", ")))")
            print("    command: \(ShellQuoting.join(vm.commandLine))")
            printRows(vm.rows, indent: "    ")
        }
        print("  requirements about the VMs together (result \(target.name)):")
        printRows(plan.rows, indent: "    ")
    }

    private func printRows(_ plans: [(profile: String, rows: [Planner.Row])], indent: String) {
        for (profile, rows) in plans {
            print("\(indent)profile \(profile):")
            for row in rows {
                let decision = row.decision.padding(toLength: 15, withPad: " ", startingAt: 0)
                print("\(indent)  \(decision) \(row.key) [\(row.level.rawValue)] \(row.reason)")
            }
        }
    }
}
