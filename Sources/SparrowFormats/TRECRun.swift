/// Writes a TREC run line: `qid Q0 docid rank score tag`.
///
/// Scores are printed with Swift's shortest round-trip representation, so a run file holds
/// exactly the `Float` the engine computed.
public func trecRunLine(queryID: String, documentID: String, rank: Int, score: Float, tag: String) -> String {
    "\(queryID) Q0 \(documentID) \(rank) \(score) \(tag)"
}
