import AVPSModel
import Foundation

/// One line of `results.journal.jsonl`. Dates use the same millisecond UTC form as results.json.
struct JournalRecord: Codable, Equatable {
    enum Kind: String, Codable { case start, target, finish }

    var kind: Kind
    var toolVersion: String?
    var at: Date
    var host: HostInfo?
    var target: TargetResult?

    init(kind: Kind, toolVersion: String? = nil, at: Date, host: HostInfo? = nil, target: TargetResult? = nil) {
        self.kind = kind
        self.toolVersion = toolVersion
        self.at = at
        self.host = host
        self.target = target
    }

    enum CodingKeys: String, CodingKey {
        case kind
        case toolVersion = "tool_version"
        case at, host, target
    }

    static func encode(_ record: JournalRecord) throws(ReportError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamps.iso8601Millis(date))
        }
        do { return try encoder.encode(record) } catch { throw .encodingFailed(String(describing: error)) }
    }

    static func decode(_ line: Data) -> JournalRecord? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamps.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "bad timestamp \(text)")
            }
            return date
        }
        return try? decoder.decode(JournalRecord.self, from: line)
    }
}
