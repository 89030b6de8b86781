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
/// of the sorted vocabularies, reading the inputs where they lie (memory-mapped files or memory);
/// only the merged segment is allocated. Block-max and range tables are rebuilt for it, and in a
/// text collection every weight is recomputed with BM25 over the merged segment's own statistics,
/// as a fresh build of its documents would.
public enum SegmentMerger {
    public static func merge(_ inputs: [SegmentView], settings: IndexSettings) -> Segment {
        let storage = HeapStorage()
        let isText = settings.text != nil

        // New numbers: the live documents of each input in order.
        var docMaps: [[Int32]] = []
        var documentCount = 0
        for input in inputs {
            var map = [Int32](repeating: -1, count: input.segment.documentCount)
            for d in 0..<input.segment.documentCount where input.isLive(d) {
                map[d] = Int32(documentCount)
                documentCount += 1
            }
            docMaps.append(map)
        }

        // Merged vocabulary: each term with its number in every input that has it.
        var mergedTerms: [[(input: Int, term: TermID)]] = []
        var tokens: [UnsafeBufferPointer<UInt8>] = []
        forEachTerm(of: inputs) { token, sources in
            // A term only deleted documents have does not survive.
            if sources.contains(where: { liveDocumentFrequency(inputs[$0.input], $0.term) > 0 }) {
                mergedTerms.append(sources)
                tokens.append(token)
            }
        }

        // Posting lists, concatenated input by input (new numbers increase with the input).
        let termCount = mergedTerms.count
        let offsets = storage.allocate(UInt64.self, count: termCount + 1)
        offsets[0] = 0
        var total = 0
        for (t, sources) in mergedTerms.enumerated() {
            for (i, term) in sources { total += liveDocumentFrequency(inputs[i], term) }
            offsets[t + 1] = UInt64(total)
        }
        let docs = storage.allocate(UInt32.self, count: total)
        let weights = storage.allocate(Float.self, count: total)
        let maxWeights = storage.allocate(Float.self, count: termCount)
        let frequencies = storage.allocate(UInt32.self, count: isText ? total : 0)
        var at = 0
        for (t, sources) in mergedTerms.enumerated() {
            var maximum: Float = 0
            for (i, term) in sources {
                let postings = inputs[i].segment.postings
                let freqs = inputs[i].segment.frequencies?.frequencies
                let map = docMaps[i]
                for p in postings.range(of: term) {
                    let d = map[Int(postings.docs[p])]
                    if d < 0 { continue }
                    docs[at] = UInt32(d)
                    weights[at] = postings.weights[p]
                    if isText { frequencies[at] = freqs?[p] ?? 0 }
                    maximum = max(maximum, postings.weights[p])
                    at += 1
                }
            }
            maxWeights[t] = maximum
        }

        // Documents: ids, texts and (text collections) lengths of the live ones.
        var idBytes = 0
        var textBytes = 0
        for input in inputs {
            let s = input.segment
            for d in 0..<s.documentCount where input.isLive(d) {
                idBytes += s.documentIDs.bytes(at: d).count
                textBytes += s.documentTexts.bytes(at: d).count
            }
        }
        let ids = StringTableWriter(count: documentCount, bytes: idBytes, storage: storage)
        let texts = StringTableWriter(count: documentCount, bytes: textBytes, storage: storage)
        let lengths = storage.allocate(UInt32.self, count: isText ? documentCount : 0)
        var n = 0
        for input in inputs {
            let s = input.segment
            for d in 0..<s.documentCount where input.isLive(d) {
                ids.append(s.documentIDs.bytes(at: d))
                texts.append(s.documentTexts.bytes(at: d))
                if isText { lengths[n] = s.frequencies?.lengths[d] ?? 0 }
                n += 1
            }
        }
        let vocabulary = StringTableWriter(count: termCount, bytes: tokens.reduce(0) { $0 + $1.count }, storage: storage)
        for token in tokens { vocabulary.append(token) }

        let postings = PostingLists(offsets: UnsafeBufferPointer(offsets), docs: UnsafeBufferPointer(docs),
                                    weights: UnsafeBufferPointer(weights), maxWeights: UnsafeBufferPointer(maxWeights))
        let termFrequencies = isText
            ? TermFrequencies(frequencies: UnsafeBufferPointer(frequencies), lengths: UnsafeBufferPointer(lengths)) : nil
        if let text = settings.text, let termFrequencies {
            // The merged segment's own BM25 weights (its stored weights are those of a fresh build).
            let bm25 = BM25(k1: Float(text.k1), b: Float(text.b))
            let stats = TextStatistics(lengths: termFrequencies.lengths)
            let norms = bm25.inverseNorms(averageLength: stats.averageLength)
            for t in 0..<termCount {
                let r = postings.range(of: TermID(t))
                let idf = BM25.idf(documentFrequency: r.count, documentCount: stats.documentsWithTerms)
                maxWeights[t] = computeWeights(r, idf: idf, norms: norms, postings: postings,
                                               frequencies: termFrequencies, into: weights)
            }
        }
        let options = settings.buildOptions
        let idTable = ids.table
        return Segment(
            postings: postings,
            blockMax: BlockMaxTable.build(postings, blockSize: options.blockSize, storage: storage),
            ranges: options.rangeSize == 0 ? nil
                : RangeIndex.build(postings, documentCount: documentCount, rangeSize: options.rangeSize, storage: storage),
            vocabulary: vocabulary.table, documentIDs: idTable, documentTexts: texts.table,
            frequencies: termFrequencies,
            idOrder: UnsafeBufferPointer(IndexBuilder.copy(Segment.idOrder(idTable), storage)),
            owner: storage)
    }

    /// Calls `body` with every token of the inputs' vocabularies in byte order, once each, with the
    /// inputs that have it and its number in each (a k-way merge of the sorted vocabularies).
    static func forEachTerm(of inputs: [SegmentView],
                            _ body: (UnsafeBufferPointer<UInt8>, [(input: Int, term: TermID)]) -> Void) {
        var next = [Int](repeating: 0, count: inputs.count)
        while true {
            var best: UnsafeBufferPointer<UInt8>?
            for (i, input) in inputs.enumerated() where next[i] < input.segment.termCount {
                let b = input.segment.vocabulary.bytes(at: next[i])
                if best == nil || compareBytes(b, best!) < 0 { best = b }
            }
            guard let token = best else { return }
            var sources: [(input: Int, term: TermID)] = []
            for (i, input) in inputs.enumerated() where next[i] < input.segment.termCount {
                if compareBytes(input.segment.vocabulary.bytes(at: next[i]), token) == 0 {
                    sources.append((i, TermID(next[i])))
                    next[i] += 1
                }
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

    /// BM25 weights of the postings `r` into `weights`; returns their maximum.
    @inline(__always)
    static func computeWeights(_ r: Range<Int>, idf: Float, norms: [Float], postings: PostingLists,
                               frequencies: TermFrequencies, into weights: UnsafeMutableBufferPointer<Float>) -> Float {
        var maximum: Float = 0
        for p in r {
            let length = Int(frequencies.lengths[Int(postings.docs[p])])
            let w = BM25.weight(idf: idf, frequency: Int(frequencies.frequencies[p]),
                                inverseNorm: norms[Int(SmallFloat.intToByte4(length))])
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

/// Appends strings into a ``StringTable`` whose sizes are known in advance.
final class StringTableWriter {
    private let offsets: UnsafeMutableBufferPointer<UInt64>
    private let bytes: UnsafeMutableBufferPointer<UInt8>
    private var count = 0
    private var used = 0

    init(count: Int, bytes: Int, storage: HeapStorage) {
        offsets = storage.allocate(UInt64.self, count: count + 1)
        offsets[0] = 0
        self.bytes = storage.allocate(UInt8.self, count: bytes)
    }

    func append(_ s: UnsafeBufferPointer<UInt8>) {
        if s.count > 0 { UnsafeMutableRawPointer(bytes.baseAddress! + used).copyMemory(from: s.baseAddress!, byteCount: s.count) }
        used += s.count
        count += 1
        offsets[count] = UInt64(used)
    }

    var table: StringTable { StringTable(offsets: UnsafeBufferPointer(offsets), bytes: UnsafeBufferPointer(bytes)) }
}
