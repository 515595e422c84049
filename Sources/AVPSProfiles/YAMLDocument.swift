import Foundation
import Yams

/// Reads and composes a YAML file into a `YAMLNodeReader` for its root, turning every I/O and
/// syntax failure into a `LoadError` that keeps Yams' line and column.
public enum YAMLDocument {
    /// Reads `url` and composes it. The error's `file` is `url.relativePath`, so a path given
    /// relative to the working directory is reported as the user typed it.
    public static func root(contentsOf url: URL) throws(LoadError) -> YAMLNodeReader {
        let file = url.relativePath
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw LoadError(file: file, line: 0, field: "", message: "cannot read file: \(error.localizedDescription)")
        }
        return try root(yaml: text, file: file)
    }

    /// Composes `yaml`; `file` is only used to label errors.
    public static func root(yaml: String, file: String) throws(LoadError) -> YAMLNodeReader {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw loadError(from: error, file: file)
        } catch {
            throw LoadError(file: file, line: 0, field: "", message: "YAML error: \(error)")
        }
        guard let node else {
            throw LoadError(file: file, line: 0, field: "", message: "file is empty")
        }
        return YAMLNodeReader(node: node, file: file, path: "")
    }

    /// Keeps Yams' position and problem text, drops its echo of the source line (the position
    /// already says where to look).
    static func loadError(from error: YamlError, file: String) -> LoadError {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let detail = context.map { "\(problem) (\($0.text))" } ?? problem
            return LoadError(file: file, line: mark.line, column: mark.column, field: "",
                             message: "YAML syntax error: \(detail)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            // Yams marks the first occurrence; the mistake a person fixes is the repeated one.
            let first = context.mark
            guard let name = duplicates.first,
                  let second = DuplicateKeyLocator.second(of: name, firstLine: first.line, column: first.column, in: context.text) else {
                return LoadError(file: file, line: first.line, column: first.column, field: "",
                                 message: "duplicate key \(names) in one mapping")
            }
            return LoadError(file: file, line: second.line, column: second.column, field: name,
                             message: "duplicate key \(names) in one mapping (first at line \(first.line))")
        case .reader(let problem, _, _, _):
            return LoadError(file: file, line: 0, field: "", message: "cannot read YAML: \(problem)")
        default:
            return LoadError(file: file, line: 0, field: "", message: "YAML error: \(error)")
        }
    }
}
