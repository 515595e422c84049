/// Errors collected while reading a profile, so that `avps profile lint` can report every
/// problem of a file at once while `ProfileLoader.load` still stops at the first.
struct Diagnostics {
    private(set) var errors: [LoadError] = []

    var isEmpty: Bool { errors.isEmpty }

    mutating func record(_ error: LoadError) {
        errors.append(error)
    }

    /// Runs `body`; a thrown error is recorded and nil returned.
    mutating func attempt<T>(_ body: () throws(LoadError) -> T) -> T? {
        do {
            return try body()
        } catch {
            errors.append(error)
            return nil
        }
    }
}
