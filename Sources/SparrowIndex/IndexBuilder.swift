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
        /// A text collection's document without term frequencies and a length, or a document
        /// whose tokens and weights (or frequencies) differ in number.
        case missingFrequencies
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

    /// About how many bytes building this segment takes at its peak: what the builder holds (its
    /// arrays' capacities, so that growth is counted when it happens) and the inverted copy that
    /// ``finish(_:)`` makes before it lets the forward postings go. A build that must fit a memory
    /// budget finishes a segment before this reaches it.
    public var estimatedPeakBytes: Int {
        let held = forwardTerms.capacity * 4 + forwardWeights.capacity * 4 + forwardFrequencies.capacity * 4
            + forwardOffsets.capacity * 8 + lengths.capacity * 4 + texts.capacity + textOffsets.capacity * 8
            + ids.count * 96 + tokens.count * 96
        let inverted = forwardTerms.count * (storesFrequencies ? 12 : 8) + ids.count * 24 + texts.count
        return held + inverted
    }

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

    /// Makes room for `count` distinct tokens, so that interning that many does not rehash.
    public mutating func reserveTerms(_ count: Int) {
        tokenIDs.reserveCapacity(count)
        tokens.reserveCapacity(count)
        lastSeen.reserveCapacity(count)
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
                undo(from: start)
                throw .invalidWeight(token: tokens[Int(t)], weight: w)
            }
            guard lastSeen[Int(t)] != doc else {
                undo(from: start)
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

    /// Forgets the postings of a refused document, including the marks that would make the next
    /// document (which gets the same number) look like it repeats a term.
    private mutating func undo(from start: Int) {
        for t in forwardTerms[start...] { lastSeen[Int(t)] = -1 }
        forwardTerms.removeSubrange(start...)
        forwardWeights.removeSubrange(start...)
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

        // Vocabulary in byte order; rank[provisional] = final term number. The tokens' bytes are
        // laid out once, the sort compares them in place, and the vocabulary is copied from them.
        var order = Array(0..<termCount)
        let sortStorage = HeapStorage()
        let vocabulary = withExtendedLifetime(sortStorage) { () -> StringTable in
            let provisional = Self.stringTable(tokens, sortStorage)
            order.sort { compareBytes(provisional.bytes(at: $0), provisional.bytes(at: $1)) < 0 }
            return Self.stringTable(provisional, in: order, storage)
        }
        var rank = [UInt32](repeating: 0, count: termCount)
        for (r, provisional) in order.enumerated() { rank[provisional] = UInt32(r) }

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
        var pacer = YieldPacer()
        for (newDoc, d) in documents.enumerated() {
            pacer.point()
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
        let idTable = Self.stringTable(ids, storage)
        let segment = Segment(
            postings: postings,
            blockMax: BlockMaxTable.build(postings, blockSize: options.blockSize, storage: storage),
            ranges: options.rangeSize == 0 ? nil
                : RangeIndex.build(postings, documentCount: documentCount, rangeSize: options.rangeSize, storage: storage),
            vocabulary: vocabulary,
            documentIDs: idTable,
            documentTexts: textTable,
            frequencies: termFrequencies,
            clusters: options.clustered.flatMap { c in
                c.applies(toDocuments: documentCount)
                    ? ClusteredIndex.build(postings, documentCount: documentCount, settings: c, storage: storage) : nil
            },
            idOrder: UnsafeBufferPointer(Self.copy(Segment.idOrder(idTable), storage)),
            owner: storage)
        return segment
    }

    static func copy<T>(_ array: [T], _ storage: HeapStorage) -> UnsafeMutableBufferPointer<T> {
        let out = storage.allocate(T.self, count: array.count)
        _ = out.initialize(from: array)
        return out
    }

    static func stringTable(_ strings: [String], _ storage: HeapStorage) -> StringTable {
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

    /// The strings of `table` in the order `order` lists them (all of them, each once), copied
    /// into `storage`.
    static func stringTable(_ table: StringTable, in order: [Int], _ storage: HeapStorage) -> StringTable {
        let offsets = storage.allocate(UInt64.self, count: order.count + 1)
        let bytes = storage.allocate(UInt8.self, count: table.bytes.count)
        var at = 0
        offsets[0] = 0
        for (i, s) in order.enumerated() {
            let string = table.bytes(at: s)
            if !string.isEmpty { (bytes.baseAddress! + at).update(from: string.baseAddress!, count: string.count) }
            at += string.count
            offsets[i + 1] = UInt64(at)
        }
        return StringTable(offsets: UnsafeBufferPointer(offsets), bytes: UnsafeBufferPointer(bytes))
    }
}

extension IndexBuilder {
    /// Builds one segment of a collection with `settings` from prepared documents, in order.
    ///
    /// In a text collection (`settings.text` set) every document carries term frequencies and a
    /// length, and the weights are computed here with BM25 over these documents' own statistics,
    /// as a fresh build of them would store; the given weights are ignored. Throws the first
    /// document's problem with its position in `documents`.
    public static func segment(of documents: [PreparedDocument], settings: IndexSettings) throws(PositionedProblem) -> Segment {
        var builder = IndexBuilder(storesFrequencies: settings.text != nil)
        // A batch's distinct tokens are at most its postings (a vocabulary rarely exceeds 2^16).
        builder.reserveTerms(min(documents.reduce(0) { $0 + $1.tokens.count }, 1 << 16))
        if let text = settings.text {
            var termIDs: [UInt32] = []
            var df: [Int32] = []
            var docTerms: [[UInt32]] = []
            docTerms.reserveCapacity(documents.count)
            for (i, d) in documents.enumerated() {
                guard let f = d.frequencies, f.count == d.tokens.count, let length = d.length, length >= 0 else {
                    throw PositionedProblem(index: i, problem: .missingFrequencies)
                }
                termIDs.removeAll(keepingCapacity: true)
                for t in d.tokens {
                    let id = builder.intern(t)
                    if Int(id) == df.count { df.append(0) }
                    termIDs.append(id)
                }
                docTerms.append(termIDs)
                _ = f
            }
            let stats = TextStatistics(lengths: documents.lazy.map { UInt32(clamping: $0.length ?? 0) })
            let norms = BM25(k1: Float(text.k1), b: Float(text.b)).inverseNorms(averageLength: stats.averageLength)
            // Document frequencies: distinct terms per document (a repeated token is refused below).
            var seen = [Int32](repeating: -1, count: df.count)
            for (i, terms) in docTerms.enumerated() {
                for t in terms where seen[Int(t)] != Int32(i) {
                    seen[Int(t)] = Int32(i)
                    df[Int(t)] += 1
                }
            }
            let idf = df.map { BM25.idf(documentFrequency: Int($0), documentCount: stats.documentsWithTerms) }
            var weights: [Float] = []
            var pacer = YieldPacer()
            for (i, d) in documents.enumerated() {
                pacer.point()
                let norm = norms[Int(SmallFloat.intToByte4(d.length!))]
                weights.removeAll(keepingCapacity: true)
                for (t, f) in zip(docTerms[i], d.frequencies!) {
                    weights.append(BM25.weight(idf: idf[Int(t)], frequency: Int(f), inverseNorm: norm))
                }
                do {
                    try builder.add(id: d.id, termIDs: docTerms[i], weights: weights, frequencies: d.frequencies,
                                    length: d.length, text: d.text)
                } catch {
                    throw PositionedProblem(index: i, problem: error)
                }
            }
        } else {
            var pacer = YieldPacer()
            for (i, d) in documents.enumerated() {
                pacer.point()
                guard d.tokens.count == d.weights.count else { throw PositionedProblem(index: i, problem: .missingFrequencies) }
                do {
                    try builder.add(id: d.id, tokens: d.tokens, weights: d.weights, text: d.text)
                } catch {
                    throw PositionedProblem(index: i, problem: error)
                }
            }
        }
        return builder.finish(settings.buildOptions)
    }

    /// A refused document and its position in a batch.
    public struct PositionedProblem: Error, Sendable, Equatable {
        public var index: Int
        public var problem: Problem
    }
}
