import SparrowCore

/// BM25 over a whole collection of segments.
///
/// BM25 weights depend on collection statistics (live documents with terms, their total length,
/// and each term's document frequency), which every write changes. A segment stores the weights
/// of its own documents; when a collection has several segments or deletions, a snapshot gives
/// each segment weights recomputed from its stored term frequencies and lengths with the
/// collection's live statistics, so that every query scores exactly as against a fresh build of
/// the live documents, and every algorithm runs unchanged on them.
public enum TextReweighting {
    /// The live statistics of a text collection.
    public static func statistics(of views: [SegmentView]) -> TextStatistics {
        var stats = TextStatistics()
        for view in views {
            guard let lengths = view.segment.frequencies?.lengths else { continue }
            for d in 0..<lengths.count where lengths[d] > 0 && view.isLive(d) {
                stats.documentsWithTerms += 1
                stats.totalTermCount += Int(lengths[d])
            }
        }
        return stats
    }

    /// The live statistics of a text collection with each term's live document frequency: what a
    /// shard contributes to the statistics of a sharded collection (sum them over the shards).
    public static func corpusStatistics(of views: [SegmentView]) -> CorpusStatistics {
        var corpus = CorpusStatistics(statistics(of: views))
        SegmentMerger.forEachTerm(of: views) { token, sources in
            let df = liveDocumentFrequency(sources, in: views)
            if df > 0 { corpus.documentFrequencies[String(decoding: token, as: UTF8.self)] = df }
        }
        return corpus
    }

    /// The live documents of `views` holding one term, found in each view as `sources` says.
    static func liveDocumentFrequency(_ sources: [(input: Int, term: TermID)], in views: [SegmentView]) -> Int {
        sources.reduce(0) { $0 + SegmentMerger.liveDocumentFrequency(views[$1.input], $1.term) }
    }

    /// `views` with weights that are the collection's BM25, for its live statistics `stats`
    /// (``statistics(of:)``). A single segment without deletions already stores them and is
    /// returned as it is.
    ///
    /// With `global`, the weights are those of a larger collection this one is a shard of: its
    /// document count, total length and document frequencies replace the shard's own (a term
    /// `global` does not list keeps the shard's frequency).
    public static func reweight(_ views: [SegmentView], text: TextWeighting, stats: TextStatistics,
                                settings: IndexSettings, global: CorpusStatistics? = nil) -> [SegmentView] {
        if views.count == 1 && views[0].deletions == nil && global == nil { return views }
        let stats = global?.statistics ?? stats
        // Each segment's terms' collection-wide live document frequencies.
        var frequencies = views.map { [Int32](repeating: 0, count: $0.segment.termCount) }
        SegmentMerger.forEachTerm(of: views) { token, sources in
            var df = liveDocumentFrequency(sources, in: views)
            if let global, let g = global.documentFrequencies[String(decoding: token, as: UTF8.self)] { df = g }
            for (i, t) in sources { frequencies[i][Int(t)] = Int32(clamping: df) }
        }
        let bm25 = BM25(k1: Float(text.k1), b: Float(text.b))
        let norms = bm25.inverseNorms(averageLength: stats.averageLength)
        return views.enumerated().map { i, view in
            guard let counts = view.segment.frequencies else { return view }
            let idf = frequencies[i].map { BM25.idf(documentFrequency: Int($0), documentCount: stats.documentsWithTerms) }
            return SegmentView(view.segment.reweighted(settings: settings) { postings, weights, maxWeights in
                for t in 0..<postings.termCount {
                    maxWeights[t] = SegmentMerger.computeWeights(postings.range(of: TermID(t)), idf: idf[t], norms: norms,
                                                                 postings: postings, frequencies: counts, into: weights)
                }
            }, deletions: view.deletions)
        }
    }
}

/// The statistics BM25 weights depend on, for a whole collection: what the shards of a sharded
/// text collection share so that each scores as one index would.
public struct CorpusStatistics: Sendable, Equatable {
    /// Live documents with at least one term (the N of idf).
    public var documentsWithTerms: Int
    /// Term occurrences over those documents.
    public var totalTermCount: Int
    /// Live documents holding each term.
    public var documentFrequencies: [String: Int]

    public init(documentsWithTerms: Int = 0, totalTermCount: Int = 0, documentFrequencies: [String: Int] = [:]) {
        self.documentsWithTerms = documentsWithTerms
        self.totalTermCount = totalTermCount
        self.documentFrequencies = documentFrequencies
    }

    init(_ stats: TextStatistics) {
        self.init(documentsWithTerms: stats.documentsWithTerms, totalTermCount: stats.totalTermCount)
    }

    /// The document count and total length, without the frequencies.
    public var statistics: TextStatistics { TextStatistics(documentsWithTerms: documentsWithTerms, totalTermCount: totalTermCount) }

    /// The statistics of the union of collections (shards hold disjoint documents).
    public static func + (a: CorpusStatistics, b: CorpusStatistics) -> CorpusStatistics {
        CorpusStatistics(documentsWithTerms: a.documentsWithTerms + b.documentsWithTerms,
                         totalTermCount: a.totalTermCount + b.totalTermCount,
                         documentFrequencies: a.documentFrequencies.merging(b.documentFrequencies, uniquingKeysWith: +))
    }

    /// Why these statistics cannot be a collection's (negative counts, a frequency above the
    /// document count), or nil.
    public var problem: String? {
        if documentsWithTerms < 0 || totalTermCount < 0 { return "document and term counts must not be negative" }
        if documentsWithTerms > 0 && totalTermCount < documentsWithTerms {
            return "the total term count (\(totalTermCount)) is below the document count (\(documentsWithTerms))"
        }
        if let (term, df) = documentFrequencies.first(where: { $0.value < 0 || $0.value > documentsWithTerms }) {
            return "the document frequency of \"\(term)\" is \(df), outside 0...\(documentsWithTerms)"
        }
        return nil
    }
}

extension Segment {
    /// This segment with other weights (written by `compute` into fresh buffers), and block-max and
    /// range tables rebuilt for them; everything else is shared.
    func reweighted(settings: IndexSettings,
                    _ compute: (PostingLists, UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void) -> Segment {
        let storage = HeapStorage()
        let weights = storage.allocate(Float.self, count: postingCount)
        let maxWeights = storage.allocate(Float.self, count: termCount)
        compute(postings, weights, maxWeights)
        let p = PostingLists(offsets: postings.offsets, docs: postings.docs, weights: UnsafeBufferPointer(weights),
                             maxWeights: UnsafeBufferPointer(maxWeights))
        return Segment(
            postings: p, blockMax: BlockMaxTable.build(p, blockSize: blockMax.blockSize, storage: storage),
            ranges: ranges.map { RangeIndex.build(p, documentCount: documentCount, rangeSize: $0.rangeSize, storage: storage) },
            vocabulary: vocabulary, documentIDs: documentIDs, documentTexts: documentTexts, frequencies: frequencies,
            idOrder: storedIDOrder, owner: [storage, self] as [AnyObject] as AnyObject)
    }
}
