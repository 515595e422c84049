import AVPSModel
import Testing

/// The catalogue is data; these tests keep it consistent with itself and with virtio.md.
@Suite struct VirtioCatalogueTests {
    @Test func everyAssignedDeviceIdHasANameOnce() {
        let ids = VirtioCatalogue.devices.map(\.id)
        #expect(Set(ids) == Set(1...49).subtracting([14, 15]))
        #expect(ids.count == Set(ids).count)
        let names = VirtioCatalogue.devices.flatMap { [$0.shortName] + $0.aliases }
        #expect(names.count == Set(names).count)
    }

    @Test func existingShortNamesAreStable() {
        let expected = [1: "net", 2: "block", 3: "console", 4: "entropy", 5: "balloon", 8: "scsi", 9: "9p",
                        16: "gpu", 18: "input", 19: "vsock", 20: "crypto", 23: "iommu", 24: "mem", 25: "sound",
                        26: "fs", 27: "pmem", 28: "rpmb", 32: "scmi", 34: "i2c", 35: "watchdog", 36: "can",
                        40: "bluetooth", 41: "gpio"]
        for (id, name) in expected {
            #expect(VirtioCatalogue.deviceName(id) == name)
            #expect(VirtioCatalogue.deviceID(named: name) == id)
        }
        #expect(VirtioCatalogue.deviceID(named: "rng") == 4)
    }

    @Test func transportBitsMatchTheSpec() {
        #expect(VirtioCatalogue.transportFeatures["VERSION_1"] == 32)
        #expect(VirtioCatalogue.transportFeatureTable.map(\.bit) == [24, 27, 28, 29, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 43])
        #expect(VirtioCatalogue.feature(named: "VIRTIO_F_IOMMU_PLATFORM", forDevice: nil)?.bit == 33)
        #expect(VirtioCatalogue.feature(named: "VIRTIO_RING_F_EVENT_IDX", forDevice: 1)?.bit == 29)
    }

    @Test func namesAreUniquePerDevice() {
        for id in VirtioCatalogue.deviceFeatureTables.keys {
            let names = VirtioCatalogue.features(forDevice: id).flatMap(\.spellings)
            #expect(names.count == Set(names).count, "device \(id) has a name clash")
        }
    }

    @Test func deviceSpecificLookups() {
        #expect(VirtioCatalogue.feature(named: "FLUSH", forDevice: 2)?.constant == "VIRTIO_BLK_F_FLUSH")
        #expect(VirtioCatalogue.feature(named: "FLUSH", forDevice: nil) == nil)
        #expect(VirtioCatalogue.feature(named: "MAC", forDevice: 1)?.bit == 5)
        #expect(VirtioCatalogue.feature(named: "VIRTIO_SND_F_CTLS", forDevice: 25)?.bit == 0)
        #expect(VirtioCatalogue.feature(named: "CAN_FD", forDevice: 36)?.bit == 1)
        #expect(VirtioCatalogue.devicesDefiningFeature(named: "MQ") == [1, 2])
    }

    @Test func bitNamesPreferModernMeanings() {
        #expect(VirtioCatalogue.featureName(bit: 41, forDevice: 1) == "ADMIN_VQ")
        #expect(VirtioCatalogue.featureName(bit: 42, forDevice: 1) == "GUEST_RSC6")
        #expect(VirtioCatalogue.featureName(bit: 9, forDevice: 2) == "FLUSH")
        #expect(VirtioCatalogue.featureName(bit: 9, forDevice: nil) == "bit 9")
    }

    @Test func nearestSuggestions() {
        #expect(VirtioCatalogue.nearestFeatureNames(to: "VERSON_1", forDevice: 2).first == "VERSION_1")
        #expect(VirtioCatalogue.nearestFeatureNames(to: "VIRTIO_BLK_F_FLUHS", forDevice: 2).first == "FLUSH")
        #expect(VirtioCatalogue.nearestFeatureNames(to: "COMPLETELY_UNRELATED", forDevice: nil).isEmpty)
        #expect(VirtioCatalogue.nearestDeviceNames(to: "entropi").first == "entropy")
    }

    @Test func statusDescription() {
        #expect(VirtioDeviceStatus(rawValue: 0x0f).description == "0x0f (ACKNOWLEDGE|DRIVER|DRIVER_OK|FEATURES_OK)")
        #expect(VirtioDeviceStatus(rawValue: 0).description == "0x00")
    }
}
