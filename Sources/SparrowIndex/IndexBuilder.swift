import SparrowCore

/// Accumulates documents in memory and turns them into a ``Segment``.
///
/// Documents get internal numbers in the order they are added. `finish()` sorts the vocabulary
/// by bytes (a term's number is its rank) and inverts the forward postings with a counting sort,
/// so every posting list comes out ordered by document.
public struct IndexBuilder {
    /// Why a document was refused. The caller adds the file and line.
    public enum Problem: Error, Equatable, Sendable {
        case duplicateID(id: String, firstDocument: Int)
        case duplicateToken(token: String)
        case invalidWeight(token: String, weight: Float)
        case tooManyDocuments
    }

    private var tokenIDs: [ExactString: UInt32] = [:]
    private var tokens: [String] = []
    private var idIndex: [ExactString: Int] = [:]
    private var ids: [String] = []
    private var texts: [UInt8] = []
    private var textOffsets: [UInt64] = [0]
    private var forwardTerms: [UInt32] = []
    private var forwardWeights: [Float] = []
    private var forwardOffsets: [Int] = [0]
    private var lastSeen: [Int32] = []   // per provisional term: last document that used it
    private var scratchTerms: [UInt32] = []
    /// Term frequencies (per forward posting) and lengths (per document), when the documents came
    /// with them; either every document has them or none does.
    private var forwardFrequencies: [UInt32] = []
    private var lengths: [UInt32] = []

    /// Whether documents come with term frequencies and lengths, which the index then stores.
    public let storesFrequencies: Bool

    public init(storesFrequencies: Bool = false) {
        self.storesFrequencies = storesFrequencies
    }

    /// The number of documents added.
    public var documentCount: Int { ids.count }
    /// The number of postings added.
    public var postingCount: Int { forwardTerms.count }

    /// Adds a document. Weights must be finite and non-negative; tokens must not repeat.
    public mutating func add(id: String, tokens docTokens: [String], weights: [Float], text: String?) throws(Problem) {
        precondition(docTokens.count == weights.count && !storesFrequencies)
        var terms = [UInt32]()
        swap(&terms, &scratchTerms)
        defer { swap(&terms, &scratchTerms) }
        terms.removeAll(keepingCapacity: true)
        for token in docTokens { terms.append(intern(token)) }
        try add(id: id, termIDs: terms, weights: weights, text: text)
    }

    /// The builder's number for `token`, adding it to the vocabulary when new. Lets a caller that
    /// already numbers its terms add documents by number (``add(id:termIDs:weights:text:)``)
    /// without hashing every token string again.
    public mutating func intern(_ token: String) -> UInt32 {
        if let known = tokenIDs[ExactString(token)] { return known }
        let t = UInt32(tokens.count)
        tokenIDs[ExactString(token)] = t
        tokens.append(token)
        lastSeen.append(-1)
        return t
    }

    /// Adds a document whose terms are numbers from ``intern(_:)``. The same rules as
    /// ``add(id:tokens:weights:text:)`` apply.
    ///
    /// When ``storesFrequencies`` is set (an index built from text), every document also passes
    /// each term's `frequencies` and its `length` (number of terms), and the index stores them
    /// (``TermFrequencies``).
    public mutating func add(id: String, termIDs: [UInt32], weights: [Float], frequencies: [UInt32]? = nil,
                             length: Int? = nil, text: String?) throws(Problem) {
        precondition(termIDs.count == weights.count && (frequencies == nil || frequencies!.count == termIDs.count))
        precondition((frequencies != nil) == storesFrequencies && (length != nil) == storesFrequencies,
                     "give term frequencies and a length exactly when storesFrequencies is set")
        guard ids.count < Int(DocID.maxValid) && ids.count < Int(Int32.max) else { throw .tooManyDocuments }
        let key = ExactString(id)
        if let first = idIndex[key] { throw .duplicateID(id: id, firstDocument: first) }
        let doc = Int32(ids.count)
        let start = forwardTerms.count
        for (t, w) in zip(termIDs, weights) {
            precondition(Int(t) < tokens.count, "term number \(t) was not interned")
            guard w.isFinite && w >= 0 else {
                forwardTerms.removeSubrange(start...)
                forwardWeights.removeSubrange(start...)
                throw .invalidWeight(token: tokens[Int(t)], weight: w)
            }
            guard lastSeen[Int(t)] != doc else {
                forwardTerms.removeSubrange(start...)
                forwardWeights.removeSubrange(start...)
                throw .duplicateToken(token: tokens[Int(t)])
            }
            lastSeen[Int(t)] = doc
            forwardTerms.append(t)
            forwardWeights.append(w)
        }
        if let frequencies, let length {
            forwardFrequencies.append(contentsOf: frequencies)
            lengths.append(UInt32(clamping: length))
        }
        idIndex[key] = ids.count
        ids.append(id)
        forwardOffsets.append(forwardTerms.count)
        if let text { texts.append(contentsOf: text.utf8) }
        textOffsets.append(UInt64(texts.count))
    }

    /// Builds the segment, consuming the builder: its forward postings are released as soon as
    /// they are inverted, before the block and range tables are built, to keep peak memory low.
    public consuming func finish(_ options: BuildOptions = BuildOptions()) -> Segment {
        tokenIDs = [:]
        idIndex = [:]
        lastSeen = []
        scratchTerms = []
        let storage = HeapStorage()
        let termCount = tokens.count
        let documentCount = ids.count

        // Vocabulary in byte order; rank[provisional] = final term number.
        let order = tokens.indices.sorted { ExactString(tokens[$0]) < ExactString(tokens[$1]) }
        var rank = [UInt32](repeating: 0, count: termCount)
        for (r, provisional) in order.enumerated() { rank[provisional] = UInt32(r) }
        let vocabulary = Self.stringTable(order.map { tokens[$0] }, storage)

        // Document order: newDoc -> the document added in that position.
        let documents: [Int]
        switch options.reorder {
        case .none: documents = Array(0..<documentCount)
        case .cluster:
            documents = DocumentOrder.cluster(documentCount: documentCount, offsets: forwardOffsets,
                                              terms: forwardTerms, weights: forwardWeights)
        }

        // Counting sort of forward postings into posting lists.
        let offsets = storage.allocate(UInt64.self, count: termCount + 1)
        offsets.initialize(repeating: 0)
        for t in forwardTerms { offsets[Int(rank[Int(t)]) + 1] += 1 }
        for t in 0..<termCount { offsets[t + 1] += offsets[t] }
        let postingCount = forwardTerms.count
        let docs = storage.allocate(UInt32.self, count: postingCount)
        let weights = storage.allocate(Float.self, count: postingCount)
        let maxWeights = storage.allocate(Float.self, count: termCount)
        maxWeights.initialize(repeating: 0)
        let hasFrequencies = storesFrequencies
        let frequencies = storage.allocate(UInt32.self, count: hasFrequencies ? postingCount : 0)
        var cursor = [Int](offsets.dropLast().map { Int($0) })
        for (newDoc, d) in documents.enumerated() {
            for i in forwardOffsets[d]..<forwardOffsets[d + 1] {
                let t = Int(rank[Int(forwardTerms[i])])
                let at = cursor[t]
                docs[at] = UInt32(newDoc)
                weights[at] = forwardWeights[i]
                if hasFrequencies { frequencies[at] = forwardFrequencies[i] }
                if forwardWeights[i] > maxWeights[t] { maxWeights[t] = forwardWeights[i] }
                cursor[t] = at + 1
            }
        }
        forwardTerms = []
        forwardWeights = []
        forwardOffsets = []
        forwardFrequencies = []
        let termFrequencies = hasFrequencies
            ? TermFrequencies(frequencies: UnsafeBufferPointer(frequencies),
                              lengths: UnsafeBufferPointer(Self.copy(documents.map { lengths[$0] }, storage)))
            : nil

        // Texts and ids follow the documents to their new numbers (input order needs no copy).
        if options.reorder != .none {
            var offsets: [UInt64] = [0]
            var bytes: [UInt8] = []
            bytes.reserveCapacity(texts.count)
            for d in documents {
                bytes.append(contentsOf: texts[Int(textOffsets[d])..<Int(textOffsets[d + 1])])
                offsets.append(UInt64(bytes.count))
            }
            (texts, textOffsets) = (bytes, offsets)
            ids = documents.map { ids[$0] }
        }
        let textTable = StringTable(
            offsets: UnsafeBufferPointer(Self.copy(textOffsets, storage)),
            bytes: UnsafeBufferPointer(Self.copy(texts, storage)))
        let postings = PostingLists(offsets: UnsafeBufferPointer(offsets), docs: UnsafeBufferPointer(docs),
                                    weights: UnsafeBufferPointer(weights), maxWeights: UnsafeBufferPointer(maxWeights))
        let segment = Segment(
            postings: postings,
            blockMax: BlockMaxTable.build(postings, blockSize: options.blockSize, storage: storage),
            ranges: options.rangeSize == 0 ? nil
                : RangeIndex.build(postings, documentCount: documentCount, rangeSize: options.rangeSize, storage: storage),
            vocabulary: vocabulary,
            documentIDs: Self.stringTable(ids, storage),
            documentTexts: textTable,
            frequencies: termFrequencies,
            owner: storage)
        segment.ordering = options.reorder
        return segment
    }

    private static func copy<T>(_ array: [T], _ storage: HeapStorage) -> UnsafeMutableBufferPointer<T> {
        let out = storage.allocate(T.self, count: array.count)
        _ = out.initialize(from: array)
        return out
    }

    private static func stringTable(_ strings: [String], _ storage: HeapStorage) -> StringTable {
        let total = strings.reduce(0) { $0 + $1.utf8.count }
        let offsets = storage.allocate(UInt64.self, count: strings.count + 1)
        let bytes = storage.allocate(UInt8.self, count: total)
        var at = 0
        offsets[0] = 0
        for (i, s) in strings.enumerated() {
            for b in s.utf8 {
                bytes[at] = b
                at += 1
            }
            offsets[i + 1] = UInt64(at)
        }
        return StringTable(offsets: UnsafeBufferPointer(offsets), bytes: UnsafeBufferPointer(bytes))
    }
}
