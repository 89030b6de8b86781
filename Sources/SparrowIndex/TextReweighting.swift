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

    /// `views` with weights that are the collection's BM25, for its live statistics `stats`
    /// (``statistics(of:)``). A single segment without deletions already stores them and is
    /// returned as it is.
    public static func reweight(_ views: [SegmentView], text: TextWeighting, stats: TextStatistics,
                                settings: IndexSettings) -> [SegmentView] {
        if views.count == 1 && views[0].deletions == nil { return views }
        // Each segment's terms' collection-wide live document frequencies.
        var frequencies = views.map { [Int32](repeating: 0, count: $0.segment.termCount) }
        SegmentMerger.forEachTerm(of: views) { _, sources in
            let df = sources.reduce(0) { $0 + SegmentMerger.liveDocumentFrequency(views[$1.input], $1.term) }
            for (i, t) in sources { frequencies[i][Int(t)] = Int32(df) }
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
