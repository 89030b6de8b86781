/// The cursor ladder: what a query algorithm may ask of a posting list.
///
/// Storage decides how postings are laid out and implements these protocols with value types;
/// algorithms are generic over them and specialised, so inner loops call no existentials. An
/// exhausted cursor reports ``DocID/terminated``.

/// A forward-only iterator over the documents of one posting list, in increasing order.
public protocol PostingCursor {
    /// The current document, or ``DocID/terminated`` once exhausted.
    var doc: DocID { get }
    /// Moves to the next document.
    mutating func next()
    /// Moves to the first document `>= target` (stays put if already there).
    mutating func advance(toAtLeast target: DocID)
}

/// A cursor that can score its current document for the query it was opened with.
public protocol ScoredCursor: PostingCursor {
    /// The query weight times the document weight of the current posting.
    func score() -> Float
}

/// A scored cursor that knows an upper bound of every score it can produce.
public protocol MaxScoreCursor: ScoredCursor {
    /// No posting of this list scores higher.
    var maxScore: Float { get }
}

/// A max-score cursor that also knows the maximum score of the block of postings it is in.
///
/// Block maxima come from a table kept beside the posting codec, so any codec gets the block-max
/// algorithms by wrapping its cursor. ``advanceBlock(toAtLeast:)`` moves only the block pointer
/// ("shallow" advance): reading a block's bound is cheap, decoding its postings is not.
public protocol BlockMaxCursor: MaxScoreCursor {
    /// The last document of the current block (``DocID/terminated`` past the last block).
    var blockLastDoc: DocID { get }
    /// No posting of the current block scores higher (0 past the last block).
    var blockMaxScore: Float { get }
    /// Moves the block pointer to the block that would hold `target`; the posting position stays.
    mutating func advanceBlock(toAtLeast target: DocID)
}
