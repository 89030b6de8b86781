import SparrowCore
import SparrowIndex

/// The query algorithms a search can run. Every one returns the same top-k (the exact top-k by
/// dot product, ties to the lower document number); they differ only in speed.
public enum Algorithm: String, CaseIterable, Sendable {
    /// Term-at-a-time over a flat score accumulator, then top-k selection.
    case exhaustiveTAAT = "exhaustive-taat"
    /// Document-at-a-time over posting cursors, scoring every matching document.
    case exhaustiveDAAT = "exhaustive-daat"

    /// The algorithm used when none is named.
    public static let auto: Algorithm = .exhaustiveTAAT
}

extension Segment {
    /// The exact top-`k` documents for `query` by dot product, using `algorithm`.
    ///
    /// Only documents with a positive score are returned (a document that shares no term with the
    /// query, or only zero weights, is not an answer). `k` must be at least 1.
    public func search(_ query: SparseVector, k: Int, algorithm: Algorithm = .auto) -> [ScoredDoc] {
        switch algorithm {
        case .exhaustiveTAAT:
            return exhaustiveTAAT(postings, query: query, documentCount: documentCount, k: k)
        case .exhaustiveDAAT:
            var cursors = query.terms.indices.map {
                RawPostingCursor(postings, term: query.terms[$0], queryWeight: query.weights[$0])
            }
            return exhaustiveDAAT(&cursors, k: k)
        }
    }
}
