import CSparrow
import Sparrow

// Reading what C hands us: strings, arrays of strings and CSR rows, each checked before use, with
// errors that name the argument and the row.

public typealias CStrings = UnsafePointer<UnsafePointer<CChar>?>

/// A required UTF-8 string argument.
func string(_ p: UnsafePointer<CChar>?, _ name: String) throws -> String {
    guard let p else { throw CallError.invalid("\(name) is NULL") }
    guard let s = String(validatingCString: p) else { throw CallError.invalid("\(name) is not valid UTF-8") }
    return s
}

/// An optional UTF-8 string argument (NULL is nil).
func optionalString(_ p: UnsafePointer<CChar>?, _ name: String) throws -> String? {
    guard p != nil else { return nil }
    return try string(p, name)
}

/// `n` strings; `name[i]` is named in errors.
func strings(_ p: CStrings?, count n: Int, _ name: String) throws -> [String] {
    guard n > 0 else { return [] }
    guard let p else { throw CallError.invalid("\(name) is NULL") }
    return try (0..<n).map { i in try string(p[i], "\(name)[\(i)]") }
}

/// Document ids: valid as ids (no whitespace or control characters, not empty).
func documentIDs(_ p: CStrings?, count n: Int) throws -> [String] {
    let ids = try strings(p, count: n, "ids")
    for (i, id) in ids.enumerated() {
        if let problem = DocumentID.problem(with: id) { throw CallError.invalid("ids[\(i)] \"\(id)\": \(problem)") }
    }
    return ids
}

/// The rows of a CSR matrix as sparse vectors, every row checked: offsets in order and in bounds,
/// term indices below the vocabulary's size, weights finite and non-negative, no term twice.
func rows(_ csr: UnsafePointer<sparrow_csr>?, _ name: String) throws -> [SparseQuery] {
    guard let csr = csr?.pointee else { throw CallError.invalid("\(name) is NULL") }
    let n = csr.rows
    guard n > 0 else { return [] }
    guard n < Int.max / 2, let indptr = csr.indptr else { throw CallError.invalid("\(name).indptr is NULL") }
    guard indptr[0] == 0 else { throw CallError.invalid("\(name).indptr[0] is \(indptr[0]), not 0") }
    let entries = Int(indptr[n])
    if entries > 0 {
        guard csr.indices != nil else { throw CallError.invalid("\(name).indices is NULL") }
        guard csr.values != nil else { throw CallError.invalid("\(name).values is NULL") }
    }
    let vocabulary = try strings(csr.vocab, count: csr.vocab_size, "\(name).vocab")
    var result: [SparseQuery] = []
    result.reserveCapacity(n)
    var seen = [Int32](repeating: -1, count: vocabulary.count)
    for r in 0..<n {
        let start = indptr[r], end = indptr[r + 1]
        guard start <= end, end <= entries else {
            throw CallError.invalid("\(name).indptr is not non-decreasing within 0...\(entries) at row \(r)")
        }
        var tokens: [String] = []
        var weights: [Float] = []
        tokens.reserveCapacity(Int(end - start))
        weights.reserveCapacity(Int(end - start))
        for j in Int(start)..<Int(end) {
            let t = Int(csr.indices[j])
            guard t < vocabulary.count else {
                throw CallError.invalid("\(name) row \(r): term index \(t) is outside the vocabulary of \(vocabulary.count) terms")
            }
            let w = csr.values[j]
            guard w.isFinite, w >= 0 else {
                throw CallError.invalid("\(name) row \(r), term \"\(vocabulary[t])\": weight \(w) is not finite and non-negative")
            }
            guard seen[t] != Int32(truncatingIfNeeded: r) else {
                throw CallError.invalid("\(name) row \(r): term \"\(vocabulary[t])\" appears twice")
            }
            seen[t] = Int32(truncatingIfNeeded: r)
            tokens.append(vocabulary[t])
            weights.append(w)
        }
        result.append(SparseQuery(tokens: tokens, weights: weights))
    }
    return result
}

/// Writes `value` through `p` when the caller gave somewhere to write it.
func store<T>(_ value: T, _ p: UnsafeMutablePointer<T>?) {
    p?.pointee = value
}
