import CVhostShim
#if canImport(Glibc)
import Glibc
#endif

/// The guest's RAM as the frontend shared it: regions by guest-physical and frontend-virtual
/// address. Every translation is bounds-checked; a guest address outside all regions is an error,
/// never a crash. A buffer may straddle two regions (a 512 MiB guest already has two).
final class GuestMemory {
    struct Region {
        var guestPhysical: UInt64
        var size: UInt64
        var userAddress: UInt64
        var base: UnsafeMutableRawPointer
    }

    let regions: [Region]
    /// mmap'ed ranges this object unmaps when it goes away (empty for caller-owned test memory).
    private let mappings: [(pointer: UnsafeMutableRawPointer, length: Int)]

    /// Memory the caller owns and keeps alive (unit tests build rings in it).
    init(regions: [Region]) {
        self.regions = regions
        self.mappings = []
    }

    private init(regions: [Region], mappings: [(pointer: UnsafeMutableRawPointer, length: Int)]) {
        self.regions = regions
        self.mappings = mappings
    }

    deinit {
        for mapping in mappings { munmap(mapping.pointer, mapping.length) }
    }

    /// Maps every region of a SET_MEM_TABLE message from its fd. The fds are closed either way
    /// (a mapping keeps the memory alive); on failure nothing stays mapped.
    static func map(_ descriptions: [MemoryRegionDescription], fds: [Int32]) throws(VhostUserError) -> GuestMemory {
        defer { for fd in fds { close(fd) } }
        guard descriptions.count == fds.count else {
            throw .malformed("memory table has \(descriptions.count) regions but \(fds.count) fds")
        }
        var regions: [Region] = []
        var mappings: [(pointer: UnsafeMutableRawPointer, length: Int)] = []
        func undo() { for mapping in mappings { munmap(mapping.pointer, mapping.length) } }
        for (description, fd) in zip(descriptions, fds) {
            let (length, overflow) = description.mmapOffset.addingReportingOverflow(description.size)
            guard description.size > 0, !overflow, length < UInt64(Int.max),
                  description.guestPhysical.addingReportingOverflow(description.size).overflow == false,
                  description.userAddress.addingReportingOverflow(description.size).overflow == false else {
                undo()
                throw .malformed("memory region of size \(description.size) at offset \(description.mmapOffset)")
            }
            // Touching a mapping beyond the end of its file raises SIGBUS: refuse such a region.
            var info = stat()
            guard fstat(fd, &info) == 0, UInt64(max(info.st_size, 0)) >= length else {
                undo()
                throw .malformed("memory region ends at \(length), beyond its file")
            }
            // Map from file offset 0 so an mmap_offset that is not page aligned still works.
            let pointer = mmap(nil, Int(length), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
            guard let pointer, pointer != MAP_FAILED else {
                let code = errno
                undo()
                throw .io(operation: "mmap guest region (\(length) bytes)", errno: code)
            }
            mappings.append((pointer, Int(length)))
            regions.append(Region(guestPhysical: description.guestPhysical, size: description.size,
                                  userAddress: description.userAddress,
                                  base: pointer + Int(description.mmapOffset)))
        }
        return GuestMemory(regions: regions, mappings: mappings)
    }

    /// Translates a frontend virtual address range that must lie within one region (ring parts).
    func pointer(userAddress: UInt64, length: Int) -> UnsafeMutableRawPointer? {
        for region in regions where userAddress >= region.userAddress {
            let offset = userAddress - region.userAddress
            if offset < region.size && UInt64(length) <= region.size - offset {
                return region.base + Int(offset)
            }
        }
        return nil
    }

    /// Translates a guest-physical range into one or more host buffers (split where it crosses
    /// from one region into the next).
    func buffers(guestPhysical: UInt64, length: UInt32) throws(VhostUserError) -> [UnsafeMutableRawBufferPointer] {
        var result: [UnsafeMutableRawBufferPointer] = []
        try appendBuffers(guestPhysical: guestPhysical, length: length, to: &result)
        return result
    }

    /// `buffers`, appended to a caller's array (the data path reuses one, so no allocation per packet).
    func appendBuffers(guestPhysical: UInt64, length: UInt32,
                       to result: inout [UnsafeMutableRawBufferPointer]) throws(VhostUserError) {
        var address = guestPhysical
        var left = UInt64(length)
        while left > 0 {
            guard let region = region(containing: address) else {
                throw .guestMemory("guest address 0x\(String(address, radix: 16)) (+\(left)) is outside guest memory")
            }
            let offset = address - region.guestPhysical
            let chunk = min(left, region.size - offset)
            result.append(UnsafeMutableRawBufferPointer(start: region.base + Int(offset), count: Int(chunk)))
            address += chunk
            left -= chunk
        }
    }

    private func region(containing address: UInt64) -> Region? {
        for region in regions where address >= region.guestPhysical && address - region.guestPhysical < region.size {
            return region
        }
        return nil
    }
}
