import AVPSModel
import Foundation
import Testing
@testable import Reports

@Suite struct BundleTests {
    /// A run directory with reports and per-target artifacts, and a key pair.
    struct Setup {
        var root: URL
        var run: URL
        var privateKey: URL
        var publicKey: URL

        init() throws {
            root = try ExternalTools.temporaryDirectory()
            run = root.appendingPathComponent("run")
            try ReportWriter.write(Fixtures.run, to: run)
            let target = run.appendingPathComponent("qemu")
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
            try Data("serial log\n".utf8).write(to: target.appendingPathComponent("serial.log"))
            try Data("{\"id\":1}\n".utf8).write(to: target.appendingPathComponent("agent-transcript.jsonl"))
            let pair = BundleKeys.generate()
            privateKey = root.appendingPathComponent("key.pem")
            publicKey = root.appendingPathComponent("key.pub.pem")
            try Data(pair.privatePEM.utf8).write(to: privateKey)
            try Data(pair.publicPEM.utf8).write(to: publicKey)
        }

        func bundle(signed: Bool = true) throws -> Data {
            try CertificationBundle.create(runDirectory: run,
                                           signingKey: signed ? try BundleKeys.privateKey(at: privateKey) : nil)
        }
    }

    /// Rewrites one member of a bundle (or drops / adds one), leaving the manifest as it was.
    static func tampered(_ bundle: Data, _ edit: (inout [TarArchive.Entry]) -> Void) throws -> Data {
        var entries = try TarArchive.read(bundle)
        edit(&entries)
        return try TarArchive.write(entries, modified: Fixtures.started)
    }

    @Test func intactSignedBundleVerifies() throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(at: setup.root) }
        let verification = try CertificationBundle.verify(try setup.bundle(), publicKey: try BundleKeys.publicKey(at: setup.publicKey))
        #expect(verification.isIntact && verification.signature == .valid)
        #expect(verification.fileCount == 5)
        let unchecked = try CertificationBundle.verify(try setup.bundle(), publicKey: nil)
        #expect(unchecked.isIntact && unchecked.signature == .notChecked)
    }

    @Test func tamperedFilesAreNamed() throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(at: setup.root) }
        let key = try BundleKeys.publicKey(at: setup.publicKey)
        let changed = try Self.tampered(try setup.bundle()) { entries in
            if let index = entries.firstIndex(where: { $0.path == "qemu/serial.log" }) { entries[index].data = Data("forged\n".utf8) }
            entries.removeAll { $0.path == "junit.xml" }
            entries.append(TarArchive.Entry(path: "extra.txt", data: Data("x".utf8)))
        }
        let verification = try CertificationBundle.verify(changed, publicKey: key)
        #expect(!verification.isIntact)
        #expect(verification.changed == ["qemu/serial.log"])
        #expect(verification.missing == ["junit.xml"])
        #expect(verification.added == ["extra.txt"])
        #expect(verification.signature == .valid, "the manifest itself was not touched")
    }

    @Test func rewrittenManifestBreaksTheSignature() throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(at: setup.root) }
        let forged = try Self.tampered(try setup.bundle()) { entries in
            guard let index = entries.firstIndex(where: { $0.path == "qemu/serial.log" }) else { return }
            entries[index].data = Data("forged\n".utf8)
            let files = entries.filter { $0.path != CertificationBundle.manifestName && $0.path != CertificationBundle.signatureName }
            entries[0].data = Data(CertificationBundle.manifestText(files).utf8)
        }
        let withKey = try CertificationBundle.verify(forged, publicKey: try BundleKeys.publicKey(at: setup.publicKey))
        #expect(withKey.signature == .invalid && !withKey.isIntact)
        #expect(withKey.changed.isEmpty, "hashes match the forged manifest; only the signature catches it")
        let otherKey = setup.root.appendingPathComponent("other.pub.pem")
        try Data(BundleKeys.generate().publicPEM.utf8).write(to: otherKey)
        let wrongKey = try CertificationBundle.verify(try setup.bundle(), publicKey: try BundleKeys.publicKey(at: otherKey))
        #expect(wrongKey.signature == .invalid && !wrongKey.isIntact)
        let unsigned = try CertificationBundle.verify(try setup.bundle(signed: false),
                                                      publicKey: try BundleKeys.publicKey(at: setup.publicKey))
        #expect(unsigned.signature == .unsigned && !unsigned.isIntact, "a key was given, so a signature is required")
    }

    @Test func missingOrWrongKeyFilesAreClearErrors() throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(at: setup.root) }
        #expect(throws: ReportError.readFailed(path: "/nonexistent/key.pem", reason: "no such key file")) {
            try BundleKeys.privateKey(at: URL(fileURLWithPath: "/nonexistent/key.pem"))
        }
        #expect {
            try BundleKeys.publicKey(at: setup.privateKey)
        } throws: { error in
            if case .badKey(_, let reason) = error as? ReportError { reason.contains("PUBLIC KEY") } else { false }
        }
    }

    @Test func truncatedBundleIsMalformed() throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(at: setup.root) }
        let bundle = try setup.bundle()
        #expect(throws: ReportError.self) { try CertificationBundle.verify(bundle.prefix(700), publicKey: nil) }
    }

    /// Real consumers: GNU tar lists and extracts the bundle, `sha256sum -c` accepts the
    /// manifest, and OpenSSL reads our PEM keys and verifies our signature.
    @Test func standardToolsReadTheBundle() throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(at: setup.root) }
        let file = setup.root.appendingPathComponent("bundle.tar")
        try setup.bundle().write(to: file)
        let extract = setup.root.appendingPathComponent("x")
        try FileManager.default.createDirectory(at: extract, withIntermediateDirectories: true)
        let untar = try ExternalTools.run("tar", ["-xf", file.path, "-C", extract.path])
        guard ExternalTools.requireTool(untar, "tar", hint: "install tar") else { return }
        #expect(untar.status == 0, "\(untar.stderr)")
        let check = try ExternalTools.run("sh", ["-c", "cd \"$1\" && sha256sum -c --strict MANIFEST.sha256", "sh", extract.path])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let signature = extract.appendingPathComponent("sig.bin")
        let base64 = try String(contentsOf: extract.appendingPathComponent(CertificationBundle.signatureName), encoding: .utf8)
        try #require(Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines))).write(to: signature)
        let openssl = try ExternalTools.run("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", setup.publicKey.path,
                                                        "-rawin", "-in", extract.appendingPathComponent("MANIFEST.sha256").path,
                                                        "-sigfile", signature.path])
        guard ExternalTools.requireTool(openssl, "openssl", hint: "install openssl") else { return }
        #expect(openssl.status == 0, "\(openssl.stdout)\(openssl.stderr)")
        // A bundle unpacked, edited and re-packed with GNU tar (directory entries and all) is
        // still read, and the edit is named.
        try Data("forged\n".utf8).write(to: extract.appendingPathComponent("qemu/serial.log"))
        try FileManager.default.removeItem(at: signature)
        let repacked = setup.root.appendingPathComponent("repacked.tar")
        let tar = try ExternalTools.run("tar", ["--format=ustar", "-cf", repacked.path, "-C", extract.path, "."])
        #expect(tar.status == 0, "\(tar.stderr)")
        let verification = try CertificationBundle.verify(try Data(contentsOf: repacked), publicKey: nil)
        #expect(verification.changed == ["qemu/serial.log"])
    }

    @Test func unsafeNamesAreRefused() {
        for path in ["/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "a\u{1b}b"] {
            #expect(!TarArchive.isSafe(path), "\(path)")
        }
        #expect(TarArchive.isSafe("qemu-q35-reference/serial.log"))
    }
}
