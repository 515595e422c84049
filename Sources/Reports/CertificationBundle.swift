import AVPSModel
import Crypto
import Foundation

/// A certification bundle: everything a vendor hands a customer to show what was measured.
///
/// Format (documented in `Reports/schema/BUNDLE.md`): an uncompressed POSIX ustar archive whose
/// first member is `MANIFEST.sha256` (one `<sha256 hex>  <path>` line per file, sorted by path,
/// the format `sha256sum -c` reads), optionally followed by `MANIFEST.sha256.sig` (the base64
/// Ed25519 signature of the manifest bytes), then every regular file of the run directory under
/// its run-relative path: results.json, junit.xml, report.html, the journal, and per target the
/// serial log, hypervisor stderr, command line and agent transcript.
public enum CertificationBundle {
    public static let manifestName = "MANIFEST.sha256"
    public static let signatureName = "MANIFEST.sha256.sig"

    /// Packs `runDirectory` into a bundle and returns its bytes.
    public static func create(runDirectory: URL, signingKey: Curve25519.Signing.PrivateKey?) throws(ReportError) -> Data {
        let files = try collect(runDirectory)
        guard files.contains(where: { $0.path == ResultsJSON.fileName }) else {
            throw .invalidInput("\(runDirectory.path) has no results.json; is it a run directory?")
        }
        let manifest = Data(manifestText(files).utf8)
        var entries = [TarArchive.Entry(path: manifestName, data: manifest)]
        if let signingKey {
            let signature: Data
            do { signature = try signingKey.signature(for: manifest) } catch {
                throw .encodingFailed("signing the manifest failed: \(error)")
            }
            entries.append(TarArchive.Entry(path: signatureName, data: Data((signature.base64EncodedString() + "\n").utf8)))
        }
        let modified = (try? ResultsJSON.decode(files.first { $0.path == ResultsJSON.fileName }?.data ?? Data()))?.finishedAt
        return try TarArchive.write(entries + files, modified: modified ?? Date(timeIntervalSince1970: 0))
    }

    /// The conformance line of a run directory's results.json, for `bundle create` to print, with
    /// whose word its PASS and FAIL verdicts rest on (a certificate says what the host saw itself).
    public static func outcome(runDirectory: URL) -> String? {
        guard let data = try? Data(contentsOf: runDirectory.appendingPathComponent(ResultsJSON.fileName)),
              let run = try? ResultsJSON.decode(data) else { return nil }
        return summary(run)
    }

    static func summary(_ run: RunResult) -> String {
        let basis = Tally.basisLine(run.targets.flatMap(\.results)).map { "; " + $0 } ?? ""
        return TextSanitizing.terminalLine(Tally.outcomeLine(run.targets) + basis)
    }

    static func manifestText(_ files: [TarArchive.Entry]) -> String {
        files.map { "\(sha256($0.data))  \($0.path)\n" }.joined()
    }

    static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// Regular files under the directory, run-relative and sorted; temporaries and symlinks are left out.
    private static func collect(_ directory: URL) throws(ReportError) -> [TarArchive.Entry] {
        let base = directory.standardizedFileURL.resolvingSymlinksInPath()
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey],
                                                          options: []) else {
            throw .readFailed(path: directory.path, reason: "not a directory")
        }
        var entries: [TarArchive.Entry] = []
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true else { continue }
            let full = url.standardizedFileURL.resolvingSymlinksInPath().path
            guard full.hasPrefix(base.path + "/") else { continue }
            let relative = String(full.dropFirst(base.path.count + 1))
            if relative.hasSuffix(".tmp") || relative == manifestName || relative == signatureName { continue }
            do { entries.append(TarArchive.Entry(path: relative, data: try Data(contentsOf: url))) } catch {
                throw .readFailed(path: url.path, reason: error.localizedDescription)
            }
        }
        return entries.sorted { $0.path < $1.path }
    }
}
