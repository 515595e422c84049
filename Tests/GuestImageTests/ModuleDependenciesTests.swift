import Testing
@testable import GuestImage

@Suite struct ModuleDependenciesTests {
    /// A diamond: top -> left, right -> base; names with `-`, compressed suffixes, and a module
    /// that depends on nothing.
    static let sample = """
    kernel/drivers/virtio/virtio.ko:
    kernel/drivers/virtio/virtio_ring.ko: kernel/drivers/virtio/virtio.ko
    kernel/base.ko.xz:
    kernel/left.ko.zst: kernel/base.ko.xz
    kernel/right.ko: kernel/base.ko.xz
    kernel/top.ko: kernel/left.ko.zst kernel/right.ko kernel/base.ko.xz
    kernel/drivers/char/hw_random/virtio-rng.ko: kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko

    """

    @Test func parsesNamesAndSuffixes() throws {
        let deps = try ModuleDependencies(parsing: Self.sample)
        #expect(deps.modules.count == 7)
        #expect(deps.modules["left"]?.path == "kernel/left.ko.zst")
        #expect(deps.modules["virtio_rng"]?.dependencies == ["virtio_ring", "virtio"])
        #expect(ModuleDependencies.canonicalName(ofPath: "a/b/9pnet_virtio.ko.xz") == "9pnet_virtio")
        #expect(ModuleDependencies.canonicalName(ofPath: "a/readme.txt") == nil)
    }

    @Test func diamondOrderPutsEveryDependencyFirst() throws {
        let deps = try ModuleDependencies(parsing: Self.sample)
        let result = deps.resolve(["top", "virtio-rng", "not_in_this_kernel"])
        let names = result.loadOrder.map(\.name)
        #expect(Set(names) == ["top", "left", "right", "base", "virtio_rng", "virtio_ring", "virtio"])
        #expect(names.count == 7, "each module appears once")
        for module in result.loadOrder {
            let position = try #require(names.firstIndex(of: module.name))
            for dep in module.dependencies {
                let depPosition = try #require(names.firstIndex(of: dep))
                #expect(depPosition < position, "\(dep) must load before \(module.name)")
            }
        }
        #expect(result.missing == ["not_in_this_kernel"])
    }

    @Test func orderIsDeterministicAndFollowsWantedOrder() throws {
        let deps = try ModuleDependencies(parsing: Self.sample)
        #expect(deps.resolve(["virtio_rng", "base"]).loadOrder.map(\.name) == ["virtio", "virtio_ring", "virtio_rng", "base"])
        #expect(deps.resolve(["right", "left"]).loadOrder.map(\.name) == ["base", "right", "left"])
    }

    @Test func malformedLineNamesFileAndLine() {
        #expect(throws: GuestImageError.modulesDepMalformed(path: "x/modules.dep", line: 2, text: "garbage without colon")) {
            _ = try ModuleDependencies(parsing: "a.ko:\ngarbage without colon\n", source: "x/modules.dep")
        }
    }

    @Test func guestPathDropsCompressionSuffix() {
        let module = ModuleDependencies.Module(name: "left", path: "kernel/left.ko.zst", dependencies: [])
        #expect(InitramfsBuilder.guestPath(of: module) == "kernel/left.ko")
    }
}
