/// The raw counts behind an index built from text: how often each posting's term occurs in its
/// document, and how many terms each document has. The posting weights are computed from these
/// (BM25), so they let `check` verify every weight and let a later version re-weight an index
/// without analysing the text again.
public struct TermFrequencies: @unchecked Sendable {
    /// Per posting, parallel to ``PostingLists/docs``: occurrences of the term in the document.
    public let frequencies: UnsafeBufferPointer<UInt32>
    /// Per document: its number of terms (occurrences, after analysis).
    public let lengths: UnsafeBufferPointer<UInt32>
}

extension TermFrequencies {
    /// The sections the table is stored as.
    var sections: [SectionSource] {
        [SectionSource(SegmentFiles.termFrequencies, frequencies),
         SectionSource(SegmentFiles.documentLengths, lengths)]
    }
}
