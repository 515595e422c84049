/// Finds the second occurrence of a mapping key in YAML text, given where the first one is
/// (Yams reports only the first). Block mappings: the next line whose key starts at the same
/// column, before the mapping ends (a non-blank line indented less). Flow mappings: a later
/// `key:` on the same line after `,` or `{`. nil when neither matches (the caller then keeps the
/// first position).
enum DuplicateKeyLocator {
    /// 1-based line and column, as Yams' marks are.
    static func second(of key: String, firstLine: Int, column: Int, in text: String) -> (line: Int, column: Int)? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0) }
        guard firstLine >= 1, firstLine <= lines.count, column >= 1 else { return nil }
        let spellings = [key, "\"\(key)\"", "'\(key)'"].map(Array.init)
        if let flow = flowMatch(lines[firstLine - 1], after: column, spellings) { return (firstLine, flow) }
        for index in firstLine..<lines.count {
            let line = lines[index]
            let indent = line.prefix { $0 == " " }.count
            if indent == line.count || line[indent] == "#" { continue }  // blank or comment
            if indent < column - 1 { return nil }  // the mapping ended
            if indent == column - 1, spellings.contains(where: { startsKey(line, at: indent, $0) }) {
                return (index + 1, column)
            }
        }
        return nil
    }

    private static func flowMatch(_ line: [Character], after column: Int, _ spellings: [[Character]]) -> Int? {
        var position = column  // 0-based index just past the first key's first character
        while position < line.count {
            if line[position] == "," || line[position] == "{" {
                var start = position + 1
                while start < line.count, line[start] == " " { start += 1 }
                if spellings.contains(where: { startsKey(line, at: start, $0) }) { return start + 1 }
            }
            position += 1
        }
        return nil
    }

    /// `key` at `offset`, followed by optional spaces and a colon.
    private static func startsKey(_ line: [Character], at offset: Int, _ key: [Character]) -> Bool {
        guard offset + key.count <= line.count, Array(line[offset..<offset + key.count]) == key else { return false }
        var next = offset + key.count
        while next < line.count, line[next] == " " { next += 1 }
        return next < line.count && line[next] == ":"
    }
}
