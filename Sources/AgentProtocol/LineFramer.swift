/// Splits a byte stream into newline-terminated frames, refusing frames above a fixed bound.
///
/// The bound protects the host from a hostile or broken guest: a frame that grows past it is a
/// protocol violation, not an allocation the guest controls.
public struct LineFramer: Sendable {
    /// 1 MiB including the newline, as PROTOCOL.md specifies for both directions.
    public static let defaultLimit = 1 << 20

    public let limit: Int
    private var buffer: [UInt8] = []
    /// How much of `buffer` is known to hold no newline: each byte is searched once, so a frame
    /// that arrives in many small reads costs linear time, not quadratic (a 1 MiB frame in 4 KiB
    /// reads took over 10 s in a debug build on a loaded host).
    private var scanned = 0

    public init(limit: Int = LineFramer.defaultLimit) {
        self.limit = limit
    }

    /// Appends bytes and returns every complete frame (without its newline, `\r` trimmed).
    public mutating func append(_ bytes: some Sequence<UInt8>) throws(AgentError) -> [[UInt8]] {
        buffer.append(contentsOf: bytes)
        var frames: [[UInt8]] = []
        var start = 0
        while let newline = buffer[max(start, scanned)...].firstIndex(of: UInt8(ascii: "\n")) {
            if newline - start + 1 > limit {
                throw .protocolViolation("frame of \(newline - start + 1) bytes exceeds the \(limit)-byte limit")
            }
            var end = newline
            if end > start, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            frames.append(Array(buffer[start..<end]))
            start = newline + 1
        }
        buffer.removeFirst(start)
        scanned = buffer.count
        if buffer.count >= limit {
            throw .protocolViolation("unterminated frame exceeds the \(limit)-byte limit")
        }
        return frames
    }

    /// Bytes received after the last complete frame.
    public var pendingByteCount: Int { buffer.count }
}
