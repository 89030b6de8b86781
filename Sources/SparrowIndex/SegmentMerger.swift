import SparrowCore

/// A segment with the documents deleted from it: the unit a collection is made of.
public struct SegmentView: @unchecked Sendable {
    public let segment: Segment
    public let deletions: Deletions?

    public init(_ segment: Segment, deletions: Deletions?) {
        self.segment = segment
        self.deletions = deletions
    }

    /// Documents not deleted.
    public var liveCount: Int { segment.documentCount - (deletions?.count ?? 0) }

    @inline(__always)
    func isLive(_ doc: Int) -> Bool { !(deletions?.contains(doc) ?? false) }
}

/// Rewrites segments into one, dropping deleted documents.
///
/// Documents keep their order (the first segment's live documents first), so the merged segment
/// scores and ranks as the inputs did. Posting lists are concatenated term by term in a k-way merge
/// of the sorted vocabularies, reading the inputs where they lie (memory-mapped files or memory).
/// Every size is counted first, then each section is produced in one pass, a term or a document
/// at a time: into memory (``merge(_:settings:)``, for the writer's buffer), or straight into the
/// segment's files (``write(_:settings:directory:name:rangeWindowPostings:)``), which holds no
/// more than one posting list, the document-number maps and per-term tables in memory, however
/// large the output. Block-max and range tables are rebuilt for it, and in a text collection every
/// weight is recomputed with BM25 over the merged segment's own statistics, as a fresh build of its
/// documents would.
public enum SegmentMerger {
    /// Two live documents of the inputs have the same id (only a build from a file can do this).
    public struct DuplicateID: Error, Equatable {
        public let id: String
    }

    /// The merged segment, in memory.
    public static func merge(_ inputs: [SegmentView], settings: IndexSettings) throws -> Segment {
        let plan = Plan(inputs, settings: settings)
        let storage = HeapStorage()
        let out = HeapSections(plan.postingLayouts + plan.frequencyLayouts + plan.termLayouts + plan.documentLayouts,
                               storage: storage)
        try plan.write(postings: out, frequencies: settings.text == nil ? nil : out, terms: out, documents: out)
        let postings = PostingLists(offsets: out.section(SegmentFiles.postingOffsets, as: UInt64.self),
                                    docs: out.section(SegmentFiles.postingDocs, as: UInt32.self),
                                    weights: out.section(SegmentFiles.postingWeights, as: Float.self),
                                    maxWeights: out.section(SegmentFiles.maxWeights, as: Float.self))
        let options = settings.buildOptions
        return Segment(
            postings: postings,
            blockMax: BlockMaxTable(blockSize: options.blockSize,
                                    offsets: out.section(SegmentFiles.blockOffsets, as: UInt64.self),
                                    lastDocs: out.section(SegmentFiles.blockLastDocs, as: UInt32.self),
                                    maxWeights: out.section(SegmentFiles.blockMaxWeights, as: Float.self)),
            ranges: options.rangeSize == 0 ? nil
                : RangeIndex.build(postings, documentCount: plan.documentCount, rangeSize: options.rangeSize, storage: storage),
            vocabulary: StringTable(offsets: out.section(SegmentFiles.termOffsets, as: UInt64.self),
                                    bytes: out.section(SegmentFiles.termBytes, as: UInt8.self)),
            documentIDs: StringTable(offsets: out.section(SegmentFiles.idOffsets, as: UInt64.self),
                                     bytes: out.section(SegmentFiles.idBytes, as: UInt8.self)),
            documentTexts: StringTable(offsets: out.section(SegmentFiles.textOffsets, as: UInt64.self),
                                       bytes: out.section(SegmentFiles.textBytes, as: UInt8.self)),
            frequencies: settings.text == nil ? nil
                : TermFrequencies(frequencies: out.section(SegmentFiles.termFrequencies, as: UInt32.self),
                                  lengths: out.section(SegmentFiles.documentLengths, as: UInt32.self)),
            clusters: settings.clustered.flatMap { c in
                c.applies(toDocuments: plan.documentCount)
                    ? ClusteredIndex.build(postings, documentCount: plan.documentCount, settings: c, storage: storage) : nil
            },
            idOrder: out.section(SegmentFiles.idOrder, as: UInt32.self),
            owner: storage)
    }

    /// Writes the merged segment's files into `directory` under `name` (fsynced; no commit names
    /// them yet) and returns its `meta.json` entry, or nil when no input has a live document (then
    /// nothing is written). Pages of mapped inputs are let go of as the passes move on, so the
    /// process's resident memory stays bounded too. The range index is built from the written
    /// postings, at most `rangeWindowPostings` postings of it in memory at a time.
    public static func write(_ inputs: [SegmentView], settings: IndexSettings, directory: String, name: String,
                             rangeWindowPostings: Int = 1 << 25) throws -> IndexMeta.SegmentMeta? {
        let plan = Plan(inputs, settings: settings)
        guard plan.documentCount > 0 else { return nil }
        let base = directory + "/" + name + "."
        do {
            let postings = try SectionFileWriter(path: base + SegmentFiles.postings.suffix, kind: SegmentFiles.postings.kind,
                                                 sections: plan.postingLayouts)
            let frequencies = settings.text == nil ? nil
                : try SectionFileWriter(path: base + SegmentFiles.frequencies.suffix, kind: SegmentFiles.frequencies.kind,
                                        sections: plan.frequencyLayouts)
            let terms = try SectionFileWriter(path: base + SegmentFiles.terms.suffix, kind: SegmentFiles.terms.kind,
                                              sections: plan.termLayouts)
            let documents = try SectionFileWriter(path: base + SegmentFiles.docs.suffix, kind: SegmentFiles.docs.kind,
                                                  sections: plan.documentLayouts)
            try plan.write(postings: postings, frequencies: frequencies, terms: terms, documents: documents,
                           release: { for input in inputs { input.segment.releaseMappedPages() } })
            for file in [postings, frequencies, terms, documents] { try file?.finish() }
            let rangeSize = settings.buildOptions.rangeSize
            let clustered = settings.hasClusters(documents: plan.documentCount) ? settings.clustered : nil
            if rangeSize > 0 || clustered != nil {
                let written = try MappedFile(path: base + SegmentFiles.postings.suffix, expectedKind: SegmentFiles.postings.kind,
                                             verifyChecksum: false)
                let lists = PostingLists(offsets: try written.section(SegmentFiles.postingOffsets, as: UInt64.self),
                                         docs: try written.section(SegmentFiles.postingDocs, as: UInt32.self),
                                         weights: try written.section(SegmentFiles.postingWeights, as: Float.self),
                                         maxWeights: try written.section(SegmentFiles.maxWeights, as: Float.self))
                if rangeSize > 0 {
                    try RangeIndex.write(lists, documentCount: plan.documentCount, rangeSize: rangeSize,
                                         to: base + SegmentFiles.ranges.suffix, windowPostings: rangeWindowPostings,
                                         between: written.releasePages)
                }
                if let clustered {
                    // Built from the written postings, its forward index (as large as the
                    // postings) in scratch files beside them, so that memory does not bound the
                    // segment's size; then written without a second copy.
                    try ClusteredIndex.write(lists, documentCount: plan.documentCount, settings: clustered,
                                             to: base + SegmentFiles.clusters.suffix, spillDirectory: directory)
                    written.releasePages()
                }
            }
        } catch {
            IndexDirectory.removeSegmentFiles(directory, name: name)
            throw error
        }
        return IndexMeta.SegmentMeta(name: name, documents: plan.documentCount, terms: plan.termCount,
                                     postings: plan.postingCount)
    }

    /// What the merged segment holds, counted before any of it is produced.
    struct Plan {
        let inputs: [SegmentView]
        let settings: IndexSettings
        /// For each input, the merged number of each of its documents (-1: deleted).
        var docMaps: [[Int32]] = []
        var documentCount = 0
        /// Merged terms in byte order: the inputs that have each, with its number there (term `t`'s
        /// are `termSources[sourceStarts[t]..<sourceStarts[t + 1]]`, one array for all terms).
        var termSources: [(input: Int, term: TermID)] = []
        var sourceStarts: [Int] = [0]
        var tokens: [UnsafeBufferPointer<UInt8>] = []
        var postingOffsets: [UInt64] = [0]
        var blockOffsets: [UInt64] = [0]
        var idBytes = 0
        var textBytes = 0
        /// Text collections: merged document lengths, and BM25 over the merged segment.
        var lengths: [UInt32] = []
        var idf: [Float] = []
        var norms: [Float] = []

        var termCount: Int { sourceStarts.count - 1 }
        var postingCount: Int { Int(postingOffsets[termCount]) }
        var blockCount: Int { Int(blockOffsets[termCount]) }
        var isText: Bool { settings.text != nil }

        init(_ inputs: [SegmentView], settings: IndexSettings) {
            self.inputs = inputs
            self.settings = settings
            let blockSize = settings.buildOptions.blockSize
            for input in inputs {
                let s = input.segment
                var map = [Int32](repeating: -1, count: s.documentCount)
                for d in 0..<s.documentCount where input.isLive(d) {
                    map[d] = Int32(documentCount)
                    documentCount += 1
                    idBytes += s.documentIDs.bytes(at: d).count
                    textBytes += s.documentTexts.bytes(at: d).count
                    if settings.text != nil { lengths.append(s.frequencies?.lengths[d] ?? 0) }
                }
                docMaps.append(map)
            }
            var documentFrequencies: [Int] = []
            var pacer = YieldPacer()
            SegmentMerger.forEachTerm(of: inputs) { token, sources in
                pacer.lightPoint()
                let df = sources.reduce(0) { $0 + liveDocumentFrequency(inputs[$1.input], $1.term) }
                // A term only deleted documents have does not survive.
                guard df > 0 else { return }
                termSources.append(contentsOf: sources)
                sourceStarts.append(termSources.count)
                tokens.append(token)
                documentFrequencies.append(df)
                postingOffsets.append(postingOffsets[postingOffsets.count - 1] + UInt64(df))
                blockOffsets.append(blockOffsets[blockOffsets.count - 1]
                                    + UInt64(BlockMaxTable.blockCount(postings: df, blockSize: blockSize)))
            }
            if let text = settings.text {
                let stats = TextStatistics(lengths: lengths)
                norms = BM25(k1: Float(text.k1), b: Float(text.b)).inverseNorms(averageLength: stats.averageLength)
                idf = documentFrequencies.map { BM25.idf(documentFrequency: $0, documentCount: stats.documentsWithTerms) }
            }
        }

        var postingLayouts: [SectionLayout] {
            [SectionLayout(SegmentFiles.postingOffsets, UInt64.self, count: termCount + 1),
             SectionLayout(SegmentFiles.postingDocs, UInt32.self, count: postingCount),
             SectionLayout(SegmentFiles.postingWeights, Float.self, count: postingCount),
             SectionLayout(SegmentFiles.maxWeights, Float.self, count: termCount),
             SectionLayout(SegmentFiles.blockOffsets, UInt64.self, count: termCount + 1),
             SectionLayout(SegmentFiles.blockLastDocs, UInt32.self, count: blockCount),
             SectionLayout(SegmentFiles.blockMaxWeights, Float.self, count: blockCount)]
        }

        var frequencyLayouts: [SectionLayout] {
            isText ? [SectionLayout(SegmentFiles.termFrequencies, UInt32.self, count: postingCount),
                      SectionLayout(SegmentFiles.documentLengths, UInt32.self, count: documentCount)] : []
        }

        var termLayouts: [SectionLayout] {
            [SectionLayout(SegmentFiles.termOffsets, UInt64.self, count: termCount + 1),
             SectionLayout(SegmentFiles.termBytes, UInt8.self, count: tokens.reduce(0) { $0 + $1.count })]
        }

        var documentLayouts: [SectionLayout] {
            [SectionLayout(SegmentFiles.idOffsets, UInt64.self, count: documentCount + 1),
             SectionLayout(SegmentFiles.idBytes, UInt8.self, count: idBytes),
             SectionLayout(SegmentFiles.textOffsets, UInt64.self, count: documentCount + 1),
             SectionLayout(SegmentFiles.textBytes, UInt8.self, count: textBytes),
             SectionLayout(SegmentFiles.idOrder, UInt32.self, count: documentCount)]
        }

        /// Produces every section. `release` drops the inputs' pages; it runs as ``PageBudget`` says.
        func write(postings out: some SectionOutput, frequencies: (some SectionOutput)?, terms: some SectionOutput,
                   documents: some SectionOutput, release: () -> Void = {}) throws {
            try writePostings(out, frequencies: frequencies, release: release)
            if let frequencies { try frequencies.append(SegmentFiles.documentLengths, lengths) }
            try terms.append(SegmentFiles.termOffsets, [UInt64(0)])
            var used: UInt64 = 0
            for token in tokens {
                used += UInt64(token.count)
                try terms.append(SegmentFiles.termOffsets, value: used)
                try terms.append(SegmentFiles.termBytes, UnsafeRawBufferPointer(token))
            }
            try writeDocuments(documents)
            release()
        }

        private func writePostings(_ out: some SectionOutput, frequencies: (some SectionOutput)?,
                                   release: () -> Void) throws {
            try out.append(SegmentFiles.postingOffsets, postingOffsets)
            try out.append(SegmentFiles.blockOffsets, blockOffsets)
            let blockSize = settings.buildOptions.blockSize
            var docs: [UInt32] = []
            var weights: [Float] = []
            var counts: [UInt32] = []
            var lastDocs: [UInt32] = []
            var blockMax: [Float] = []
            var pages = PageBudget()
            var pacer = YieldPacer()
            for t in 0..<termCount {
                pacer.lightPoint()
                docs.removeAll(keepingCapacity: true)
                weights.removeAll(keepingCapacity: true)
                counts.removeAll(keepingCapacity: true)
                let sources = sourceStarts[t]..<sourceStarts[t + 1]
                for (i, term) in termSources[sources] {
                    let postings = inputs[i].segment.postings
                    let freqs = inputs[i].segment.frequencies?.frequencies
                    let map = docMaps[i]
                    for p in postings.range(of: term) {
                        let d = map[Int(postings.docs[p])]
                        if d < 0 { continue }
                        docs.append(UInt32(d))
                        if isText {
                            let f = freqs?[p] ?? 0
                            counts.append(f)
                            weights.append(bm25(idf: idf[t], frequency: f, length: lengths[Int(d)], norms: norms))
                        } else {
                            weights.append(postings.weights[p])
                        }
                    }
                }
                try out.append(SegmentFiles.postingDocs, docs)
                try out.append(SegmentFiles.postingWeights, weights)
                if let frequencies { try frequencies.append(SegmentFiles.termFrequencies, counts) }
                try out.append(SegmentFiles.maxWeights, value: weights.max() ?? 0)
                lastDocs.removeAll(keepingCapacity: true)
                blockMax.removeAll(keepingCapacity: true)
                docs.withUnsafeBufferPointer { d in
                    weights.withUnsafeBufferPointer { w in
                        BlockMaxTable.forEachBlock(docs: d, weights: w, blockSize: blockSize) { last, m in
                            lastDocs.append(last)
                            blockMax.append(m)
                        }
                    }
                }
                try out.append(SegmentFiles.blockLastDocs, lastDocs)
                try out.append(SegmentFiles.blockMaxWeights, blockMax)
                if pages.touch(lists: sources.count * (isText ? 3 : 2), bytes: docs.count * (isText ? 12 : 8)) { release() }
            }
        }

        /// Ids and texts of the live documents in order, and their order by id: a k-way merge of
        /// the inputs' id orders, which also finds an id two live documents share.
        private func writeDocuments(_ out: some SectionOutput) throws {
            var idAt: UInt64 = 0
            var textAt: UInt64 = 0
            try out.append(SegmentFiles.idOffsets, value: idAt)
            try out.append(SegmentFiles.textOffsets, value: textAt)
            var pacer = YieldPacer()
            for input in inputs {
                let s = input.segment
                for d in 0..<s.documentCount where input.isLive(d) {
                    pacer.lightPoint()
                    let id = s.documentIDs.bytes(at: d)
                    let text = s.documentTexts.bytes(at: d)
                    idAt += UInt64(id.count)
                    textAt += UInt64(text.count)
                    try out.append(SegmentFiles.idOffsets, value: idAt)
                    try out.append(SegmentFiles.textOffsets, value: textAt)
                    try out.append(SegmentFiles.idBytes, UnsafeRawBufferPointer(id))
                    try out.append(SegmentFiles.textBytes, UnsafeRawBufferPointer(text))
                }
            }
            try withIDOrders(inputs.map(\.segment)) { orders in
                var next = [Int](repeating: 0, count: inputs.count)
                var previous: UnsafeBufferPointer<UInt8>?
                func skipDeleted(_ i: Int) {
                    while next[i] < orders[i].count && docMaps[i][Int(orders[i][next[i]])] < 0 { next[i] += 1 }
                }
                for i in inputs.indices { skipDeleted(i) }
                while true {
                    pacer.lightPoint()
                    var best = -1
                    var bestID = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
                    for i in inputs.indices where next[i] < orders[i].count {
                        let id = inputs[i].segment.documentIDs.bytes(at: Int(orders[i][next[i]]))
                        if best < 0 || compareBytes(id, bestID) < 0 { (best, bestID) = (i, id) }
                    }
                    guard best >= 0 else { return }
                    if let previous, compareBytes(previous, bestID) == 0 {
                        throw DuplicateID(id: String(decoding: bestID, as: UTF8.self))
                    }
                    previous = bestID
                    try out.append(SegmentFiles.idOrder, value: UInt32(docMaps[best][Int(orders[best][next[best]])]))
                    next[best] += 1
                    skipDeleted(best)
                }
            }
        }
    }

    /// Runs `body` with the id order of every segment.
    private static func withIDOrders<R>(_ segments: ArraySlice<Segment>, _ done: [UnsafeBufferPointer<UInt32>] = [],
                                        _ body: ([UnsafeBufferPointer<UInt32>]) throws -> R) rethrows -> R {
        guard let first = segments.first else { return try body(done) }
        return try first.withIDOrder { try withIDOrders(segments.dropFirst(), done + [$0], body) }
    }

    private static func withIDOrders<R>(_ segments: [Segment], _ body: ([UnsafeBufferPointer<UInt32>]) throws -> R) rethrows -> R {
        try withIDOrders(segments[...], [], body)
    }

    /// Calls `body` with every token of the inputs' vocabularies in byte order, once each, with the
    /// inputs that have it and its number in each (a k-way merge of the sorted vocabularies). The
    /// sources array is reused from term to term: `body` copies what it keeps.
    static func forEachTerm(of inputs: [SegmentView],
                            _ body: (UnsafeBufferPointer<UInt8>, [(input: Int, term: TermID)]) -> Void) {
        var next = [Int](repeating: 0, count: inputs.count)
        // Each input's next token (nil once it has none left): one comparison per input per term.
        var heads = inputs.map { $0.segment.termCount > 0 ? $0.segment.vocabulary.bytes(at: 0) : nil }
        var sources: [(input: Int, term: TermID)] = []
        sources.reserveCapacity(inputs.count)
        while true {
            var best: UnsafeBufferPointer<UInt8>?
            sources.removeAll(keepingCapacity: true)
            for i in inputs.indices {
                guard let head = heads[i] else { continue }
                let c = best.map { compareBytes(head, $0) } ?? -1
                if c < 0 {
                    best = head
                    sources.removeAll(keepingCapacity: true)
                }
                if c <= 0 { sources.append((i, TermID(next[i]))) }
            }
            guard let token = best else { return }
            for (i, _) in sources {
                next[i] += 1
                let vocabulary = inputs[i].segment.vocabulary
                heads[i] = next[i] < inputs[i].segment.termCount ? vocabulary.bytes(at: next[i]) : nil
            }
            body(token, sources)
        }
    }

    /// The number of live documents of `view` that have `term`.
    static func liveDocumentFrequency(_ view: SegmentView, _ term: TermID) -> Int {
        let postings = view.segment.postings
        let r = postings.range(of: term)
        guard let deletions = view.deletions else { return r.count }
        var n = 0
        for p in r where !deletions.contains(Int(postings.docs[p])) { n += 1 }
        return n
    }

    /// The BM25 weight of a term occurring `frequency` times in a document of `length` terms.
    @inline(__always)
    static func bm25(idf: Float, frequency: UInt32, length: UInt32, norms: [Float]) -> Float {
        BM25.weight(idf: idf, frequency: Int(frequency), inverseNorm: norms[Int(SmallFloat.intToByte4(Int(length)))])
    }

    /// BM25 weights of the postings `r` into `weights`; returns their maximum.
    @inline(__always)
    static func computeWeights(_ r: Range<Int>, idf: Float, norms: [Float], postings: PostingLists,
                               frequencies: TermFrequencies, into weights: UnsafeMutableBufferPointer<Float>) -> Float {
        var maximum: Float = 0
        for p in r {
            let w = bm25(idf: idf, frequency: frequencies.frequencies[p],
                         length: frequencies.lengths[Int(postings.docs[p])], norms: norms)
            weights[p] = w
            maximum = max(maximum, w)
        }
        return maximum
    }
}

/// The collection statistics BM25 needs: documents that have a term (Lucene's `docCount`) and the
/// total number of terms, from which the average length follows.
public struct TextStatistics: Sendable, Equatable {
    public var documentsWithTerms: Int
    public var totalTermCount: Int

    public init(documentsWithTerms: Int = 0, totalTermCount: Int = 0) {
        self.documentsWithTerms = documentsWithTerms
        self.totalTermCount = totalTermCount
    }

    /// The statistics of documents with these lengths.
    public init(lengths: some Sequence<UInt32>) {
        self.init()
        for l in lengths where l > 0 {
            documentsWithTerms += 1
            totalTermCount += Int(l)
        }
    }

    /// `totalTermCount / documentsWithTerms` as BM25 uses it (1 for an empty collection).
    public var averageLength: Float {
        documentsWithTerms > 0 ? Float(Double(totalTermCount) / Double(documentsWithTerms)) : 1
    }
}
