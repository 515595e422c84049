import CLibssh
import Foundation
import HypervisorCore
#if canImport(Glibc)
import Glibc
#endif

/// What an upload batch carried: a raw disk image is mostly holes and zero blocks, and only the
/// rest crosses the wire.
package struct UploadTally: Sendable, Equatable {
    /// Bytes of the local files (their apparent sizes).
    package var size: Int64 = 0
    /// Bytes written over SFTP.
    package var sent: Int64 = 0

    package init(size: Int64 = 0, sent: Int64 = 0) {
        self.size = size
        self.sent = sent
    }

    /// Holes and all-zero chunks that were not sent: the remote file has a hole there instead
    /// (sftp-server writes at offsets), which reads back as zeros.
    package var skipped: Int64 { size - sent }

    package static func + (lhs: UploadTally, rhs: UploadTally) -> UploadTally {
        UploadTally(size: lhs.size + rhs.size, sent: lhs.sent + rhs.sent)
    }
}

/// A sparse-aware upload of one file: the local holes are found with `SEEK_DATA`/`SEEK_HOLE`
/// (not read at all), each data chunk that is all zeros is skipped too, and the remote offset is
/// moved past what was skipped. The last byte is always written, so the remote file has the local
/// length even when it ends in a hole.
struct SFTPUpload {
    let local: String
    let remote: String
    let chunk: Int

    func run(sftp: sftp_session, reason: () -> String) -> Result<UploadTally, SSHError> {
        let input = open(local, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else {
            return .failure(.sftp(operation: "upload", path: local, reason: "cannot read the local file: \(String(cString: strerror(errno)))"))
        }
        defer { close(input) }
        var status = stat()
        guard fstat(input, &status) == 0 else {
            return .failure(.sftp(operation: "upload", path: local, reason: "cannot stat the local file"))
        }
        let size = Int64(status.st_size)
        guard let file = sftp_open(sftp, remote, O_WRONLY | O_CREAT | O_EXCL, 0o600) else {
            return .failure(.sftp(operation: "create", path: remote, reason: reason()))
        }
        defer { sftp_close(file) }
        var tally = UploadTally(size: size)
        var buffer = [UInt8](repeating: 0, count: chunk)
        let zeros = [UInt8](repeating: 0, count: chunk)
        var remoteOffset: Int64 = 0
        // Writes `count` bytes of `buffer` at `offset`, seeking the remote file first if needed.
        func write(_ count: Int, at offset: Int64) -> SSHError? {
            if remoteOffset != offset, sftp_seek64(file, UInt64(offset)) != 0 {
                return .sftp(operation: "seek", path: remote, reason: reason())
            }
            let written = buffer.withUnsafeBytes { sftp_write(file, $0.baseAddress, count) }
            guard written == count else { return .sftp(operation: "write", path: remote, reason: reason()) }
            remoteOffset = offset + Int64(count)
            tally.sent += Int64(count)
            return nil
        }
        for (start, end) in Self.dataExtents(input, size: size) {
            var offset = start
            while offset < end {
                let count = buffer.withUnsafeMutableBytes { pread(input, $0.baseAddress, min(chunk, Int(end - offset)), off_t(offset)) }
                guard count > 0 else {
                    return .failure(.sftp(operation: "upload", path: local, reason: "read failed at offset \(offset)"))
                }
                if !Self.allZero(buffer, count: count, zeros: zeros) {
                    if let error = write(count, at: offset) { return .failure(error) }
                }
                offset += Int64(count)
            }
        }
        if remoteOffset != size, size > 0 {
            // The file ends in a hole or zero chunk: one zero byte at the end gives it its length.
            buffer[0] = 0
            if let error = write(1, at: size - 1) { return .failure(error) }
        }
        return .success(tally)
    }

    /// Linux's `SEEK_DATA`/`SEEK_HOLE` (glibc declares them only under `_GNU_SOURCE`, which the
    /// Swift Glibc module does not set).
    static let seekData: Int32 = 3
    static let seekHole: Int32 = 4

    /// The ranges of the file that hold data; one range for the whole file where the file system
    /// cannot tell holes (`SEEK_DATA` unsupported).
    static func dataExtents(_ fd: Int32, size: Int64) -> [(Int64, Int64)] {
        var extents: [(Int64, Int64)] = []
        var offset: Int64 = 0
        while offset < size {
            let data = lseek(fd, off_t(offset), Self.seekData)
            if data < 0 {
                // ENXIO: only a hole is left. Anything else: holes unknown, read it all.
                return errno == ENXIO ? extents : extents + [(offset, size)]
            }
            let hole = lseek(fd, data, Self.seekHole)
            let end = hole < 0 ? size : min(Int64(hole), size)
            extents.append((Int64(data), end))
            offset = end
        }
        return extents
    }

    /// libc's memcmp against a zero chunk: fast also in a debug build.
    static func allZero(_ buffer: [UInt8], count: Int, zeros: [UInt8]) -> Bool {
        buffer.withUnsafeBytes { bytes in
            zeros.withUnsafeBytes { zero in
                guard let data = bytes.baseAddress, let zero = zero.baseAddress else { return count == 0 }
                return memcmp(data, zero, count) == 0
            }
        }
    }
}
