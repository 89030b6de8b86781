import CKernels
import SparrowCore
import SparrowIndex

/// Approximate search over a segment's clustered layout (Seismic's query algorithm).
///
/// 1. The query is spread into a dense vector over the segment's terms.
/// 2. For each of the ``Approximation/queryCut`` heaviest query terms, every block of the term's
///    list gets a bound: its summary's dot product with the query. With summaries by term
///    (``ClusteredIndex/SummariesByTerm``) the bounds of all the list's blocks are summed from the
///    runs of the query's terms; otherwise each summary is read whole. The blocks of all these
///    lists whose bound reaches `heapFactor` × the k-th score are then visited together, best
///    bound first, stopping at the first that no longer does. (Seismic visits one list after
///    another; visiting the best blocks of all of them first raises the k-th score sooner, and at
///    1M documents skips 13 % of the blocks for 0.0005 less recall: BENCHMARKS.md, "Seventh run".)
/// 3. A visited block's documents are scored through the forward index, each document once per
///    query: the same float operations in the same term order as term-at-a-time scoring, so a
///    document's score is exact. The products of all the document's terms are formed eight at a
///    time (``sparrow_forward_score16``: an AVX2 gather of the query weights), and only the
///    non-zero ones are summed in order: adding the zeros of the other terms would change nothing
///    but make one long chain of dependent additions. Summaries' bounds are computed the same way
///    (``sparrow_summary_dot16``).
///
/// With a lossless layout (``ClusterSettings/lossless(seed:)``) and knobs that keep every query
/// term at heap factor 1 (``Approximation/exact``, or ``Approximation/keepsClusteredExact(termCount:)``),
/// every summary bounds its block, every posting is in some block and candidates are scored
/// exactly, so the result is the exact top-k.
public func clusteredSearch(_ layout: ClusteredIndex, query: SparseVector, termCount: Int, documentCount: Int,
                            approximation: Approximation, into top: inout TopK, scratch: QueryScratch) {
    guard !query.terms.isEmpty else { return }
    if layout.wide {
        ClusteredSearch<UInt32>(layout: layout).run(query, termCount: termCount, documentCount: documentCount,
                                                    approximation: approximation, into: &top, scratch: scratch)
    } else {
        ClusteredSearch<UInt16>(layout: layout).run(query, termCount: termCount, documentCount: documentCount,
                                                    approximation: approximation, into: &top, scratch: scratch)
    }
}

/// A max-heap of blocks keyed by their bounds: a key is the bound's bits, mapped so that integer
/// order is float order, above the block's entry in the search's queue complemented (32 bits), so
/// that the larger of two keys has the larger bound or, for equal bounds, the earlier entry.
enum BlockQueue {
    @inline(__always)
    static func key(_ bound: Float, entry: Int) -> UInt64 {
        let bits = bound.bitPattern
        let ordered = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        return UInt64(ordered) &<< 32 | UInt64(UInt32.max &- UInt32(truncatingIfNeeded: entry))
    }

    @inline(__always)
    static func decode(_ key: UInt64) -> (bound: Float, entry: Int) {
        let ordered = UInt32(truncatingIfNeeded: key &>> 32)
        let bits = ordered & 0x8000_0000 != 0 ? ordered & 0x7FFF_FFFF : ~ordered
        return (Float(bitPattern: bits), Int(UInt32.max &- UInt32(truncatingIfNeeded: key)))
    }

    /// Moves `keys[i]` down until neither child is larger.
    @inline(__always)
    static func siftDown(_ keys: UnsafeMutablePointer<UInt64>, _ i: Int, count: Int) {
        var i = i
        let key = keys[i]
        while true {
            var child = 2 &* i &+ 1
            if child >= count { break }
            if child &+ 1 < count && keys[child &+ 1] > keys[child] { child &+= 1 }
            if keys[child] <= key { break }
            keys[i] = keys[child]
            i = child
        }
        keys[i] = key
    }

    static func heapify(_ keys: UnsafeMutablePointer<UInt64>, count: Int) {
        var i = count / 2
        while i > 0 {
            i &-= 1
            siftDown(keys, i, count: count)
        }
    }

    /// The largest key, removed from the heap.
    @inline(__always)
    static func pop(_ keys: UnsafeMutablePointer<UInt64>, count: inout Int) -> UInt64 {
        let top = keys[0]
        count &-= 1
        if count > 0 {
            keys[0] = keys[count]
            siftDown(keys, 0, count: count)
        }
        return top
    }
}

/// The search, specialised for the layout's term width.
struct ClusteredSearch<T: FixedWidthInteger & UnsignedInteger> {
    let layout: ClusteredIndex

    /// A summary's dot product with the query, before its scale (``sparrow_summary_dot16``).
    @inline(__always)
    func summaryDot(_ terms: UnsafePointer<T>, _ weights: UnsafePointer<UInt8>, _ n: Int, _ dense: UnsafeMutablePointer<Float>) -> Float {
        T.self == UInt16.self
            ? sparrow_summary_dot16(UnsafeRawPointer(terms).assumingMemoryBound(to: UInt16.self), weights, n, dense)
            : sparrow_summary_dot32(UnsafeRawPointer(terms).assumingMemoryBound(to: UInt32.self), weights, n, dense)
    }

    /// A document's exact score through the forward index (``sparrow_forward_score16``).
    @inline(__always)
    func forwardScore(_ terms: UnsafePointer<T>, _ weights: UnsafePointer<Float>, _ n: Int, _ dense: UnsafeMutablePointer<Float>) -> Float {
        T.self == UInt16.self
            ? sparrow_forward_score16(UnsafeRawPointer(terms).assumingMemoryBound(to: UInt16.self), weights, n, dense)
            : sparrow_forward_score32(UnsafeRawPointer(terms).assumingMemoryBound(to: UInt32.self), weights, n, dense)
    }

    /// How many candidates with the best approximate scores are rescored exactly for a top-k.
    static func rescored(k: Int) -> Int { 2 * k }

    /// A document's approximate score from its compact record (``sparrow_compact_score16``).
    @inline(__always)
    func compactScore(_ record: UnsafeRawPointer, _ dense: UnsafeMutablePointer<Float>) -> Float {
        T.self == UInt16.self ? sparrow_compact_score16(record, dense) : sparrow_compact_score32(record, dense)
    }

    /// Adds, into `sums` (one per block of list `t`), each query term's weight × its level in
    /// the blocks of its run in the list's summaries by term (entries of type `E`).
    ///
    /// The query's terms are looked up in the list's directory all at once, one halving step of
    /// every term's search after another: the searches share their sizes, so each step is a
    /// conditional move per term, and the terms' directory reads are independent, so their cache
    /// misses overlap instead of following one another as one search at a time would make them.
    /// `places` holds three positions per query term.
    @inline(__always)
    func addRuns<E: FixedWidthInteger & UnsignedInteger>(_ byTerm: ClusteredIndex.SummariesByTerm, list t: Int,
                                                         entries: UnsafePointer<E>, query: SparseVector,
                                                         places: UnsafeMutablePointer<Int>,
                                                         into sums: UnsafeMutablePointer<Float>) {
        let directory = byTerm.terms(as: T.self)
        let d0 = Int(byTerm.lists[t])
        let d1 = Int(byTerm.lists[t + 1])
        guard d1 > d0 else { return }
        let first = Int(layout.termBlocks[t])
        let base = Int(layout.summaryOffsets[first])
        let count = Int(layout.summaryOffsets[Int(layout.termBlocks[t + 1])]) &- base
        let runs = byTerm.runs.baseAddress!
        query.terms.withUnsafeBufferPointer { terms in query.weights.withUnsafeBufferPointer { weights in
            let n = terms.count
            let u = terms.baseAddress!
            // Three rows of n: each term's place in the directory (then its run's first entry),
            // the query position of each term found, and the end of each found term's run.
            let place = places
            let queryPosition = places + n
            let runEnd = places + 2 &* n
            for q in 0..<n { place[q] = d0 }
            // Branch-free lower bounds: after the loop, place[q] is the last entry below u[q], or
            // d0 (which may itself be below it).
            var size = d1 &- d0
            while size > 1 {
                let half = size &>> 1
                for q in 0..<n {
                    let p = place[q]
                    place[q] = UInt32(directory[p &+ half]) < u[q] ? p &+ half : p
                }
                size &-= half
            }
            // The terms the list has, and their runs' bounds: each step is loaded for every term
            // before the next step reads it, so that the terms' misses overlap here too.
            var found = 0
            for q in 0..<n {
                var low = place[q]
                if UInt32(directory[low]) < u[q] { low &+= 1 }
                guard low < d1 && UInt32(directory[low]) == u[q] else { continue }
                sparrow_prefetch(runs + low)
                place[found] = low
                queryPosition[found] = q
                found &+= 1
            }
            for f in 0..<found {
                let low = place[f]
                place[f] = base &+ Int(runs[low])
                runEnd[f] = base &+ (low &+ 1 < d1 ? Int(runs[low &+ 1]) : count)
                sparrow_prefetch(entries + place[f])
            }
            for f in 0..<found {
                let w = weights[queryPosition[f]]
                var e = place[f]
                while e < runEnd[f] {
                    let entry = entries[e]
                    sums[Int(entry &>> 8)] += w * Float(entry & 0xFF)
                    e &+= 1
                }
            }
        } }
    }

    func run(_ query: SparseVector, termCount: Int, documentCount: Int, approximation: Approximation,
             into top: inout TopK, scratch: QueryScratch) {
        let dense = scratch.denseQuery(termCount)
        let visited = scratch.visited(documentCount)
        for (t, w) in zip(query.terms, query.weights) { dense[Int(t)] = w }
        let inverse = 1 / approximation.heapFactor
        let cut = query.heaviest(approximation.queryCut ?? query.terms.count)
        let places = scratch.places(3 &* query.terms.count)

        let termBlocks = layout.termBlocks.baseAddress!
        let blockOffsets = layout.blockOffsets.baseAddress!
        let blockDocs = layout.blockDocs.baseAddress
        let summaryOffsets = layout.summaryOffsets.baseAddress!
        let summaryTerms = layout.summaryTerms(as: T.self)
        let summaryWeights = layout.summaryWeights.baseAddress
        let summaryScales = layout.summaryScales.baseAddress
        let documentOffsets = layout.documentOffsets.baseAddress!
        let documentTerms = layout.documentTerms(as: T.self)
        let documentWeights = layout.documentWeights.baseAddress
        var scored = 0
        var blocksScored = 0
        var touchedWords: [Int] = []
        // Approximate knobs score candidates through the compact forward index: `leaders` keeps
        // the best k approximate scores (its k-th is the bar a block must reach, as `top`'s is
        // on the exact path) and `candidates` the best `rescored`, whose exact scores decide.
        let compact = approximation.keepsClusteredExact(termCount: query.terms.count) ? nil : layout.compact
        let compactOffsets = compact?.offsets.baseAddress
        let records = compact?.records.baseAddress
        var leaders = TopK(k: compact == nil ? 1 : top.k)
        var candidates = TopK(k: compact == nil ? 1 : Self.rescored(k: top.k))
        @inline(__always) func reaches(_ bound: Float) -> Bool {
            top.mightEnter(bound: bound) && (compact == nil || leaders.mightEnter(bound: bound))
        }
        let blockRecords = compact == nil ? nil : layout.blockRecords?.baseAddress
        /// Where the compact record of the document at `blockDocs[j]` starts: read beside the
        /// document's number when the layout has the starts, else from the record offsets.
        @inline(__always) func recordStart(_ j: Int) -> Int {
            blockRecords != nil ? Int(blockRecords![j]) &* 4 : Int(compactOffsets![Int(blockDocs![j])])
        }
        /// Starts loading the first cache lines of the compact record of the document at
        /// `blockDocs[j]`: 512 bytes (a record of ~150 entries) when the end is not at hand.
        /// (Records need not be in document order: the next document's start is not this one's end.)
        @inline(__always) func prefetchRecord(at j: Int) {
            var byte = recordStart(j)
            let end: Int
            if blockRecords != nil {
                end = byte &+ 512
            } else {
                let d = Int(blockDocs![j])
                end = byte &+ ClusteredIndex.Compact.recordSize(entries: Int(documentOffsets[d &+ 1] &- documentOffsets[d]),
                                                                termWidth: MemoryLayout<T>.size)
            }
            while byte < end {
                sparrow_prefetch(records! + byte)
                byte &+= 64
            }
        }
        let forwardTerms = layout.forwardTerms
        let recordOffsets = layout.compact?.offsets.baseAddress
        let recordBytes = layout.compact?.records.baseAddress
        /// Document `d`'s terms: the forward index's own, or those of its compact record.
        @inline(__always) func termsOf(_ d: Int) -> UnsafePointer<T> {
            if forwardTerms { return documentTerms + Int(documentOffsets[d]) }
            let record: UnsafeRawPointer = recordBytes! + Int(recordOffsets![d])
            return (record + 8).assumingMemoryBound(to: T.self)
        }
        /// Document `d`'s exact score, from the float forward index.
        @inline(__always) func exactScore(of d: Int) -> Float {
            let e = Int(documentOffsets[d])
            return forwardScore(termsOf(d), documentWeights! + e, Int(documentOffsets[d + 1]) &- e, dense)
        }
        /// Starts loading the first cache lines of document `d`'s terms and forward-index weights.
        @inline(__always) func prefetchEntries(of d: Int) {
            let e = Int(documentOffsets[d])
            ClusteredIndex.prefetchEntries(count: Int(documentOffsets[d + 1]) &- e, terms: termsOf(d), weights: documentWeights! + e)
        }

        /// Scores the documents of block `b`, each once per query.
        @inline(__always) func visit(block b: Int) {
            blocksScored &+= 1
            var i = Int(blockOffsets[b])
            let stop = Int(blockOffsets[b + 1])
            // The forward index is far larger than the caches and a block's documents are
            // scattered in it: the block's offsets are fetched first, then each document's
            // entries while the one before it is scored.
            if compact == nil {
                for j in i..<stop {
                    sparrow_prefetch(documentOffsets + Int(blockDocs![j]))
                    if !forwardTerms { sparrow_prefetch(recordOffsets! + Int(blockDocs![j])) }
                }
                prefetchEntries(of: Int(blockDocs![i]))
            } else {
                if blockRecords == nil { for j in i..<stop { sparrow_prefetch(compactOffsets! + Int(blockDocs![j])) } }
                prefetchRecord(at: i)
            }
            while i < stop {
                let d = Int(blockDocs![i])
                i &+= 1
                if i < stop {
                    if compact == nil { prefetchEntries(of: Int(blockDocs![i])) } else { prefetchRecord(at: i) }
                }
                let word = d &>> 6
                let bit = UInt64(1) &<< UInt64(d & 63)
                if visited[word] & bit != 0 { continue }
                if visited[word] == 0 { touchedWords.append(word) }
                visited[word] |= bit
                if compact != nil {
                    let record = UnsafeRawPointer(records! + recordStart(i &- 1))
                    scored &+= Int(record.loadUnaligned(as: UInt32.self))
                    let s = compactScore(record, dense)
                    guard s > 0 else { continue }
                    if leaders.mightEnter(bound: s) { leaders.push(DocID(UInt32(d)), s) }
                    if candidates.mightEnter(bound: s) { candidates.push(DocID(UInt32(d)), s) }
                    continue
                }
                scored &+= Int(documentOffsets[d + 1] &- documentOffsets[d])
                let s = exactScore(of: d)
                if s > 0 && top.mightEnter(bound: s) { top.push(DocID(UInt32(d)), s) }
            }
        }
        /// Adds to the queue (`order`, `blocks`, from `queued` on) each block of the list of the
        /// query term at `position` whose bound reaches the bar.
        @inline(__always) func queueBlocks(of position: Int, into order: UnsafeMutablePointer<UInt64>,
                                           blocks: UnsafeMutablePointer<Int>, queued: inout Int) {
            let t = Int(query.terms[position])
            let first = Int(termBlocks[t])
            let end = Int(termBlocks[t + 1])
            @inline(__always) func enqueue(_ b: Int, bound: Float) {
                guard reaches(bound * inverse) else { return }
                order[queued] = BlockQueue.key(bound, entry: queued)
                blocks[queued] = b
                queued &+= 1
            }
            if let byTerm = layout.byTerm {
                // Every block's bound at once, from the runs of the query's terms in the list's
                // summaries by term.
                let sums = scratch.bounds(end &- first)
                if byTerm.entryWidth == 2 {
                    addRuns(byTerm, list: t, entries: byTerm.entries(as: UInt16.self), query: query, places: places, into: sums)
                } else {
                    addRuns(byTerm, list: t, entries: byTerm.entries(as: UInt32.self), query: query, places: places, into: sums)
                }
                for b in first..<end {
                    let bound = sums[b &- first] * summaryScales![b]
                    sums[b &- first] = 0
                    enqueue(b, bound: bound)
                }
            } else {
                for b in first..<end {
                    let e = Int(summaryOffsets[b])
                    let bound = summaryDot(summaryTerms + e, summaryWeights! + e, Int(summaryOffsets[b + 1]) &- e, dense)
                        * summaryScales![b]
                    enqueue(b, bound: bound)
                }
            }
        }
        // The blocks of all the cut's lists whose bounds reach the bar are visited together, best
        // bound first (ties: the earlier queued, so the heavier query term's list, then the lower
        // block), until a bound no longer reaches the bar. The bar rises with the best blocks of
        // every list rather than with the first list's alone, so fewer blocks reach it. Only the
        // visited blocks are taken off the heap. A key numbers its block by its place in the
        // queue, in 32 bits, so lists are queued together while their blocks fit them (in
        // practice all of them; a list has no more blocks than the segment has documents).
        var next = 0
        while next < cut.count {
            var total = 0
            var end = next
            while end < cut.count {
                let t = Int(query.terms[cut[end]])
                let n = Int(termBlocks[t + 1] &- termBlocks[t])
                if end > next && total &+ n > Int(UInt32.max) { break }
                total &+= n
                end &+= 1
            }
            let order = scratch.blockKeys(total)
            let blocks = scratch.queuedBlocks(total)
            var queued = 0
            for position in cut[next..<end] { queueBlocks(of: position, into: order, blocks: blocks, queued: &queued) }
            BlockQueue.heapify(order, count: queued)
            while queued > 0 {
                let (bound, entry) = BlockQueue.decode(BlockQueue.pop(order, count: &queued))
                if !reaches(bound * inverse) { break }
                visit(block: blocks[entry])
            }
            next = end
        }
        if compact != nil {
            // The candidates' exact scores, from the forward index, as on the exact path.
            let best = candidates.sorted()
            for c in best { prefetchEntries(of: Int(c.doc.rawValue)) }
            for c in best {
                let s = exactScore(of: Int(c.doc.rawValue))
                if s > 0 && top.mightEnter(bound: s) { top.push(c.doc, s) }
            }
        }
        for t in query.terms { dense[Int(t)] = 0 }
        for word in touchedWords { visited[word] = 0 }
        scratch.stats.postingsScored &+= scored
        scratch.stats.rangesScored &+= blocksScored
    }
}
