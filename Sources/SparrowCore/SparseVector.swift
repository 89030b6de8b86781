/// A sparse vector over an index's vocabulary: parallel arrays of term numbers and weights.
///
/// Queries are resolved to this form at the boundary (token strings to ``TermID``s), so the
/// algorithms never see strings. Entries keep the order they were given in; scoring sums the
/// per-term products in that order, which every algorithm follows so their results agree bit
/// for bit.
public struct SparseVector: Hashable, Sendable {
    public var terms: [TermID]
    public var weights: [Float]

    /// Creates a vector; `terms` and `weights` must have the same length.
    public init(terms: [TermID], weights: [Float]) {
        precondition(terms.count == weights.count, "terms and weights must have the same length")
        self.terms = terms
        self.weights = weights
    }

    /// The number of non-zero entries.
    public var count: Int { terms.count }
    public var isEmpty: Bool { terms.isEmpty }
}
