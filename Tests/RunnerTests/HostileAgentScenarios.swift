import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One way an agent can misbehave, what the runner must say about it, and which stages must
/// still be recorded as completed.
struct HostileScenario: Sendable, CustomStringConvertible {
    var description: String
    /// The stage the INFRA message must name.
    var failedStage: String
    /// A phrase the INFRA message must contain (the kind of failure).
    var phrase: String
    /// Stages that finished before the fault and must stay recorded as ok.
    var completed: [String] = []
    var script: @Sendable (ScriptedGuest) -> Void
}

extension HostileScenario {
    /// Answers hello (and inventory, with no devices) like a real agent, then hands over.
    static func afterHello(_ guest: ScriptedGuest) -> Bool {
        guard guest.send(AgentFrames.ready), let line = guest.readLine(), let id = ScriptedGuest.id(of: line) else { return false }
        return guest.send(AgentFrames.hello(id: id))
    }

    /// Sends ready, reads the hello request and returns its id.
    static func helloID(_ guest: ScriptedGuest) -> Int? {
        guard guest.send(AgentFrames.ready), let line = guest.readLine() else { return nil }
        return ScriptedGuest.id(of: line)
    }

    static let all: [HostileScenario] = [
        HostileScenario(description: "unterminated frame above 1 MiB", failedStage: "agent hello", phrase: "exceeds") { guest in
            guard helloID(guest) != nil else { return }
            let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 64 * 1024)
            for _ in 0..<40 where guest.send(chunk) {}  // 2.5 MiB, no newline
        },
        HostileScenario(description: "terminated frame above 1 MiB", failedStage: "agent hello", phrase: "exceeds") { guest in
            guard let id = helloID(guest) else { return }
            let padding = String(repeating: "x", count: (1 << 20) + 10)
            guest.send(#"{"id":\#(id),"result":{"agent_version":"\#(padding)"}}"# + "\n")
            guest.waitForHostToLeave()
        },
        HostileScenario(description: "invalid JSON", failedStage: "agent hello", phrase: "protocol violation") { guest in
            guard let id = helloID(guest) else { return }
            guest.send(#"{"id":\#(id),"result":{"agent_version":}"# + "\n")
            guest.waitForHostToLeave()
        },
        HostileScenario(description: "invalid UTF-8 in a response", failedStage: "agent hello", phrase: "protocol violation") { guest in
            guard let id = helloID(guest) else { return }
            guest.send(Array(#"{"id":\#(id),"result":{"agent_version":""#.utf8) + [0xFF, 0xC3, 0x28, 0xED, 0xA0, 0x80]
                       + Array(#"","protocol_version":1,"kernel_release":"k","machine":"m"}}"#.utf8) + [0x0A])
            guest.waitForHostToLeave()
        },
        HostileScenario(description: "invalid UTF-8 instead of ready", failedStage: "agent ready", phrase: "protocol violation") { guest in
            guest.send([0xC0, 0x80, 0xFE, 0xFF, 0x0A])
            guest.waitForHostToLeave()
        },
        HostileScenario(description: "one byte per second", failedStage: "agent hello", phrase: "timed out") { guest in
            guard let id = helloID(guest) else { return }
            for byte in Array(AgentFrames.hello(id: id).utf8) {
                guard guest.send([byte]) else { return }
                sleep(1)
            }
        },
        HostileScenario(description: "response with the wrong id", failedStage: "agent hello", phrase: "timed out") { guest in
            guard let id = helloID(guest) else { return }
            guest.send(AgentFrames.hello(id: id + 41))
            guest.waitForHostToLeave()
        },
        HostileScenario(description: "endless flood of wrong-id responses", failedStage: "agent hello", phrase: "agent flooded") { guest in
            guard let id = helloID(guest) else { return }
            let frame = Array(String(repeating: AgentFrames.hello(id: id + 1), count: 64).utf8)
            while guest.send(frame) {}
        },
        HostileScenario(description: "endless 64 KiB events that answer nothing", failedStage: "agent hello",
                        phrase: "agent flooded") { guest in
            guard helloID(guest) != nil else { return }
            let event = Array((#"{"event":"log","text":""# + String(repeating: "a", count: 64 * 1024 - 30) + "\"}\n").utf8)
            while guest.send(event) {}
        },
        HostileScenario(description: "close before ready", failedStage: "agent ready", phrase: "closed") { _ in },
        HostileScenario(description: "close at poweroff", failedStage: "poweroff", phrase: "closed",
                        completed: ["agent ready", "agent hello", "inventory", "probes"]) { guest in
            guard afterHello(guest), let line = guest.readLine(), let id = ScriptedGuest.id(of: line) else { return }
            guest.send(AgentFrames.emptyInventory(id: id))
            // The platform probes, answered as unable to measure; at poweroff hang up instead of answering.
            while let next = guest.readLine(), next.contains(#""method":"probe""#), let probe = ScriptedGuest.id(of: next) {
                guest.send(AgentFrames.unavailableProbe(id: probe, request: next))
            }
        },
        HostileScenario(description: "ready never comes", failedStage: "agent ready", phrase: "timed out") { guest in
            guest.waitForHostToLeave()
        },
        HostileScenario(description: "unsupported protocol version", failedStage: "agent hello", phrase: "protocol 99") { guest in
            guard let id = helloID(guest) else { return }
            guest.send(AgentFrames.hello(id: id).replacingOccurrences(of: #""protocol_version":1"#, with: #""protocol_version":99"#))
            guest.waitForHostToLeave()
        },
    ]
}
