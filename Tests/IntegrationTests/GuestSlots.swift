import Foundation
import Testing

/// How many real-guest tests run at once.
///
/// Every integration test boots at least one TCG guest, and TCG is CPU-bound: left to the testing
/// library, all ~50 start together on two cores, a guest then takes a minute to boot and every
/// wall-clock expectation in the suite (boot timeouts, agent deadlines, kill moments) turns into a
/// coin toss. A small fixed number of slots keeps each guest's timing close to what a user sees.
/// `AVPS_TEST_GUEST_SLOTS` overrides the default (the number of cores, at least two).
actor GuestSlots {
    static let shared = GuestSlots(capacity: {
        if let text = ProcessInfo.processInfo.environment["AVPS_TEST_GUEST_SLOTS"], let value = Int(text), value > 0 {
            return value
        }
        return max(2, ProcessInfo.processInfo.activeProcessorCount)
    }())

    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(capacity: Int) { free = capacity }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            free += 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}

/// Runs each test of a suite inside a guest slot (see ``GuestSlots``). Suites themselves take no
/// slot: only their test functions do, so a suite never waits on its own tests.
///
/// `limit` is the test's own time limit, counted from the moment its slot is granted. A testing
/// library `.timeLimit` also counts the wait for a slot, which grows with every real-guest test
/// the project adds (two CI runs cut healthy tests that had queued for minutes); suites keep one
/// only as a generous backstop for a test that ignores cancellation.
struct GuestSlotTrait: SuiteTrait, TestTrait, TestScoping {
    var limit: Duration?
    var isRecursive: Bool { true }

    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        guard testCase != nil else {
            try await function()
            return
        }
        await GuestSlots.shared.acquire()
        do {
            try await Self.run(function, within: limit)
        } catch {
            await GuestSlots.shared.release()
            throw error
        }
        await GuestSlots.shared.release()
    }

    /// Runs `function`, cancelling it and recording an issue once `limit` has passed.
    private static func run(_ function: @Sendable () async throws -> Void, within limit: Duration?) async throws {
        guard let limit else { return try await function() }
        try await withoutActuallyEscaping(function) { body in
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await body()
                    return true
                }
                group.addTask {
                    do {
                        try await Task.sleep(for: limit)
                    } catch {
                        return true  // cancelled because the test finished first
                    }
                    return false
                }
                let finished = try await group.next() ?? true
                group.cancelAll()
                guard finished else {
                    Issue.record("Time limit exceeded: \(limit) after the guest slot was granted")
                    while (try? await group.next()) != nil {}  // the test's own cancellation error is no second issue
                    return
                }
                while try await group.next() != nil {}
            }
        }
    }
}

extension Trait where Self == GuestSlotTrait {
    /// The test boots real guests: run it only when a guest slot is free.
    static var guestSlot: Self { GuestSlotTrait(limit: nil) }

    /// As `guestSlot`, with a time limit that starts when the slot is granted.
    static func guestSlot(minutes: Int) -> Self { GuestSlotTrait(limit: .seconds(minutes * 60)) }
}

/// Runs blocking work (a child process waited for, pipes read to their end, polling sleeps) on a
/// thread of its own, so it never holds one of the two cooperative threads that every async test
/// and the in-process runner's timers share.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        thread.start()
    }
}
