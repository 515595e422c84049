/// Event counters of one backend run, logged at exit with `--verbose`: they show where the data
/// path spends its round trips (wakeups, kicks, interrupts, packets per direction, credit traffic)
/// without a profiler. Plain integers bumped on the loop thread.
struct BackendStatistics: CustomStringConvertible {
    var wakeups = 0
    var kicks = [0, 0]
    var interrupts = [0, 0]
    var transmitPackets = 0
    var transmitBytes = 0
    var receivePackets = 0
    var receiveBytes = 0
    var creditUpdatesSent = 0
    var creditUpdatesReceived = 0
    var receiveStarved = 0
    var hostWritesDeferred = 0
    /// RX packets from sibling guests (a split payload counts once per piece).
    var siblingPackets = 0

    var description: String {
        "wakeups \(wakeups), kicks rx/tx \(kicks[0])/\(kicks[1]), interrupts rx/tx \(interrupts[0])/\(interrupts[1]), "
            + "guest->host \(transmitPackets) packets \(transmitBytes) B, host->guest \(receivePackets) packets \(receiveBytes) B, "
            + "credit updates sent/received \(creditUpdatesSent)/\(creditUpdatesReceived), rx starved \(receiveStarved), "
            + "host writes deferred \(hostWritesDeferred), from siblings \(siblingPackets) packets"
    }
}
