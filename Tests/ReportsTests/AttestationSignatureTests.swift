import Crypto
import Foundation
import Testing
@testable import Reports

/// The detached signature of an attestation file: a trusted key verifies the exact bytes; a
/// changed byte, another signer or a mangled signature is refused with a sentence that says which.
@Suite struct AttestationSignatureTests {
    static let text = Data("schema: 1\nvendor: Acme\nattestations:\n  - key: AVPS2-EMU-01\n".utf8)
    let vendor = Curve25519.Signing.PrivateKey()
    let stranger = Curve25519.Signing.PrivateKey()

    @Test func aTrustedKeyVerifiesTheExactBytes() throws {
        let signature = try AttestationSignature.sign(Self.text, with: vendor)
        let lines = signature.split(separator: "\n")
        #expect(lines.count == 3 && lines[0] == "avps-attestation-signature 1")
        #expect(lines[1] == "signer-sha256 \(BundleKeys.fingerprint(vendor.publicKey))")
        let check = AttestationSignature.check(Self.text, signatureText: signature,
                                               trusted: [stranger.publicKey, vendor.publicKey])
        #expect(check == .valid(signer: BundleKeys.fingerprint(vendor.publicKey)))
        #expect(AttestationSignature.refusal(check, file: "acme.yaml", trusted: [vendor.publicKey]) == nil)
    }

    @Test func aChangedFileIsRefusedAsAltered() throws {
        let signature = try AttestationSignature.sign(Self.text, with: vendor)
        for position in [0, Self.text.count / 2, Self.text.count - 1] {
            var tampered = Self.text
            tampered[position] ^= 0x01
            let check = AttestationSignature.check(tampered, signatureText: signature, trusted: [vendor.publicKey])
            #expect(check == .altered(signer: BundleKeys.fingerprint(vendor.publicKey)), "byte \(position)")
        }
        var appended = Self.text
        appended.append(Data("    targets: [everything]\n".utf8))
        let check = AttestationSignature.check(appended, signatureText: signature, trusted: [vendor.publicKey])
        let refusal = try #require(AttestationSignature.refusal(check, file: "acme.yaml", trusted: [vendor.publicKey]))
        #expect(refusal.hasPrefix("acme.yaml: the signature by trusted key "))
        #expect(refusal.contains("does not match the file: it was changed after it was signed"))
    }

    @Test func anotherSignerIsRefusedNamingBothKeys() throws {
        let signature = try AttestationSignature.sign(Self.text, with: stranger)
        let check = AttestationSignature.check(Self.text, signatureText: signature, trusted: [vendor.publicKey])
        let strangerPrint = BundleKeys.fingerprint(stranger.publicKey)
        #expect(check == .untrustedSigner(signer: strangerPrint))
        let refusal = try #require(AttestationSignature.refusal(check, file: "acme.yaml", trusted: [vendor.publicKey]))
        #expect(refusal.contains("signed by key \(strangerPrint.prefix(16))…, which this run does not trust"))
        #expect(refusal.contains("trusted: \(BundleKeys.fingerprint(vendor.publicKey).prefix(16))…"))
        // Claiming a trusted signer in the text does not help a signature made with another key.
        let forged = signature.replacingOccurrences(of: strangerPrint, with: BundleKeys.fingerprint(vendor.publicKey))
        #expect(AttestationSignature.check(Self.text, signatureText: forged, trusted: [vendor.publicKey])
                == .altered(signer: BundleKeys.fingerprint(vendor.publicKey)))
    }

    @Test func aMangledSignatureIsMalformed() throws {
        let signature = try AttestationSignature.sign(Self.text, with: vendor)
        for mangled in ["", "hello\n", signature.replacingOccurrences(of: "ed25519 ", with: "ed25519 !!"),
                        signature.replacingOccurrences(of: "signature 1", with: "signature 2")] {
            guard case .malformed = AttestationSignature.check(Self.text, signatureText: mangled, trusted: [vendor.publicKey]) else {
                Issue.record("accepted as a signature: \(mangled.debugDescription)")
                continue
            }
        }
    }

    @Test func theKeysAreTheBundleKeysOnDisk() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("attest-keys-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let pair = BundleKeys.generate()
        let privateURL = directory.appendingPathComponent("k.pem"), publicURL = directory.appendingPathComponent("k.pub.pem")
        try Data(pair.privatePEM.utf8).write(to: privateURL)
        try Data(pair.publicPEM.utf8).write(to: publicURL)
        let signature = try AttestationSignature.sign(Self.text, with: try BundleKeys.privateKey(at: privateURL))
        let trusted = try BundleKeys.publicKey(at: publicURL)
        #expect(AttestationSignature.check(Self.text, signatureText: signature, trusted: [trusted]) == .valid(signer: BundleKeys.fingerprint(trusted)))
        #expect(AttestationSignature.url(for: directory.appendingPathComponent("acme.yaml")).lastPathComponent == "acme.yaml.sig")
    }
}
