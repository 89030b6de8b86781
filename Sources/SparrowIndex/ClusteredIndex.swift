import CKernels
import Dispatch
import Foundation
import SparrowCore
import Synchronization

/// How the clustered layout of a collection is built (recorded in `meta.json` as `clustered`).
///
/// The layout follows Seismic (Bruch, Nardini, Rulli, Venturini, SIGIR 2024): each term keeps its
/// heaviest postings, grouped into blocks of similar documents, and each block has a summary
/// vector that bounds its documents' scores; a forward index scores the documents of the blocks
/// a query does not skip. See ``ClusteredIndex``.
public struct ClusterSettings: Codable, Sendable, Equatable {
    /// How a kept list is cut into blocks.
    public enum Method: String, Codable, Sendable, CaseIterable {
        /// Seismic's: random documents of the list are centroids, and each document joins the one
        /// with the largest dot product over their heaviest terms; then ``kMeansRounds`` rounds of
        /// k-means move each centroid to its block's mean. About `blockFraction` × L² dot
        /// products per list of L kept postings, once plus once per round.
        case randomCentroids = "random-centroids"
        /// Documents sorted by their two heaviest other terms, then cut into blocks of
        /// 1 / `blockFraction` documents: documents led by the same terms share a block. L log L.
        case leaders
    }

    /// How blocks are formed.
    public var method: Method
    /// Postings kept per term, heaviest first (static pruning); 0 keeps every posting, and nil
    /// picks ``automaticPostings(documents:rule:)`` for each segment.
    public var postingsPerTerm: Int?
    /// The rule by which ``automaticPostings(documents:rule:)`` picks the postings kept per term
    /// when ``postingsPerTerm`` is nil: ``currentPostingsRule`` for new settings; settings recorded
    /// before the rule had a number decode as 1, so that their files are rebuilt as they were.
    public var postingsRule: Int
    /// The share of each list's weight mass kept (heaviest postings first, within
    /// ``postingsPerTerm``); 1 keeps them all.
    public var postingMass: Double
    /// Blocks per kept list, as a fraction of its length (Seismic's `centroid_fraction`; at least
    /// one block per list).
    public var blockFraction: Double
    /// The share of each block summary's weight mass kept, heaviest entries first (Seismic's
    /// `summary_energy`); 1 keeps the exact per-term maxima, which bound every score in the block.
    /// The default, 0.8, measured better than Seismic's 0.4 (BENCHMARKS.md): at 1M documents it
    /// reached recall@10 0.967 in 951 µs, where 0.4 needed about twice as long, and on random
    /// corpora 0.4 left recall below 0.96 whatever the query knobs.
    public var summaryMass: Double
    /// How many of a document's heaviest terms decide which block it joins.
    public var assignmentTerms: Int
    /// How many of its heaviest terms a centroid that is a block's mean keeps (``kMeansRounds``):
    /// twice ``assignmentTerms``. On 200k documents of the 1M scale-up, after 3 rounds, means of
    /// 30 terms scored 10 % fewer postings than means of 15 at the 0.95 preset, for the same
    /// recall and 7 % more build time; 50 terms scored no fewer than 30 (BENCHMARKS.md, "Eighth
    /// run").
    public var centroidTerms: Int { 2 * assignmentTerms }
    /// Rounds of Lloyd's k-means after the random centroids (``Method/randomCentroids``): in each,
    /// a block's centroid becomes the mean of its documents' heaviest terms (the heaviest
    /// ``centroidTerms`` of the mean) and every document of the list joins the nearest new
    /// centroid. 0 is Seismic's assignment. Each round costs about one more assignment; the
    /// default, 3, measured the best trade at 1M documents (BENCHMARKS.md, "Eighth run").
    public var kMeansRounds: Int
    /// Seeds the choice of each list's block centroids: the same seed builds the same files.
    public var seed: UInt64
    /// Segments with fewer documents get no clustered layout and are searched exactly.
    public var minDocuments: Int
    /// Whether the layout stores its summaries by term (``ClusteredIndex/SummariesByTerm``)
    /// rather than by block: a query then bounds a list's blocks from its own terms' runs instead
    /// of a pass over every summary entry of the list (BENCHMARKS.md, "Fifth run"). On by
    /// default; settings recorded before it existed decode as false (their files store the
    /// summaries by block).
    public var summariesByTerm: Bool
    /// Whether the compact forward index stores its records in block order rather than document
    /// order: the blocks of all lists are taken by rank in their list (each list's block with the
    /// heaviest posting of its term first, then each list's second, …), and a document's record
    /// goes where the first of these blocks names it. A query's candidates come from the best
    /// blocks of its terms' lists, and similar documents share blocks in many lists, so the
    /// records a block names lie near one another more often than in document order: fewer
    /// pages, and fewer misses of the address translation, per candidate (BENCHMARKS.md,
    /// "Twelfth run"). On by default; settings recorded before it existed decode as false.
    public var recordsByBlock: Bool

    public init(method: Method = .randomCentroids, postingsPerTerm: Int? = nil, postingMass: Double = 1,
                blockFraction: Double = 0.1, summaryMass: Double = 0.8, assignmentTerms: Int = 15,
                kMeansRounds: Int = 3, seed: UInt64 = 42, minDocuments: Int = 10_000, summariesByTerm: Bool = true,
                postingsRule: Int = ClusterSettings.currentPostingsRule, recordsByBlock: Bool = true) {
        self.method = method
        self.postingsPerTerm = postingsPerTerm
        self.postingsRule = postingsRule
        self.postingMass = postingMass
        self.blockFraction = blockFraction
        self.summaryMass = summaryMass
        self.assignmentTerms = assignmentTerms
        self.kMeansRounds = kMeansRounds
        self.seed = seed
        self.minDocuments = minDocuments
        self.summariesByTerm = summariesByTerm
        self.recordsByBlock = recordsByBlock
    }

    /// Decodes settings recorded by any version (`summariesByTerm`, `kMeansRounds`, `postingsRule`
    /// and `recordsByBlock` are absent before they existed: such files store summaries by block, of
    /// random-centroid blocks, keeping postings by rule 1, with records in document order).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(method: try c.decode(Method.self, forKey: .method),
                  postingsPerTerm: try c.decodeIfPresent(Int.self, forKey: .postingsPerTerm),
                  postingMass: try c.decode(Double.self, forKey: .postingMass),
                  blockFraction: try c.decode(Double.self, forKey: .blockFraction),
                  summaryMass: try c.decode(Double.self, forKey: .summaryMass),
                  assignmentTerms: try c.decode(Int.self, forKey: .assignmentTerms),
                  kMeansRounds: try c.decodeIfPresent(Int.self, forKey: .kMeansRounds) ?? 0,
                  seed: try c.decode(UInt64.self, forKey: .seed),
                  minDocuments: try c.decode(Int.self, forKey: .minDocuments),
                  summariesByTerm: try c.decodeIfPresent(Bool.self, forKey: .summariesByTerm) ?? false,
                  postingsRule: try c.decodeIfPresent(Int.self, forKey: .postingsRule) ?? 1,
                  recordsByBlock: try c.decodeIfPresent(Bool.self, forKey: .recordsByBlock) ?? false)
    }

    /// Settings under which the clustered search returns exactly what exhaustive search returns
    /// (with ``Approximation/exact`` query knobs): every posting kept, exact summaries, every
    /// segment clustered. For tests and for measuring what the approximations cost.
    public static func lossless(seed: UInt64 = 42, summariesByTerm: Bool = true) -> ClusterSettings {
        ClusterSettings(postingsPerTerm: 0, postingMass: 1, summaryMass: 1, seed: seed, minDocuments: 0, summariesByTerm: summariesByTerm)
    }

    /// The most rounds of k-means a layout may ask for.
    public static let maxKMeansRounds = 100

    /// The rule of new settings (``postingsRule``).
    public static let currentPostingsRule = 2

    /// The postings kept per term when ``postingsPerTerm`` is nil, by `rule`:
    /// - 1: 2 000 plus 0.05 % of the segment's documents (OpenSearch's 0.0005 × documents, with a
    ///   floor so that small segments keep enough of each list): 2 500 at 1M documents, 7 000 at
    ///   10M;
    /// - 2 (current): the same up to 1M documents, then 1 more for every 1 800 documents beyond:
    ///   12 000 at 10M. With rule 1's 7 000, no knobs reached recall@10 0.95 at 10M (0.947 with
    ///   every query term); with 12 000, a query cut of 6 reached 0.956 (BENCHMARKS.md, "Tenth
    ///   run"). Larger lists are cut into blocks at a cost that grows with the square of their
    ///   length: the 10M layout took 1.6× rule 1's time.
    public static func automaticPostings(documents: Int, rule: Int = currentPostingsRule) -> Int {
        let base = 2_000 + documents / 2_000
        return rule == 1 ? base : base + max(0, documents - 1_000_000) / 1_800
    }

    /// The postings kept per term in a segment of `documents` documents (0: all).
    public func postingsKept(documents: Int) -> Int {
        postingsPerTerm ?? Self.automaticPostings(documents: documents, rule: postingsRule)
    }

    /// The blocks random centroids cut a list of `kept` postings into (at least one).
    func centroidBlocks(kept: Int) -> Int {
        max(1, min(kept, Int((blockFraction * Double(kept)).rounded(.up))))
    }

    /// The documents per block of ``Method/leaders``.
    var leaderBlockSize: Int { max(1, Int((1 / blockFraction).rounded())) }

    /// The most blocks a list of at most `kept` postings is cut into.
    func blockBound(kept: Int) -> Int {
        let blocks = centroidBlocks(kept: kept)
        return method == .leaders && blocks > 1 ? max(blocks, (kept + leaderBlockSize - 1) / leaderBlockSize) : blocks
    }

    /// Whether a segment of `documents` documents gets the layout.
    public func applies(toDocuments documents: Int) -> Bool { documents >= minDocuments }

    /// A sentence naming the first invalid setting, or nil when all are valid.
    public var problem: String? {
        if let n = postingsPerTerm, n < 0 { return "postings per term must be 0 (all) or more, not \(n)" }
        if !(1...Self.currentPostingsRule).contains(postingsRule) {
            return "the rule of the automatic postings per term must be between 1 and \(Self.currentPostingsRule), not \(postingsRule)"
        }
        if !(postingMass > 0 && postingMass <= 1) { return "posting mass must be in (0, 1], not \(postingMass)" }
        if !(blockFraction > 0 && blockFraction <= 1) { return "block fraction must be in (0, 1], not \(blockFraction)" }
        if !(summaryMass > 0 && summaryMass <= 1) { return "summary mass must be in (0, 1], not \(summaryMass)" }
        if !(1...256).contains(assignmentTerms) { return "assignment terms must be between 1 and 256, not \(assignmentTerms)" }
        if !(0...ClusterSettings.maxKMeansRounds).contains(kMeansRounds) {
            return "k-means rounds must be between 0 and \(ClusterSettings.maxKMeansRounds), not \(kMeansRounds)"
        }
        if minDocuments < 0 { return "the minimum segment size cannot be negative" }
        return nil
    }
}

/// A segment's clustered layout: a forward index and, per term, blocks of documents with summaries.
///
/// - Forward index: `documentOffsets[d] ..< documentOffsets[d + 1]` index the float weights of
///   document `d`, the same as its postings', so a document scored through it gets the same score,
///   bit for bit, as term-at-a-time scoring gives. Its terms (increasing) are those of its compact
///   record, in the same order; files written before the compact records held them kept them
///   here too (``forwardTerms``).
/// - Compact forward index (``compact``): document `d`'s record starts at byte
///   `compactOffsets[d]` of `compactRecords`: its entry count `m` (u32), a scale (f32), its `m`
///   terms (the forward index's width) and `m` weights as 8-bit levels (`weight ≈ level × scale`,
///   rounded to the nearest level, the scale being the document's largest weight / 255), padded to
///   4 bytes. Half the bytes of the exact forward index, in one place per document: approximate
///   searches score candidates with it and rescore the best exactly (see `clusteredSearch`).
/// - Blocks: `termBlocks[t] ..< termBlocks[t + 1]` are the blocks of term `t`; block `b` holds the
///   documents `blockDocs[blockOffsets[b] ..< blockOffsets[b + 1]]` (increasing).
/// - Summaries: block `b`'s summary has entries (term, weight level `q`), `q` standing for
///   `Float(q) × summaryScales[b]`, rounded up from the maximum weight of the term in the block, so
///   an unpruned summary's dot product with a query bounds every score in the block. They are
///   stored in one of two ways (``ClusterSettings/summariesByTerm``):
///   - by term (``byTerm``, the default): per list and then per term, the blocks whose summary
///     holds the term and its level there, so a query's bounds for all of a list's blocks cost one
///     run per query term rather than a pass over every summary entry of the list (see
///     ``SummariesByTerm``);
///   - by block (``summariesByBlock``): block `b`'s entries are
///     `summaryTerms`/`summaryWeights[summaryOffsets[b] ..< summaryOffsets[b + 1]]` (terms
///     increasing). Files of the release that introduced summaries by term hold both.
///
/// Term numbers take 16 bits when the segment has at most 65 536 terms (``wide`` is false), else
/// 32; all term arrays are raw bytes of that width.
public struct ClusteredIndex: @unchecked Sendable {
    public let wide: Bool
    public let documentOffsets: UnsafeBufferPointer<UInt64>
    public let documentTerms: UnsafeRawBufferPointer
    public let documentWeights: UnsafeBufferPointer<Float>
    public let termBlocks: UnsafeBufferPointer<UInt64>
    public let blockOffsets: UnsafeBufferPointer<UInt64>
    public let blockDocs: UnsafeBufferPointer<UInt32>
    public let summaryOffsets: UnsafeBufferPointer<UInt64>
    public let summaryTerms: UnsafeRawBufferPointer
    public let summaryWeights: UnsafeBufferPointer<UInt8>
    public let summaryScales: UnsafeBufferPointer<Float>
    /// The compact forward index (nil in clusters files written before it existed).
    public let compact: Compact?
    /// Beside `blockDocs`, where each document's compact record starts, in 4-byte units, so a
    /// search reaches a candidate's record without first reading its offset (nil when the
    /// records pass 16 GiB, or in files written before it existed).
    public let blockRecords: UnsafeBufferPointer<UInt32>?
    /// The summaries again, by term (with ``ClusterSettings/summariesByTerm``; nil otherwise, in
    /// clusters files written before it existed, and when a list has more than 2^24 blocks).
    public let byTerm: SummariesByTerm?
    /// Whether the summaries are stored by block (``summaryTerms``, ``summaryWeights``; empty
    /// otherwise): always without summaries by term, and with them only in files of the release
    /// that introduced them.
    public let summariesByBlock: Bool
    /// Whether ``documentTerms`` holds the forward index's terms (files written before the
    /// compact forward index stored them); else it is empty and a document's terms are those of
    /// its compact record, in the same order.
    public let forwardTerms: Bool

    /// Which optional sections the layout is stored with.
    public var storage: Storage {
        Storage(summariesByBlock: summariesByBlock, byTermEntryWidth: byTerm?.entryWidth, forwardTerms: forwardTerms)
    }

    /// The summaries of each term's list, transposed: for list `t`, the distinct terms of its
    /// blocks' summaries are `terms[lists[t] ..< lists[t + 1]]` (increasing), and the run of
    /// directory entry `i` is `entries[base + runs[i] ..< base + end]`, where `base` is the list's
    /// first summary entry (`summaryOffsets[termBlocks[t]]`: a list has as many entries here as in
    /// its summaries) and `end` is the next entry's run start or the list's entry count. An entry
    /// is `block << 8 | level`: the block's number within the list and the term's level in its
    /// summary (the same level as in the summary, so a bound computed either way is the same sum).
    ///
    /// A query computes the bounds of all of a list's blocks by adding, for each query term, its
    /// weight × level into the blocks of the term's run: at 1M documents and 5 query terms, ~6 000
    /// entries instead of the ~325 000 a pass over the summaries reads (BENCHMARKS.md).
    public struct SummariesByTerm: @unchecked Sendable {
        public let lists: UnsafeBufferPointer<UInt64>
        public let terms: UnsafeRawBufferPointer
        public let runs: UnsafeBufferPointer<UInt32>
        /// The entries, of ``entryWidth`` bytes each.
        public let entries: UnsafeRawBufferPointer
        /// 2 when no list can have more than 256 blocks (``narrowBlocks``), else 4.
        public let entryWidth: Int

        /// The terms as `T` (`UInt16` unless the layout is wide).
        @inlinable @inline(__always)
        public func terms<T: FixedWidthInteger>(as: T.Type) -> UnsafePointer<T> {
            terms.baseAddress.map { $0.assumingMemoryBound(to: T.self) } ?? UnsafePointer(bitPattern: MemoryLayout<T>.alignment)!
        }

        /// The entries as `E` (`UInt16` when ``entryWidth`` is 2, else `UInt32`).
        @inlinable @inline(__always)
        public func entries<E: FixedWidthInteger>(as: E.Type) -> UnsafePointer<E> {
            entries.baseAddress.map { $0.assumingMemoryBound(to: E.self) } ?? UnsafePointer(bitPattern: MemoryLayout<E>.alignment)!
        }

        /// Entry `e` (``entryWidth`` bytes), widened.
        public func entry(_ e: Int) -> UInt32 {
            entryWidth == 2 ? UInt32(entries(as: UInt16.self)[e]) : entries(as: UInt32.self)[e]
        }

        /// The number of entries.
        public var entryCount: Int { entries.count / entryWidth }

        /// The most blocks a list may have for 2-byte entries to name them.
        static let narrowBlocks = 1 << 8
        /// The most blocks a list may have for its entries to name them.
        static let maxBlocks = 1 << 24

        /// A sentence naming the first list whose directory or entries would send a search
        /// outside its buffers (terms past `termCount` or not increasing, runs out of order or
        /// past the list's entries, blocks past the list's), or nil.
        func problem<T: FixedWidthInteger>(in layout: ClusteredIndex, termCount: Int, as: T.Type) -> String? {
            let terms = self.terms(as: T.self)
            for t in 0..<(lists.count - 1) {
                let blocks = Int(layout.termBlocks[t + 1] - layout.termBlocks[t])
                let base = Int(layout.summaryOffsets[Int(layout.termBlocks[t])])
                let count = Int(layout.summaryOffsets[Int(layout.termBlocks[t + 1])]) - base
                let d0 = Int(lists[t]), d1 = Int(lists[t + 1])
                guard d1 > d0 || count == 0 else { return "summaries by term of term \(t) have entries but no terms" }
                var previous = -1
                var run: UInt32 = 0
                for i in d0..<d1 {
                    let u = Int(T(littleEndian: terms[i]))
                    guard u < termCount && u > previous else {
                        return "summaries by term of term \(t) name term \(u) out of order or past the segment's \(termCount)"
                    }
                    guard runs[i] >= run && Int(runs[i]) <= count && (i > d0 || runs[i] == 0) else {
                        return "summaries by term of term \(t) have runs out of order or past its \(count) entries"
                    }
                    previous = u
                    run = runs[i]
                }
                for e in base..<(base + count) where Int(entry(e) >> 8) >= blocks {
                    return "summaries by term of term \(t) name a block past its \(blocks)"
                }
            }
            return nil
        }
    }

    /// Which of its optional sections a layout is stored with.
    ///
    /// - Summaries by block (``summaryTerms``, ``summaryWeights``), by term (``SummariesByTerm``)
    ///   or, in files of the release that introduced summaries by term, both.
    /// - The forward index's terms (``documentTerms``): in files written before the compact
    ///   forward index stored them in its records; since then, a document's terms are read from
    ///   its compact record and only its float weights from the forward index.
    public struct Storage: Equatable, Sendable {
        /// Whether each block's summary entries are stored together.
        public var summariesByBlock: Bool
        /// The width of the entries of the summaries by term, or nil when there are none.
        public var byTermEntryWidth: Int?
        /// Whether the forward index stores its own copy of the documents' terms.
        public var forwardTerms: Bool

        public init(summariesByBlock: Bool, byTermEntryWidth: Int?, forwardTerms: Bool = false) {
            self.summariesByBlock = summariesByBlock
            self.byTermEntryWidth = byTermEntryWidth
            self.forwardTerms = forwardTerms
        }

        /// How this release stores a layout built with `settings` from lists of at most
        /// `longestList` postings over `termCount` terms: the summaries by term when asked for
        /// and every list's blocks and entries can be numbered (2-byte entries when no list can
        /// have more than 256 blocks), else by block; the terms only in the compact records. A
        /// function of the postings and the settings, so `check` rebuilds the same sections.
        static func current(settings: ClusterSettings, longestList: Int, termCount: Int, documentCount: Int) -> Storage {
            let keep = settings.postingsKept(documents: documentCount)
            let blocks = settings.blockBound(kept: keep == 0 ? longestList : min(keep, longestList))
            guard settings.summariesByTerm && blocks <= SummariesByTerm.maxBlocks
                && blocks * max(1, termCount) <= Int(UInt32.max)
            else { return Storage(summariesByBlock: true, byTermEntryWidth: nil) }
            return Storage(summariesByBlock: false, byTermEntryWidth: blocks <= SummariesByTerm.narrowBlocks ? 2 : 4)
        }
    }

    /// The compact forward index: per document a record of its terms and 8-bit weights.
    public struct Compact: @unchecked Sendable {
        public let offsets: UnsafeBufferPointer<UInt64>
        public let records: UnsafeRawBufferPointer
        /// The documents in the order of their records, when that is not document order
        /// (``ClusterSettings/recordsByBlock``); nil: record `d` is the `d`-th.
        public let order: UnsafeBufferPointer<UInt32>?

        /// The bytes of a record of `entries` entries with terms of `termWidth` bytes.
        @inlinable @inline(__always)
        public static func recordSize(entries: Int, termWidth: Int) -> Int { (8 + entries * (termWidth + 1) + 3) & ~3 }

        /// The records of a forward index, in `storage`, one after another in `order` (the
        /// documents; nil: document order). `offsets[documents]` is the records' total size.
        static func build<T: FixedWidthInteger & UnsignedInteger, S: ScratchStorage>(offsets forward: UnsafeBufferPointer<UInt64>,
                                                                  terms: UnsafeBufferPointer<T>,
                                                                  weights: UnsafeBufferPointer<Float>,
                                                                  order: UnsafeMutableBufferPointer<UInt32>?,
                                                                                     storage: S) throws(S.Failure) -> Compact {
            let documents = forward.count - 1
            let width = MemoryLayout<T>.size
            let offsets = try storage.allocate(UInt64.self, count: documents + 1)
            @inline(__always) func document(_ i: Int) -> Int { order.map { Int($0[i]) } ?? i }
            var total = 0
            for i in 0..<documents {
                let d = document(i)
                offsets[d] = UInt64(total)
                total += recordSize(entries: Int(forward[d + 1] - forward[d]), termWidth: width)
            }
            offsets[documents] = UInt64(total)
            let bytes = UnsafeMutableRawBufferPointer(try storage.allocate(UInt8.self, count: total))
            bytes.initializeMemory(as: UInt8.self, repeating: 0)
            // Written in record order, so the writes go forward through the records.
            for i in 0..<documents {
                let d = document(i)
                let first = Int(forward[d])
                let m = Int(forward[d + 1]) - first
                var top: Float = 0
                for e in first..<(first + m) { top = max(top, weights[e]) }
                let scale: Float = top > 0 ? top / 255 : 1
                let at = Int(offsets[d])
                bytes.storeBytes(of: UInt32(m).littleEndian, toByteOffset: at, as: UInt32.self)
                bytes.storeBytes(of: scale, toByteOffset: at + 4, as: Float.self)
                for i in 0..<m {
                    bytes.storeBytes(of: terms[first + i].littleEndian, toByteOffset: at + 8 + i * width, as: T.self)
                    let level = min(255, max(0, (weights[first + i] / scale).rounded()))
                    bytes[at + 8 + m * width + i] = UInt8(level)
                }
            }
            return Compact(offsets: UnsafeBufferPointer(offsets), records: UnsafeRawBufferPointer(bytes),
                           order: order.map { UnsafeBufferPointer($0) })
        }
    }

    /// Whether term numbers need 32 bits in a segment of `termCount` terms.
    static func isWide(termCount: Int) -> Bool { termCount > 1 << 16 }

    /// The clustered layout of `postings` over `documentCount` documents, built in memory.
    ///
    /// `sections` overrides which optional sections it has (`check` rebuilds a file as it was
    /// written); by default, those this release writes (``Storage/current``).
    static func build(_ postings: PostingLists, documentCount: Int, settings: ClusterSettings,
                      storage: HeapStorage, sections: Storage? = nil) -> ClusteredIndex {
        func make<T: FixedWidthInteger & UnsignedInteger & BitwiseCopyable>(_: T.Type) -> ClusteredIndex {
            let scratch = HeapStorage()
            var builder = Builder<T>(postings, documentCount: documentCount, settings: settings, storage: storage,
                                     scratch: scratch, sections: sections)
            let out = HeapSections(builder.blockLayouts, storage: storage)
            // Memory accepts every declared byte, so the writes cannot fail.
            try! builder.writeBlocks(to: out)
            let summaryTag = builder.wide ? SegmentFiles.summaryTerms32 : SegmentFiles.summaryTerms16
            let byBlock = builder.stored.summariesByBlock
            return ClusteredIndex(
                wide: builder.wide, documentOffsets: builder.forward.offsets,
                documentTerms: builder.stored.forwardTerms ? UnsafeRawBufferPointer(builder.forward.terms) : UnsafeRawBufferPointer(start: nil, count: 0),
                documentWeights: builder.forward.weights,
                termBlocks: out.section(SegmentFiles.termBlocks, as: UInt64.self),
                blockOffsets: out.section(SegmentFiles.clusterBlockOffsets, as: UInt64.self),
                blockDocs: out.section(SegmentFiles.clusterBlockDocs, as: UInt32.self),
                summaryOffsets: out.section(SegmentFiles.summaryOffsets, as: UInt64.self),
                summaryTerms: byBlock ? UnsafeRawBufferPointer(out.section(summaryTag, as: T.self)) : UnsafeRawBufferPointer(start: nil, count: 0),
                summaryWeights: byBlock ? out.section(SegmentFiles.summaryWeights, as: UInt8.self) : UnsafeBufferPointer(start: nil, count: 0),
                summaryScales: out.section(SegmentFiles.summaryScales, as: Float.self),
                compact: builder.compact,
                blockRecords: builder.recordsFit ? out.section(SegmentFiles.clusterBlockRecords, as: UInt32.self) : nil,
                byTerm: builder.stored.byTermEntryWidth.map { width in
                    SummariesByTerm(lists: out.section(SegmentFiles.termSummaryLists, as: UInt64.self),
                                    terms: UnsafeRawBufferPointer(out.section(builder.wide ? SegmentFiles.termSummaryTerms32
                                                                                           : SegmentFiles.termSummaryTerms16, as: T.self)),
                                    runs: out.section(SegmentFiles.termSummaryRuns, as: UInt32.self),
                                    entries: width == 2 ? UnsafeRawBufferPointer(out.section(SegmentFiles.termSummaryEntries, as: UInt16.self))
                                                        : UnsafeRawBufferPointer(out.section(SegmentFiles.termSummaryEntries, as: UInt32.self)),
                                    entryWidth: width)
                },
                summariesByBlock: byBlock, forwardTerms: builder.stored.forwardTerms)
        }
        return isWide(termCount: postings.termCount) ? make(UInt32.self) : make(UInt16.self)
    }

    /// Writes the clustered layout of `postings` as the clusters file at `path`, holding the
    /// forward index and the blocks once (no copy of either is made for the file).
    ///
    /// With `spillDirectory`, the forward index and its compact copy (together about as large as
    /// the postings), each document's heaviest terms and the built blocks wait in scratch files
    /// there (``SpillStorage``) rather than on the heap, so that a segment whose layout is larger
    /// than memory can be built: the kernel pages them out as it needs to. The same bytes are
    /// written either way.
    static func write(_ postings: PostingLists, documentCount: Int, settings: ClusterSettings, to path: String,
                      spillDirectory: String? = nil, transposeWindow: Int = transposeWindow) throws {
        var file: SectionFileWriter?
        try produce(postings, documentCount: documentCount, settings: settings, sections: nil, spillDirectory: spillDirectory,
                    transposeWindow: transposeWindow) {
            file = try SectionFileWriter(path: path, kind: SegmentFiles.clusters.kind, sections: $0)
            return file!
        }
        try file?.finish()
    }

    /// Produces the layout's sections, in file order, into `out` (`check` compares them with a
    /// file's as they come), with the forward index in scratch files in `spillDirectory` if given.
    static func produce(_ postings: PostingLists, documentCount: Int, settings: ClusterSettings, sections: Storage?,
                        to out: some SectionOutput, spillDirectory: String?) throws {
        try produce(postings, documentCount: documentCount, settings: settings, sections: sections,
                    spillDirectory: spillDirectory, transposeWindow: transposeWindow) { _ in out }
    }

    /// Forward index entries transposed from the postings at a time (384 MB of them).
    static let transposeWindow = 1 << 26

    /// Builds the layout and produces its sections into the output `open` returns for their layouts.
    private static func produce(_ postings: PostingLists, documentCount: Int, settings: ClusterSettings, sections: Storage?,
                                spillDirectory: String?, transposeWindow: Int,
                                open: ([SectionLayout]) throws -> any SectionOutput) throws {
        func make<T: FixedWidthInteger & UnsignedInteger & BitwiseCopyable, S: ScratchStorage>(_: T.Type, _ storage: S) throws {
            var builder = try Builder<T>(postings, documentCount: documentCount, settings: settings, storage: storage,
                                         scratch: storage, sections: sections, transposeWindow: transposeWindow)
            let out = try open(builder.layouts)
            try builder.writeForward(to: out)
            try builder.writeBlocks(to: out)
            withExtendedLifetime(storage) {}
        }
        func make<T: FixedWidthInteger & UnsignedInteger & BitwiseCopyable>(_ type: T.Type) throws {
            if let spillDirectory {
                try make(type, SpillStorage(directory: spillDirectory))
            } else {
                try make(type, HeapStorage())
            }
        }
        try isWide(termCount: postings.termCount) ? make(UInt32.self) : make(UInt16.self)
    }

    /// The forward index's terms as `T` (`UInt16` unless ``wide``), when it has its own copy.
    @inlinable @inline(__always)
    public func documentTerms<T: FixedWidthInteger>(as: T.Type) -> UnsafePointer<T> {
        documentTerms.baseAddress.map { $0.assumingMemoryBound(to: T.self) } ?? UnsafePointer(bitPattern: MemoryLayout<T>.alignment)!
    }

    /// Starts loading the cache lines of document `d`'s entries in a forward index (`offsets`,
    /// `terms`, `weights`): the build's summaries and the search's candidates both read documents
    /// scattered in a forward index far larger than the caches.
    @inlinable @inline(__always)
    public static func prefetchEntries<T>(of d: Int, offsets: UnsafePointer<UInt64>, terms: UnsafePointer<T>,
                                          weights: UnsafePointer<Float>) {
        let first = Int(offsets[d])
        prefetchEntries(count: Int(offsets[d &+ 1]) &- first, terms: terms + first, weights: weights + first)
    }

    /// Starts loading the cache lines of `count` terms and weights.
    @inlinable @inline(__always)
    public static func prefetchEntries<T>(count: Int, terms: UnsafePointer<T>, weights: UnsafePointer<Float>) {
        let termBytes = UnsafeRawPointer(terms)
        let weightBytes = UnsafeRawPointer(weights)
        var byte = 0
        while byte < count &* MemoryLayout<T>.stride {
            sparrow_prefetch(termBytes + byte)
            byte &+= 64
        }
        byte = 0
        while byte < count &* 4 {
            sparrow_prefetch(weightBytes + byte)
            byte &+= 64
        }
    }

    /// The summaries' terms as `T` (`UInt16` unless ``wide``).
    @inlinable @inline(__always)
    public func summaryTerms<T: FixedWidthInteger>(as: T.Type) -> UnsafePointer<T> {
        summaryTerms.baseAddress.map { $0.assumingMemoryBound(to: T.self) } ?? UnsafePointer(bitPattern: MemoryLayout<T>.alignment)!
    }

    /// Builds the layout: the forward index first, then each term's blocks and summaries.
    private struct Builder<T: FixedWidthInteger & UnsignedInteger & BitwiseCopyable> {
        /// The forward index goes to `storage`; what is needed only while building (each
        /// document's heaviest terms, and the built blocks until they are written) to `scratch`.
        /// The forward index is transposed from the postings `transposeWindow` entries at a time.
        init<S: ScratchStorage>(_ postings: PostingLists, documentCount: Int, settings: ClusterSettings, storage: S,
                                scratch: S, sections: Storage?, transposeWindow: Int = ClusteredIndex.transposeWindow) throws(S.Failure) {
            let termCount = postings.termCount
            let longest = (0..<termCount).reduce(0) { max($0, postings.range(of: TermID($1)).count) }
            let stored = sections ?? .current(settings: settings, longestList: longest, termCount: termCount,
                                                  documentCount: documentCount)
            let total = postings.docs.count
            // Forward index: a transposition of the posting lists (terms come out increasing).
            let offsets = try storage.allocate(UInt64.self, count: documentCount + 1)
            offsets.initialize(repeating: 0)
            for d in postings.docs { offsets[Int(d) + 1] += 1 }
            for d in 0..<documentCount { offsets[d + 1] += offsets[d] }
            let terms = try storage.allocate(T.self, count: total)
            let weights = try storage.allocate(Float.self, count: total)
            // A window of documents at a time, so that the writes, scattered over the window's
            // entries, stay within memory when the forward index is in scratch files (written
            // over all of it at once, its pages were written back and dirtied again for every
            // term: 250 GB written for 9 GB at 10M documents). Lists are sorted by document, so
            // each term's postings of a window follow those of the one before.
            var next = Array(offsets.prefix(documentCount))
            var cursor = (0..<termCount).map { postings.range(of: TermID($0)).lowerBound }
            var first = 0
            while first < documentCount {
                var end = first + 1
                while end < documentCount && Int(offsets[end + 1] - offsets[first]) <= transposeWindow { end += 1 }
                for t in 0..<termCount {
                    let last = postings.range(of: TermID(t)).upperBound
                    var p = cursor[t]
                    while p < last && Int(postings.docs[p]) < end {
                        let d = Int(postings.docs[p])
                        let at = Int(next[d])
                        terms[at] = T(t)
                        weights[at] = postings.weights[p]
                        next[d] += 1
                        p += 1
                    }
                    cursor[t] = p
                }
                first = end
            }
            next = []
            cursor = []
            let forward = Forward(offsets: UnsafeBufferPointer(offsets), terms: UnsafeBufferPointer(terms),
                                  weights: UnsafeBufferPointer(weights))

            // Each document's heaviest terms, which decide its block (ties: the lower term).
            let m = settings.assignmentTerms
            // In scratch, as the chunks' blocks are (below): 120 bytes a document.
            let cutCount = try scratch.allocate(UInt8.self, count: documentCount)
            let cutTerms = try scratch.allocate(UInt32.self, count: documentCount * m)
            let cutWeights = try scratch.allocate(Float.self, count: documentCount * m)
            for d in 0..<documentCount {
                var n = 0
                let base = d * m
                for e in Int(forward.offsets[d])..<Int(forward.offsets[d + 1]) {
                    let w = forward.weights[e]
                    guard n < m || w > cutWeights[base + n - 1] else { continue }
                    var i = min(n, m - 1)
                    while i > 0 && cutWeights[base + i - 1] < w {
                        cutWeights[base + i] = cutWeights[base + i - 1]
                        cutTerms[base + i] = cutTerms[base + i - 1]
                        i -= 1
                    }
                    cutWeights[base + i] = w
                    cutTerms[base + i] = UInt32(forward.terms[e])
                    n = min(n + 1, m)
                }
                cutCount[d] = UInt8(n)
            }

            // Terms are independent: chunks of them are built on every core, each into its own
            // output, and the outputs joined in term order (the same bytes on any core count).
            let cut = Cut(count: UnsafeBufferPointer(cutCount), terms: UnsafeBufferPointer(cutTerms),
                          weights: UnsafeBufferPointer(cutWeights), width: m)
            let chunkSize = 64
            let chunks = (termCount + chunkSize - 1) / chunkSize
            // A chunk's output moves to scratch once built: the chunks wait there to be written.
            let outputs = Mutex<(parts: [Int: StoredBlocks<T>], failure: S.Failure?)>(([:], nil))
            let nextChunk = Atomic<Int>(0)
            let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, chunks))
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                var worker = TermWorker<T>(termCount: termCount, settings: settings, documentCount: documentCount,
                                           stored: stored)
                while true {
                    let c = nextChunk.add(1, ordering: .relaxed).oldValue
                    if c >= chunks || outputs.withLock({ $0.failure != nil }) { return }
                    var out = TermBlocks<T>()
                    for t in (c * chunkSize)..<min(termCount, (c + 1) * chunkSize) {
                        worker.build(term: t, postings: postings, forward: forward, cut: cut, into: &out)
                    }
                    do throws(S.Failure) {
                        let stored = try StoredBlocks(out, in: scratch)
                        outputs.withLock { $0.parts[c] = stored }
                    } catch {
                        outputs.withLock { $0.failure = $0.failure ?? error }
                    }
                }
            }
            if let failure = outputs.withLock({ $0.failure }) { throw failure }
            parts = outputs.withLock { state in (0..<chunks).map { state.parts.removeValue(forKey: $0)! } }
            release = { scratch.release(UnsafeMutableRawPointer(mutating: $0.start)) }
            self.forward = forward
            let order = settings.recordsByBlock ? try Self.recordOrder(parts, documentCount: documentCount, storage: storage) : nil
            compact = try Compact.build(offsets: forward.offsets, terms: forward.terms, weights: forward.weights, order: order,
                                        storage: storage)
            self.termCount = termCount
            // Counted once, then the chunks are written out (and let go of) one by one.
            blockCount = parts.reduce(0) { $0 + $1.summaryScales.count }
            keptCount = parts.reduce(0) { $0 + $1.blockDocs.count }
            entryCount = parts.reduce(0) { $0 + Int($1.summaryOffsets.last!) }
            distinctCount = parts.reduce(0) { $0 + $1.byTermTerms.count }
            self.stored = stored
        }

        /// The documents in the order their compact records are stored (``ClusterSettings/recordsByBlock``):
        /// the blocks of every list by rank in the list (by their heaviest posting of the list's term,
        /// heaviest first; ties: the earlier block), rank 0 of every list first, in term order; each
        /// document where the first of these blocks names it; then the documents no block names, in
        /// document order. Nil (document order) when the blocks cannot be numbered in 32 bits.
        static func recordOrder<S: ScratchStorage>(_ parts: [StoredBlocks<T>], documentCount: Int,
                                                   storage: S) throws(S.Failure) -> UnsafeMutableBufferPointer<UInt32>? {
            let blockCount = parts.reduce(0) { $0 + $1.blockTops.count }
            guard blockCount < Int(UInt32.max) && documentCount <= Int(UInt32.max) else { return nil }
            // Each block's rank in its list, and how many blocks have each rank.
            var rank = [UInt32](repeating: 0, count: blockCount)
            var ofRank: [Int] = []
            var byTop: [Int] = []
            var base = 0
            for part in parts {
                for l in 0..<(part.termBlocks.count - 1) {
                    let first = Int(part.termBlocks[l])
                    let end = Int(part.termBlocks[l + 1])
                    byTop.removeAll(keepingCapacity: true)
                    byTop.append(contentsOf: first..<end)
                    byTop.sort { part.blockTops[$0] != part.blockTops[$1] ? part.blockTops[$0] > part.blockTops[$1] : $0 < $1 }
                    if ofRank.count < byTop.count { ofRank.append(contentsOf: repeatElement(0, count: byTop.count - ofRank.count)) }
                    for (r, b) in byTop.enumerated() {
                        rank[base + b] = UInt32(r)
                        ofRank[r] += 1
                    }
                }
                base += part.blockTops.count
            }
            // The blocks by rank (a counting sort, so term order within a rank), as (part, block).
            var next = [Int](repeating: 0, count: ofRank.count)
            for r in 1..<max(1, ofRank.count) { next[r] = next[r - 1] + ofRank[r - 1] }
            var sorted = [(part: UInt32, block: UInt32)](repeating: (0, 0), count: blockCount)
            base = 0
            for (p, part) in parts.enumerated() {
                for b in 0..<part.blockTops.count {
                    let r = Int(rank[base + b])
                    sorted[next[r]] = (UInt32(p), UInt32(b))
                    next[r] += 1
                }
                base += part.blockTops.count
            }
            rank = []
            let order = try storage.allocate(UInt32.self, count: documentCount)
            var placed = [UInt64](repeating: 0, count: (documentCount + 63) / 64)
            var count = 0
            @inline(__always) func place(_ d: Int) {
                let bit = UInt64(1) << UInt64(d & 63)
                guard placed[d >> 6] & bit == 0 else { return }
                placed[d >> 6] |= bit
                order[count] = UInt32(d)
                count += 1
            }
            for (p, b) in sorted {
                let part = parts[Int(p)]
                for j in Int(part.blockOffsets[Int(b)])..<Int(part.blockOffsets[Int(b) + 1]) { place(Int(part.blockDocs[j])) }
            }
            for d in 0..<documentCount { place(d) }
            return order
        }

        let forward: Forward<T>
        let compact: Compact
        /// Whether every record's start fits a u32 count of 4-byte units.
        var recordsFit: Bool { compact.records.count / 4 <= Int(UInt32.max) }
        var wide: Bool { T.self == UInt32.self }
        let termCount: Int
        let blockCount: Int
        let keptCount: Int
        let entryCount: Int
        /// Distinct terms of the lists' summaries, summed over the lists.
        let distinctCount: Int
        /// Where the summaries are stored.
        let stored: Storage
        var parts: [StoredBlocks<T>]
        /// Gives a written chunk's room back to the scratch storage.
        let release: (StoredBlocks<T>) -> Void

        /// The sections of the blocks and summaries (the forward index is already in memory).
        var blockLayouts: [SectionLayout] {
            [SectionLayout(SegmentFiles.termBlocks, UInt64.self, count: termCount + 1),
             SectionLayout(SegmentFiles.clusterBlockOffsets, UInt64.self, count: blockCount + 1),
             SectionLayout(SegmentFiles.clusterBlockDocs, UInt32.self, count: keptCount)]
            + (recordsFit ? [SectionLayout(SegmentFiles.clusterBlockRecords, UInt32.self, count: keptCount)] : [])
            + [SectionLayout(SegmentFiles.summaryOffsets, UInt64.self, count: blockCount + 1)]
            + (stored.summariesByBlock ? [SectionLayout(wide ? SegmentFiles.summaryTerms32 : SegmentFiles.summaryTerms16, T.self, count: entryCount),
                                    SectionLayout(SegmentFiles.summaryWeights, UInt8.self, count: entryCount)] : [])
            + [SectionLayout(SegmentFiles.summaryScales, Float.self, count: blockCount)]
            + (stored.byTermEntryWidth.map { width in
                [SectionLayout(SegmentFiles.termSummaryLists, UInt64.self, count: termCount + 1),
                 SectionLayout(wide ? SegmentFiles.termSummaryTerms32 : SegmentFiles.termSummaryTerms16, T.self, count: distinctCount),
                 SectionLayout(SegmentFiles.termSummaryRuns, UInt32.self, count: distinctCount),
                 width == 2 ? SectionLayout(SegmentFiles.termSummaryEntries, UInt16.self, count: entryCount)
                            : SectionLayout(SegmentFiles.termSummaryEntries, UInt32.self, count: entryCount)]
            } ?? [])
        }

        /// Every section of the layout, in file order.
        var layouts: [SectionLayout] {
            [SectionLayout(SegmentFiles.forwardOffsets, UInt64.self, count: forward.offsets.count)]
            + (stored.forwardTerms ? [SectionLayout(wide ? SegmentFiles.forwardTerms32 : SegmentFiles.forwardTerms16, T.self, count: forward.terms.count)] : [])
            + [SectionLayout(SegmentFiles.forwardWeights, Float.self, count: forward.weights.count),
             SectionLayout(SegmentFiles.compactOffsets, UInt64.self, count: compact.offsets.count),
             SectionLayout(SegmentFiles.compactRecords, UInt8.self, count: compact.records.count)]
            + (compact.order.map { [SectionLayout(SegmentFiles.compactOrder, UInt32.self, count: $0.count)] } ?? [])
            + blockLayouts
        }

        /// Writes the forward index's sections to `out`.
        func writeForward(to out: some SectionOutput) throws {
            try out.append(SegmentFiles.forwardOffsets, forward.offsets)
            if stored.forwardTerms { try out.append(wide ? SegmentFiles.forwardTerms32 : SegmentFiles.forwardTerms16, forward.terms) }
            try out.append(SegmentFiles.forwardWeights, forward.weights)
            try out.append(SegmentFiles.compactOffsets, compact.offsets)
            try out.append(SegmentFiles.compactRecords, compact.records.bindMemory(to: UInt8.self))
            if let order = compact.order { try out.append(SegmentFiles.compactOrder, order) }
        }

        /// Writes the blocks and summaries to `out`, chunk by chunk, letting go of each.
        mutating func writeBlocks(to out: some SectionOutput) throws {
            var (blocks, docs, entries, distinct): (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            try out.append(SegmentFiles.termBlocks, value: UInt64(0))
            if stored.byTermEntryWidth != nil { try out.append(SegmentFiles.termSummaryLists, value: UInt64(0)) }
            try out.append(SegmentFiles.clusterBlockOffsets, value: UInt64(0))
            try out.append(SegmentFiles.summaryOffsets, value: UInt64(0))
            for c in parts.indices {
                let part = parts[c]
                defer { release(part) }
                try out.append(SegmentFiles.termBlocks, part.termBlocks.dropFirst().map { $0 + blocks })
                try out.append(SegmentFiles.clusterBlockOffsets, part.blockOffsets.dropFirst().map { $0 + docs })
                try out.append(SegmentFiles.summaryOffsets, part.summaryOffsets.dropFirst().map { $0 + entries })
                try out.append(SegmentFiles.clusterBlockDocs, part.blockDocs)
                if recordsFit {
                    try out.append(SegmentFiles.clusterBlockRecords, part.blockDocs.map { UInt32(compact.offsets[Int($0)] / 4) })
                }
                if stored.summariesByBlock {
                    try out.append(wide ? SegmentFiles.summaryTerms32 : SegmentFiles.summaryTerms16, part.summaryTerms)
                    try out.append(SegmentFiles.summaryWeights, part.summaryWeights)
                }
                try out.append(SegmentFiles.summaryScales, part.summaryScales)
                if let width = stored.byTermEntryWidth {
                    try out.append(SegmentFiles.termSummaryLists, part.byTermLists.dropFirst().map { $0 + distinct })
                    try out.append(wide ? SegmentFiles.termSummaryTerms32 : SegmentFiles.termSummaryTerms16, part.byTermTerms)
                    try out.append(SegmentFiles.termSummaryRuns, part.byTermRuns)
                    if width == 2 {
                        try out.append(SegmentFiles.termSummaryEntries, part.byTermEntries16)
                    } else {
                        try out.append(SegmentFiles.termSummaryEntries, part.byTermEntries)
                    }
                }
                distinct += UInt64(part.byTermTerms.count)
                blocks += UInt64(part.summaryScales.count)
                docs += UInt64(part.blockDocs.count)
                entries += part.summaryOffsets.last!
            }
        }
    }

    /// The forward index being built (read-only while the blocks are).
    private struct Forward<T>: @unchecked Sendable {
        let offsets: UnsafeBufferPointer<UInt64>
        let terms: UnsafeBufferPointer<T>
        let weights: UnsafeBufferPointer<Float>
    }

    /// Each document's heaviest terms (at most `width`, heaviest first), which decide its block.
    private struct Cut: @unchecked Sendable {
        let count: UnsafeBufferPointer<UInt8>
        let terms: UnsafeBufferPointer<UInt32>
        let weights: UnsafeBufferPointer<Float>
        let width: Int

        /// Starts loading document `d`'s heaviest terms and weights (`terms` and `weights` of a
        /// cut `width` wide): the loops over a list's documents reach them scattered in memory.
        @inline(__always)
        static func prefetch(_ d: Int, width: Int, _ terms: UnsafeBufferPointer<UInt32>, _ weights: UnsafeBufferPointer<Float>) {
            sparrow_prefetch(terms.baseAddress! + d &* width)
            sparrow_prefetch(weights.baseAddress! + d &* width)
        }
    }

    /// The blocks and summaries of consecutive terms, as they are stored.
    private struct TermBlocks<T: FixedWidthInteger & UnsignedInteger & BitwiseCopyable>: @unchecked Sendable {
        var termBlocks: [UInt64] = [0]
        var blockOffsets: [UInt64] = [0]
        var blockDocs: [UInt32] = []
        var summaryOffsets: [UInt64] = [0]
        /// The summaries by block from entry `entryBase` on: when they are stored only by term,
        /// each list's are let go of once they are put by term.
        var summaryTerms: [T] = []
        var summaryWeights: [UInt8] = []
        var entryBase = 0
        var summaryScales: [Float] = []
        /// Each block's heaviest posting of its list's term (for the records' order; not stored).
        var blockTops: [Float] = []
        /// The summaries by term (``SummariesByTerm``), with the directory offsets from 0, and
        /// the entries in `byTermEntries16` when they take 2 bytes.
        var byTermLists: [UInt64] = [0]
        var byTermTerms: [T] = []
        var byTermRuns: [UInt32] = []
        var byTermEntries: [UInt32] = []
        var byTermEntries16: [UInt16] = []
    }

    /// A chunk's ``TermBlocks`` once built, copied into one allocation of the build's scratch
    /// storage (files, when the build spills), so that the chunks waiting to be written do not
    /// hold the heap.
    private struct StoredBlocks<T: FixedWidthInteger & UnsignedInteger & BitwiseCopyable>: @unchecked Sendable {
        let start: UnsafeRawPointer
        let termBlocks, blockOffsets, summaryOffsets, byTermLists: UnsafeBufferPointer<UInt64>
        let blockDocs: UnsafeBufferPointer<UInt32>
        let summaryTerms: UnsafeBufferPointer<T>
        let summaryWeights: UnsafeBufferPointer<UInt8>
        let summaryScales, blockTops: UnsafeBufferPointer<Float>
        let byTermTerms: UnsafeBufferPointer<T>
        let byTermRuns, byTermEntries: UnsafeBufferPointer<UInt32>
        let byTermEntries16: UnsafeBufferPointer<UInt16>

        init<S: ScratchStorage>(_ b: TermBlocks<T>, in storage: S) throws(S.Failure) {
            // Each array at a multiple of 8 bytes.
            func room<E>(_ a: [E]) -> Int { (a.count * MemoryLayout<E>.stride + 7) & ~7 }
            let total = room(b.termBlocks) + room(b.blockOffsets) + room(b.summaryOffsets) + room(b.byTermLists)
                + room(b.blockDocs) + room(b.summaryTerms) + room(b.summaryWeights) + room(b.summaryScales)
                + room(b.byTermTerms) + room(b.byTermRuns) + room(b.byTermEntries) + room(b.byTermEntries16)
                + room(b.blockTops)
            let raw = UnsafeMutableRawPointer(try storage.allocate(UInt64.self, count: total / 8).baseAddress!)
            var at = 0
            func place<E>(_ a: [E]) -> UnsafeBufferPointer<E> {
                let p = (raw + at).bindMemory(to: E.self, capacity: a.count)
                a.withUnsafeBufferPointer { if let source = $0.baseAddress { p.initialize(from: source, count: a.count) } }
                at += room(a)
                return UnsafeBufferPointer(start: p, count: a.count)
            }
            start = UnsafeRawPointer(raw)
            termBlocks = place(b.termBlocks)
            blockOffsets = place(b.blockOffsets)
            summaryOffsets = place(b.summaryOffsets)
            byTermLists = place(b.byTermLists)
            blockDocs = place(b.blockDocs)
            summaryTerms = place(b.summaryTerms)
            summaryWeights = place(b.summaryWeights)
            summaryScales = place(b.summaryScales)
            byTermTerms = place(b.byTermTerms)
            byTermRuns = place(b.byTermRuns)
            byTermEntries = place(b.byTermEntries)
            byTermEntries16 = place(b.byTermEntries16)
            blockTops = place(b.blockTops)
        }
    }

    /// Builds the blocks of one term at a time, with working memory reused across terms.
    private struct TermWorker<T: FixedWidthInteger & UnsignedInteger & BitwiseCopyable> {
        let settings: ClusterSettings
        let keepCount: Int
        var runStart: [Int32]
        var runEnd: [Int32]
        /// Per term, its dense row in `rowWeights` while centroids are means (-1: none).
        var rowOf: [Int32]
        var rowWeights: [Float] = []
        var maxima: [Float]
        /// Per term, a block's summed weights while its mean is formed (all zero between blocks).
        var sums: [Float]
        var meanTerms: [UInt32] = []
        /// The kept postings by block, and where each block's end (`recentre`).
        var members: [Int32] = []
        var memberStart: [Int32] = []
        /// The new centroids' entries, centroid by centroid.
        var means: [(term: UInt32, centroid: Int32, weight: Float)] = []
        var stamps: [UInt32]
        var stampOfBlock: UInt32 = 0
        var touched: [UInt32] = []
        var levels: [UInt8] = []
        var chosen: [(term: UInt32, level: UInt8)] = []
        /// Whether a summary's entries are put in term order through `bitmap` (small vocabularies).
        let orderByBitmap: Bool
        /// One bit per term (all zero between summaries), and each marked term's level.
        var bitmap: [UInt64]
        var levelOf: [UInt8]
        var chosenTerms: [T] = []
        var chosenLevels: [UInt8] = []
        var levelMass = [Double](repeating: 0, count: 256)
        var kept: [(doc: UInt32, weight: Float)] = []
        var entries: [(term: UInt32, centroid: Int32, weight: Float)] = []
        var scores: [Float] = []
        var hit: [Bool] = []
        var hits: [Int32] = []
        var assignment: [Int32] = []
        /// Per term, its run's length and then its next free place (all zero between lists).
        var runCursor: [UInt32]
        var distinctTerms: [UInt32] = []

        /// Where the summaries are stored.
        let stored: Storage

        init(termCount: Int, settings: ClusterSettings, documentCount: Int, stored: Storage) {
            self.settings = settings
            self.stored = stored
            keepCount = settings.postingsKept(documents: documentCount)
            runStart = [Int32](repeating: -1, count: termCount)
            runEnd = [Int32](repeating: 0, count: termCount)
            rowOf = [Int32](repeating: -1, count: termCount)
            maxima = [Float](repeating: 0, count: termCount)
            sums = [Float](repeating: 0, count: termCount)
            stamps = [UInt32](repeating: 0, count: termCount)
            orderByBitmap = termCount <= 1 << 17
            bitmap = [UInt64](repeating: 0, count: orderByBitmap ? (termCount + 63) / 64 : 0)
            levelOf = [UInt8](repeating: 0, count: orderByBitmap ? termCount : 0)
            runCursor = [UInt32](repeating: 0, count: termCount)
        }

        mutating func build(term t: Int, postings: PostingLists,
                            forward: Forward<T>,
                            cut: Cut, into out: inout TermBlocks<T>) {
            let list = postings.range(of: TermID(t))
            let m = cut.width
            // 1. Static pruning: the heaviest postings (ties: the lower document), by document.
            kept.removeAll(keepingCapacity: true)
            if (keepCount == 0 || list.count <= keepCount) && settings.postingMass >= 1 {
                for p in list { kept.append((postings.docs[p], postings.weights[p])) }
            } else {
                var best = TopK(k: keepCount == 0 ? list.count : min(keepCount, list.count))
                var mass: Double = 0
                for p in list {
                    best.push(DocID(postings.docs[p]), postings.weights[p])
                    mass += Double(postings.weights[p])
                }
                var sum: Double = 0
                for hit in best.sorted() {
                    if settings.postingMass < 1 && sum >= settings.postingMass * mass { break }
                    kept.append((hit.doc.rawValue, hit.score))
                    sum += Double(hit.score)
                }
                kept.sort { $0.doc < $1.doc }
            }
            guard !kept.isEmpty else {
                out.termBlocks.append(out.termBlocks.last!)
                out.byTermLists.append(out.byTermLists.last!)
                return
            }

            // 2. Blocks.
            var blockCount = settings.centroidBlocks(kept: kept.count)
            assignment = [Int32](repeating: 0, count: kept.count)
            if settings.method == .leaders && blockCount > 1 {
                // Sorted by their two heaviest other terms, cut into runs of 1 / blockFraction.
                var keys: [(UInt32, UInt32)] = []
                keys.reserveCapacity(kept.count)
                for posting in kept {
                    let d = Int(posting.doc)
                    var found = (UInt32.max, UInt32.max)
                    var n = 0
                    for j in 0..<Int(cut.count[d]) where n < 2 && cut.terms[d * m + j] != UInt32(t) {
                        if n == 0 { found.0 = cut.terms[d * m + j] } else { found.1 = cut.terms[d * m + j] }
                        n += 1
                    }
                    keys.append(found)
                }
                let order = (0..<kept.count).sorted { keys[$0] != keys[$1] ? keys[$0] < keys[$1] : $0 < $1 }
                let size = settings.leaderBlockSize
                for (rank, i) in order.enumerated() { assignment[i] = Int32(rank / size) }
                blockCount = (kept.count + size - 1) / size
            } else if blockCount > 1 {
                // Random documents of the list are centroids; a document joins the centroid with
                // the largest dot product over their heaviest terms and this one (ties: the first).
                var random = SeededRandom(seed: settings.seed ^ (UInt64(t) &* 0x9E37_79B9_7F4A_7C15))
                var positions = Array(0..<kept.count)
                for i in 0..<blockCount {
                    positions.swapAt(i, Int.random(in: i..<kept.count, using: &random))
                }
                let centroids = positions[0..<blockCount].sorted()
                var centroidWeights = centroids.map { kept[$0].weight }
                entries.removeAll(keepingCapacity: true)
                for (c, position) in centroids.enumerated() {
                    let d = Int(kept[position].doc)
                    for j in 0..<Int(cut.count[d]) where cut.terms[d * m + j] != UInt32(t) {
                        entries.append((cut.terms[d * m + j], Int32(c), cut.weights[d * m + j]))
                    }
                }
                assign(term: t, cut: cut, centroidWeights: centroidWeights)
                // Rounds of Lloyd's k-means: each block's mean becomes its centroid, and every
                // document joins the nearest of the new centroids.
                for _ in 0..<settings.kMeansRounds {
                    blockCount = recentre(term: t, cut: cut, blockCount: blockCount, centroidWeights: &centroidWeights)
                    assignToMeans(term: t, cut: cut, centroidWeights: centroidWeights)
                }
            }

            // 3. Each non-empty block, in centroid order, with its documents and its summary.
            let firstBlock = out.summaryScales.count
            var members = [[UInt32]](repeating: [], count: blockCount)
            var tops = [Float](repeating: 0, count: blockCount)
            for (i, posting) in kept.enumerated() {
                members[Int(assignment[i])].append(posting.doc)
                tops[Int(assignment[i])] = max(tops[Int(assignment[i])], posting.weight)
            }
            for (c, block) in members.enumerated() where !block.isEmpty {
                out.blockTops.append(tops[c])
                out.blockDocs.append(contentsOf: block)
                out.blockOffsets.append(UInt64(out.blockDocs.count))
                summarise(block, forward: forward, into: &out)
            }
            out.termBlocks.append(UInt64(out.blockOffsets.count - 1))
            putByTerm(firstBlock: firstBlock, into: &out)
        }

        /// Marks each term's run in `entries` (grouped by term) in `runStart` and `runEnd`, and
        /// spreads a run of at least `denseFrom` entries into a dense row of `blockCount` weights
        /// (`rowOf`, `rowWeights`). ``clearRuns()`` undoes the marks.
        private mutating func indexRuns(blockCount: Int, denseFrom dense: Int) {
            var rows = 0
            var e = 0
            while e < entries.count {
                let u = Int(entries[e].term)
                let start = e
                while e < entries.count && Int(entries[e].term) == u { e += 1 }
                runStart[u] = Int32(start)
                runEnd[u] = Int32(e)
                if e - start >= dense {
                    rowOf[u] = Int32(rows)
                    if rowWeights.count < (rows + 1) * blockCount { rowWeights.append(contentsOf: repeatElement(0, count: (rows + 1) * blockCount - rowWeights.count)) }
                    for c in 0..<blockCount { rowWeights[rows * blockCount + c] = 0 }
                    for r in start..<e { rowWeights[rows * blockCount + Int(entries[r].centroid)] = entries[r].weight }
                    rows += 1
                }
            }
        }

        /// Unmarks the runs of ``indexRuns(blockCount:denseFrom:)``, for the next list.
        private mutating func clearRuns() {
            for entry in entries {
                runStart[Int(entry.term)] = -1
                rowOf[Int(entry.term)] = -1
            }
        }

        /// Sets `assignment[i]` for each kept posting `i`: the centroid with the largest dot product
        /// over the document's heaviest terms and this one (ties: the first). Centroid `c` weighs
        /// `centroidWeights[c]` on term `t` and its other terms are the entries of `entries`
        /// (any order; sorted here by term, then centroid).
        private mutating func assign(term t: Int, cut: Cut, centroidWeights: [Float]) {
            let blockCount = centroidWeights.count
            let m = cut.width
            entries.sort { ($0.term, $0.centroid) < ($1.term, $1.centroid) }
            indexRuns(blockCount: blockCount, denseFrom: Int.max)
            // A centroid that shares none of a document's heaviest terms scores only this
            // term's product: of those, the one with the heaviest weight here wins.
            let byWeight = (0..<blockCount).sorted { centroidWeights[$0] != centroidWeights[$1] ? centroidWeights[$0] > centroidWeights[$1] : $0 < $1 }
            scores = [Float](repeating: 0, count: blockCount)
            hit = [Bool](repeating: false, count: blockCount)
            if hits.count < blockCount { hits = [Int32](repeating: 0, count: blockCount) }
            let kept = self.kept
            // Unchecked buffers: this loop is most of a build's time after the summaries.
            scores.withUnsafeMutableBufferPointer { scores in
            hit.withUnsafeMutableBufferPointer { hit in
            hits.withUnsafeMutableBufferPointer { hits in
            assignment.withUnsafeMutableBufferPointer { assignment in
            entries.withUnsafeBufferPointer { entries in
            runStart.withUnsafeBufferPointer { runStart in
            runEnd.withUnsafeBufferPointer { runEnd in
                let (cutTerms, cutWeights) = (cut.terms, cut.weights)
                for (i, posting) in kept.enumerated() {
                    let d = Int(posting.doc)
                    if i &+ 4 < kept.count { Cut.prefetch(Int(kept[i &+ 4].doc), width: m, cutTerms, cutWeights) }
                    var hitCount = 0
                    for j in 0..<Int(cut.count[d]) {
                        let u = Int(cutTerms[d &* m &+ j])
                        guard u != t, runStart[u] >= 0 else { continue }
                        let w = cutWeights[d &* m &+ j]
                        for r in Int(runStart[u])..<Int(runEnd[u]) {
                            let c = Int(entries[r].centroid)
                            if !hit[c] {
                                hit[c] = true
                                hits[hitCount] = Int32(c)
                                hitCount &+= 1
                                scores[c] = posting.weight * centroidWeights[c]
                            }
                            scores[c] += w * entries[r].weight
                        }
                    }
                    var best = -1
                    var bestScore: Float = 0
                    for c in byWeight where !hit[c] {
                        best = c
                        bestScore = posting.weight * centroidWeights[c]
                        break
                    }
                    for h in 0..<hitCount {
                        let c = Int(hits[h])
                        if best < 0 || scores[c] > bestScore || (scores[c] == bestScore && c < best) {
                            best = c
                            bestScore = scores[c]
                        }
                        hit[c] = false
                    }
                    assignment[i] = Int32(best)
                }
            }}}}}}}
            clearRuns()
        }

        /// ``assign(term:cut:centroidWeights:)`` for centroids that are means of blocks. Means share
        /// their common terms, so a term's run often names most centroids; such runs (at least an
        /// eighth of the centroids) are spread into dense rows and added to every centroid's score
        /// at once, the others entry by entry. Every centroid is scored, and the best wins (ties:
        /// the first), as in `assign`. `entries` must be grouped by term, as `recentre` leaves them.
        private mutating func assignToMeans(term t: Int, cut: Cut, centroidWeights: [Float]) {
            let blockCount = centroidWeights.count
            let m = cut.width
            indexRuns(blockCount: blockCount, denseFrom: max(8, blockCount / 8))
            if scores.count < blockCount { scores = [Float](repeating: 0, count: blockCount) }
            let kept = self.kept
            scores.withUnsafeMutableBufferPointer { scores in
            assignment.withUnsafeMutableBufferPointer { assignment in
            entries.withUnsafeBufferPointer { entries in
            runStart.withUnsafeBufferPointer { runStart in
            runEnd.withUnsafeBufferPointer { runEnd in
            rowOf.withUnsafeBufferPointer { rowOf in
            rowWeights.withUnsafeBufferPointer { rowWeights in
            centroidWeights.withUnsafeBufferPointer { centroidWeights in
                let (cutTerms, cutWeights) = (cut.terms, cut.weights)
                let scores = scores.baseAddress!
                let own = centroidWeights.baseAddress!
                for (i, posting) in kept.enumerated() {
                    let d = Int(posting.doc)
                    if i &+ 4 < kept.count { Cut.prefetch(Int(kept[i &+ 4].doc), width: m, cutTerms, cutWeights) }
                    let pw = posting.weight
                    for c in 0..<blockCount { scores[c] = pw * own[c] }
                    for j in 0..<Int(cut.count[d]) {
                        let u = Int(cutTerms[d &* m &+ j])
                        guard u != t, runStart[u] >= 0 else { continue }
                        let w = cutWeights[d &* m &+ j]
                        let row = Int(rowOf[u])
                        if row >= 0 {
                            let weights = rowWeights.baseAddress! + row &* blockCount
                            for c in 0..<blockCount { scores[c] += w * weights[c] }
                        } else {
                            for r in Int(runStart[u])..<Int(runEnd[u]) {
                                scores[Int(entries[r].centroid)] += w * entries[r].weight
                            }
                        }
                    }
                    var best = 0
                    var bestScore = scores[0]
                    for c in 1..<max(1, blockCount) where scores[c] > bestScore {
                        best = c
                        bestScore = scores[c]
                    }
                    assignment[i] = Int32(best)
                }
            }}}}}}}}
            clearRuns()
        }

        /// Replaces the centroids by the means of their documents (a round of ``ClusterSettings/kMeansRounds``):
        /// for each centroid with documents, in order, the mean of their weights on term `t` and the
        /// heaviest ``ClusterSettings/centroidTerms`` of the mean of their heaviest other terms (ties: the lower
        /// term) become a new centroid's, in `centroidWeights` and `entries`. Returns how many.
        private mutating func recentre(term t: Int, cut: Cut, blockCount: Int, centroidWeights: inout [Float]) -> Int {
            let m = cut.width
            let width = settings.centroidTerms
            // The kept postings by block (a counting sort on the assignment).
            if memberStart.count < blockCount + 1 { memberStart = [Int32](repeating: 0, count: blockCount + 1) }
            if members.count < kept.count { members = [Int32](repeating: 0, count: kept.count) }
            for c in 0...blockCount { memberStart[c] = 0 }
            for c in assignment { memberStart[Int(c) + 1] += 1 }
            for c in 0..<blockCount { memberStart[c + 1] += memberStart[c] }
            for (i, c) in assignment.enumerated() {
                members[Int(memberStart[Int(c)])] = Int32(i)
                memberStart[Int(c)] += 1
            }
            // memberStart[c] is now block c's end, and its start the end of the block before.
            centroidWeights.removeAll(keepingCapacity: true)
            means.removeAll(keepingCapacity: true)
            var top = [(term: UInt32, weight: Float)](repeating: (0, 0), count: width)
            let kept = self.kept
            sums.withUnsafeMutableBufferPointer { sums in
                let (cutTerms, cutWeights) = (cut.terms, cut.weights)
                var blockStart = 0
                for c in 0..<blockCount {
                    let blockEnd = Int(memberStart[c])
                    defer { blockStart = blockEnd }
                    guard blockEnd > blockStart else { continue }
                    let centroid = Int32(centroidWeights.count)
                    var own: Float = 0
                    meanTerms.removeAll(keepingCapacity: true)
                    for k in blockStart..<blockEnd {
                        if k &+ 4 < blockEnd { Cut.prefetch(Int(kept[Int(members[k &+ 4])].doc), width: m, cutTerms, cutWeights) }
                        let posting = kept[Int(members[k])]
                        own += posting.weight
                        let d = Int(posting.doc)
                        for j in 0..<Int(cut.count[d]) {
                            let u = Int(cutTerms[d &* m &+ j])
                            let w = cutWeights[d &* m &+ j]
                            guard u != t, w > 0 else { continue }
                            if sums[u] == 0 { meanTerms.append(UInt32(u)) }
                            sums[u] += w
                        }
                    }
                    let n = Float(blockEnd - blockStart)
                    centroidWeights.append(own / n)
                    // The heaviest `width` terms of the mean (ties: the lower term), by insertion.
                    var count = 0
                    for u in meanTerms {
                        let w = sums[Int(u)] / n
                        sums[Int(u)] = 0
                        guard count < width || w > top[count - 1].weight || (w == top[count - 1].weight && u < top[count - 1].term) else { continue }
                        var i = min(count, width - 1)
                        while i > 0 && (top[i - 1].weight < w || (top[i - 1].weight == w && top[i - 1].term > u)) {
                            top[i] = top[i - 1]
                            i -= 1
                        }
                        top[i] = (u, w)
                        count = min(count + 1, width)
                    }
                    for i in 0..<count { means.append((top[i].term, centroid, top[i].weight)) }
                }
            }
            // Grouped by term, centroids increasing within a term (a stable counting sort).
            distinctTerms.removeAll(keepingCapacity: true)
            for entry in means {
                if runCursor[Int(entry.term)] == 0 { distinctTerms.append(entry.term) }
                runCursor[Int(entry.term)] += 1
            }
            var place: UInt32 = 0
            for u in distinctTerms {
                let n = runCursor[Int(u)]
                runCursor[Int(u)] = place
                place += n
            }
            entries.removeAll(keepingCapacity: true)
            entries.append(contentsOf: repeatElement((term: UInt32(0), centroid: Int32(0), weight: Float(0)), count: means.count))
            for entry in means {
                entries[Int(runCursor[Int(entry.term)])] = entry
                runCursor[Int(entry.term)] += 1
            }
            for u in distinctTerms { runCursor[Int(u)] = 0 }
            return centroidWeights.count
        }

        /// 4. The summaries of the list whose blocks start at `firstBlock`, by term
        /// (``SummariesByTerm``): a counting sort of their entries on the term. Without summaries
        /// by block, the list's are then let go of.
        mutating func putByTerm(firstBlock: Int, into out: inout TermBlocks<T>) {
            guard let entryWidth = stored.byTermEntryWidth else { return }
            let blocks = out.summaryScales.count - firstBlock
            // The list's entries, as places in `out.summaryTerms`.
            let first = Int(out.summaryOffsets[firstBlock]) - out.entryBase
            let count = out.summaryTerms.count - first
            distinctTerms.removeAll(keepingCapacity: true)
            for e in first..<(first + count) {
                let u = Int(out.summaryTerms[e])
                if runCursor[u] == 0 { distinctTerms.append(UInt32(u)) }
                runCursor[u] &+= 1
            }
            if orderByBitmap {
                // Marked in the (all-zero) bitmap of the terms and read back in order, as summaries are.
                bitmap.withUnsafeMutableBufferPointer { bitmap in
                    var low = Int.max, high = -1
                    for u in distinctTerms {
                        bitmap[Int(u) &>> 6] |= 1 &<< UInt64(u & 63)
                        low = min(low, Int(u) &>> 6)
                        high = max(high, Int(u) &>> 6)
                    }
                    var n = 0
                    if high >= 0 {
                        for w in low...high {
                            var bits = bitmap[w]
                            bitmap[w] = 0
                            while bits != 0 {
                                distinctTerms[n] = UInt32(w &<< 6 | bits.trailingZeroBitCount)
                                n &+= 1
                                bits &= bits &- 1
                            }
                        }
                    }
                }
            } else {
                distinctTerms.sort()
            }
            var start: UInt32 = 0
            for u in distinctTerms {
                out.byTermTerms.append(T(truncatingIfNeeded: u))
                out.byTermRuns.append(start)
                let n = runCursor[Int(u)]
                runCursor[Int(u)] = start
                start &+= n
            }
            do {
                let (offsets, terms, weights, entryBase) = (out.summaryOffsets, out.summaryTerms, out.summaryWeights, out.entryBase)
                func put<E: FixedWidthInteger>(_ entries: inout [E], cursor: inout [UInt32]) {
                    let base = entries.count
                    entries.append(contentsOf: repeatElement(0, count: count))
                    entries.withUnsafeMutableBufferPointer { entries in
                        cursor.withUnsafeMutableBufferPointer { cursor in
                            for b in 0..<blocks {
                                for e in (Int(offsets[firstBlock + b]) - entryBase)..<(Int(offsets[firstBlock + b + 1]) - entryBase) {
                                    let u = Int(terms[e])
                                    entries[base &+ Int(cursor[u])] = E(truncatingIfNeeded: b &<< 8 | Int(weights[e]))
                                    cursor[u] &+= 1
                                }
                            }
                        }
                    }
                }
                if entryWidth == 2 { put(&out.byTermEntries16, cursor: &runCursor) } else { put(&out.byTermEntries, cursor: &runCursor) }
            }
            for u in distinctTerms { runCursor[Int(u)] = 0 }
            out.byTermLists.append(UInt64(out.byTermTerms.count))
            if !stored.summariesByBlock {
                out.entryBase += out.summaryTerms.count
                out.summaryTerms.removeAll(keepingCapacity: true)
                out.summaryWeights.removeAll(keepingCapacity: true)
            }
        }

        /// Starts loading document `d`'s forward-index entries.
        @inline(__always)
        static func prefetchEntries(of d: UInt32, _ forward: Forward<T>) {
            ClusteredIndex.prefetchEntries(of: Int(d), offsets: forward.offsets.baseAddress!,
                                           terms: forward.terms.baseAddress!, weights: forward.weights.baseAddress!)
        }

        /// Appends the summary of `block`: the maximum weight of each of its terms, quantised
        /// upwards to 8 bits; then the heaviest levels are kept until they hold the kept share
        /// of the mass (a level is kept whole).
        mutating func summarise(_ block: [UInt32],
                                forward: Forward<T>,
                                into out: inout TermBlocks<T>) {
            // The block's terms and their maxima, without branches: a term is appended every
            // time and kept only the first time (its stamp is not yet this block's).
            stampOfBlock &+= 1
            let stamp = stampOfBlock
            var length = 0
            for d in block { length += Int(forward.offsets[Int(d) + 1] - forward.offsets[Int(d)]) }
            if touched.count < length { touched = [UInt32](repeating: 0, count: length) }
            var distinct = 0
            touched.withUnsafeMutableBufferPointer { touched in
                maxima.withUnsafeMutableBufferPointer { maxima in
                    stamps.withUnsafeMutableBufferPointer { stamps in
                        // The block's documents are scattered in a forward index far larger than
                        // the caches: the next one's entries are fetched while one is read.
                        Self.prefetchEntries(of: block[0], forward)
                        for (i, d) in block.enumerated() {
                            if i &+ 1 < block.count { Self.prefetchEntries(of: block[i &+ 1], forward) }
                            for e in Int(forward.offsets[Int(d)])..<Int(forward.offsets[Int(d) + 1]) {
                                let u = Int(forward.terms[e])
                                maxima[u] = max(maxima[u], forward.weights[e])
                                touched[distinct] = UInt32(u)
                                distinct &+= stamps[u] != stamp ? 1 : 0
                                stamps[u] = stamp
                            }
                        }
                    }
                }
            }
            var top: Float = 0
            var mass: Double = 0
            for u in touched[0..<distinct] {
                top = max(top, maxima[Int(u)])
                mass += Double(maxima[Int(u)])
            }
            let scale = RangeIndex.scale(maxWeight: top)
            if levels.count < distinct { levels = [UInt8](repeating: 0, count: touched.count) }
            let summaryMass = settings.summaryMass
            levels.withUnsafeMutableBufferPointer { levels in
                maxima.withUnsafeBufferPointer { maxima in
                    touched.withUnsafeBufferPointer { touched in
                        levelMass.withUnsafeMutableBufferPointer { levelMass in
                            for i in 0..<distinct { levels[i] = RangeIndex.quantise(maxima[Int(touched[i])], scale: scale) }
                            guard summaryMass < 1 else { return }
                            for i in 0..<256 { levelMass[i] = 0 }
                            for i in 0..<distinct { levelMass[Int(levels[i])] += Double(maxima[Int(touched[i])]) }
                        }
                    }
                }
            }
            var cutoff: UInt8 = 0
            if settings.summaryMass < 1 {
                var sum: Double = 0
                var level = 255
                while level > 0 {
                    sum += levelMass[level]
                    if sum >= settings.summaryMass * mass { break }
                    level -= 1
                }
                cutoff = UInt8(level)
            }
            // The kept entries in increasing term order: marked in a bitmap of the terms, which
            // is then read word by word (cheaper than sorting them, as long as the vocabulary is
            // not much larger than a block's terms), else sorted.
            var kept = 0
            if orderByBitmap {
                if chosenTerms.count < distinct { chosenTerms = [T](repeating: 0, count: touched.count) }
                if chosenLevels.count < distinct { chosenLevels = [UInt8](repeating: 0, count: touched.count) }
                kept = bitmap.withUnsafeMutableBufferPointer { bitmap in
                    levelOf.withUnsafeMutableBufferPointer { levelOf in
                        var low = Int.max, high = -1, n = 0
                        for i in 0..<distinct where levels[i] >= cutoff {
                            let u = Int(touched[i])
                            bitmap[u &>> 6] |= 1 &<< UInt64(u & 63)
                            levelOf[u] = levels[i]
                            low = min(low, u &>> 6)
                            high = max(high, u &>> 6)
                            n &+= 1
                        }
                        guard n > 0 else { return 0 }
                        n = 0
                        chosenTerms.withUnsafeMutableBufferPointer { terms in
                            chosenLevels.withUnsafeMutableBufferPointer { out in
                                for w in low...high {
                                    var bits = bitmap[w]
                                    bitmap[w] = 0
                                    while bits != 0 {
                                        let u = w &<< 6 | bits.trailingZeroBitCount
                                        terms[n] = T(truncatingIfNeeded: u)
                                        out[n] = levelOf[u]
                                        n &+= 1
                                        bits &= bits &- 1
                                    }
                                }
                            }
                        }
                        return n
                    }
                }
            } else {
                chosen.removeAll(keepingCapacity: true)
                for i in 0..<distinct where levels[i] >= cutoff { chosen.append((touched[i], levels[i])) }
                chosen.sort { $0.term < $1.term }
                kept = chosen.count
                if chosenTerms.count < kept { chosenTerms = [T](repeating: 0, count: touched.count) }
                if chosenLevels.count < kept { chosenLevels = [UInt8](repeating: 0, count: touched.count) }
                for (i, entry) in chosen.enumerated() {
                    chosenTerms[i] = T(entry.term)
                    chosenLevels[i] = entry.level
                }
            }
            out.summaryTerms.append(contentsOf: chosenTerms[0..<kept])
            out.summaryWeights.append(contentsOf: chosenLevels[0..<kept])
            out.summaryOffsets.append(UInt64(out.entryBase + out.summaryTerms.count))
            out.summaryScales.append(scale)
            for u in touched[0..<distinct] { maxima[Int(u)] = 0 }
        }
    }

    /// The sections the layout is stored as, in file order.
    var sections: [SectionSource] {
        let termTag = wide ? SegmentFiles.forwardTerms32 : SegmentFiles.forwardTerms16
        let summaryTag = wide ? SegmentFiles.summaryTerms32 : SegmentFiles.summaryTerms16
        return [SectionSource(SegmentFiles.forwardOffsets, documentOffsets)]
            + (forwardTerms ? [wide ? SectionSource(termTag, documentTerms.bindMemory(to: UInt32.self))
                                    : SectionSource(termTag, documentTerms.bindMemory(to: UInt16.self))] : [])
            + [SectionSource(SegmentFiles.forwardWeights, documentWeights)]
            + (compact.map { [SectionSource(SegmentFiles.compactOffsets, $0.offsets),
                              SectionSource(SegmentFiles.compactRecords, $0.records.bindMemory(to: UInt8.self))]
                             + ($0.order.map { [SectionSource(SegmentFiles.compactOrder, $0)] } ?? []) } ?? [])
            + [SectionSource(SegmentFiles.termBlocks, termBlocks),
                SectionSource(SegmentFiles.clusterBlockOffsets, blockOffsets),
                SectionSource(SegmentFiles.clusterBlockDocs, blockDocs)]
            + (blockRecords.map { [SectionSource(SegmentFiles.clusterBlockRecords, $0)] } ?? [])
            + [SectionSource(SegmentFiles.summaryOffsets, summaryOffsets)]
            + (summariesByBlock ? [wide ? SectionSource(summaryTag, summaryTerms.bindMemory(to: UInt32.self))
                                        : SectionSource(summaryTag, summaryTerms.bindMemory(to: UInt16.self)),
                                   SectionSource(SegmentFiles.summaryWeights, summaryWeights)] : [])
            + [SectionSource(SegmentFiles.summaryScales, summaryScales)]
            + (byTerm.map { byTerm in
                [SectionSource(SegmentFiles.termSummaryLists, byTerm.lists),
                 wide ? SectionSource(SegmentFiles.termSummaryTerms32, byTerm.terms.bindMemory(to: UInt32.self))
                      : SectionSource(SegmentFiles.termSummaryTerms16, byTerm.terms.bindMemory(to: UInt16.self)),
                 SectionSource(SegmentFiles.termSummaryRuns, byTerm.runs),
                 byTerm.entryWidth == 2 ? SectionSource(SegmentFiles.termSummaryEntries, byTerm.entries.bindMemory(to: UInt16.self))
                                        : SectionSource(SegmentFiles.termSummaryEntries, byTerm.entries.bindMemory(to: UInt32.self))] } ?? [])
    }

    /// Maps the layout from a clusters file and checks its structure (per term, block and
    /// document; per entry only when `checkEntries`, that is when no checksum vouches for them).
    static func open(_ file: MappedFile, postings: PostingLists, documents: Int, checkEntries: Bool) throws -> ClusteredIndex {
        let wide = isWide(termCount: postings.termCount)
        func raw(_ tag16: FourCC, _ tag32: FourCC) throws -> UnsafeRawBufferPointer {
            wide ? UnsafeRawBufferPointer(try file.section(tag32, as: UInt32.self))
                 : UnsafeRawBufferPointer(try file.section(tag16, as: UInt16.self))
        }
        let summaryTag = wide ? SegmentFiles.summaryTerms32 : SegmentFiles.summaryTerms16
        // Summaries by block are absent from layouts that store them only by term.
        let byBlock = file.hasSection(summaryTag) || file.hasSection(SegmentFiles.summaryWeights)
            || !file.hasSection(SegmentFiles.termSummaryLists)
        let entryWidth = file.elementSize(of: SegmentFiles.termSummaryEntries) == 2 ? 2 : 4
        // The forward index's own terms are absent from layouts whose compact records hold them.
        let forwardTerms = file.hasSection(wide ? SegmentFiles.forwardTerms32 : SegmentFiles.forwardTerms16)
            || !file.hasSection(SegmentFiles.compactOffsets)
        let c = ClusteredIndex(
            wide: wide, documentOffsets: try file.section(SegmentFiles.forwardOffsets, as: UInt64.self),
            documentTerms: forwardTerms ? try raw(SegmentFiles.forwardTerms16, SegmentFiles.forwardTerms32) : UnsafeRawBufferPointer(start: nil, count: 0),
            documentWeights: try file.section(SegmentFiles.forwardWeights, as: Float.self),
            termBlocks: try file.section(SegmentFiles.termBlocks, as: UInt64.self),
            blockOffsets: try file.section(SegmentFiles.clusterBlockOffsets, as: UInt64.self),
            blockDocs: try file.section(SegmentFiles.clusterBlockDocs, as: UInt32.self),
            summaryOffsets: try file.section(SegmentFiles.summaryOffsets, as: UInt64.self),
            summaryTerms: byBlock ? try raw(SegmentFiles.summaryTerms16, SegmentFiles.summaryTerms32) : UnsafeRawBufferPointer(start: nil, count: 0),
            summaryWeights: byBlock ? try file.section(SegmentFiles.summaryWeights, as: UInt8.self) : UnsafeBufferPointer(start: nil, count: 0),
            summaryScales: try file.section(SegmentFiles.summaryScales, as: Float.self),
            compact: file.hasSection(SegmentFiles.compactOffsets)
                ? Compact(offsets: try file.section(SegmentFiles.compactOffsets, as: UInt64.self),
                          records: UnsafeRawBufferPointer(try file.section(SegmentFiles.compactRecords, as: UInt8.self)),
                          order: file.hasSection(SegmentFiles.compactOrder) ? try file.section(SegmentFiles.compactOrder, as: UInt32.self) : nil)
                : nil,
            blockRecords: file.hasSection(SegmentFiles.clusterBlockRecords)
                ? try file.section(SegmentFiles.clusterBlockRecords, as: UInt32.self) : nil,
            byTerm: file.hasSection(SegmentFiles.termSummaryLists)
                ? SummariesByTerm(lists: try file.section(SegmentFiles.termSummaryLists, as: UInt64.self),
                                  terms: try raw(SegmentFiles.termSummaryTerms16, SegmentFiles.termSummaryTerms32),
                                  runs: try file.section(SegmentFiles.termSummaryRuns, as: UInt32.self),
                                  entries: entryWidth == 2 ? UnsafeRawBufferPointer(try file.section(SegmentFiles.termSummaryEntries, as: UInt16.self))
                                                           : UnsafeRawBufferPointer(try file.section(SegmentFiles.termSummaryEntries, as: UInt32.self)),
                                  entryWidth: entryWidth)
                : nil,
            summariesByBlock: byBlock, forwardTerms: forwardTerms)
        let width = wide ? 4 : 2
        let path = file.path
        try IndexDirectory.expect(c.documentOffsets.count == documents + 1, path, "forward index does not hold \(documents) documents")
        try IndexDirectory.checkOffsets(c.documentOffsets, total: postings.docs.count, path: path, what: "forward index")
        try IndexDirectory.expect(c.documentTerms.count == (forwardTerms ? postings.docs.count * width : 0)
                                  && c.documentWeights.count == postings.docs.count,
                                  path, "forward index does not hold the segment's \(postings.docs.count) postings")
        if let compact = c.compact {
            try IndexDirectory.expect(compact.offsets.count == documents + 1, path, "compact forward index does not hold \(documents) documents")
            try IndexDirectory.expect(compact.order.map { $0.count == documents } ?? true, path,
                                      "compact record order does not hold \(documents) documents")
            // The records follow one another in their order (each document once), and each
            // one's size follows from the forward index, so a search reading a record's count and
            // entries stays inside it.
            var seen = compact.order == nil ? [] : [UInt64](repeating: 0, count: (documents + 63) / 64)
            var at = 0
            for i in 0..<documents {
                let d = compact.order.map { Int($0[i]) } ?? i
                if compact.order != nil {
                    guard d < documents && seen[d >> 6] & (1 << UInt64(d & 63)) == 0 else {
                        throw IndexError.corrupt(path: path, "compact record order names document \(d) twice or past the segment's \(documents)")
                    }
                    seen[d >> 6] |= 1 << UInt64(d & 63)
                }
                let m = Int(c.documentOffsets[d + 1] - c.documentOffsets[d])
                let size = Compact.recordSize(entries: m, termWidth: width)
                guard Int(compact.offsets[d]) == at && at + size <= compact.records.count,
                      Int(UInt32(littleEndian: compact.records.loadUnaligned(fromByteOffset: at, as: UInt32.self))) == m
                else { throw IndexError.corrupt(path: path, "compact forward record of document \(d) does not match its \(m) entries") }
                at += size
            }
            try IndexDirectory.expect(Int(compact.offsets[documents]) == at && at == compact.records.count, path,
                                      "compact forward records do not fill their section")
        }
        try IndexDirectory.expect(c.termBlocks.count == postings.termCount + 1, path, "block table does not cover every term")
        if let records = c.blockRecords {
            try IndexDirectory.expect(c.compact != nil && records.count == c.blockDocs.count, path,
                                      "block record starts do not match the blocks' documents")
        }
        let blocks = c.summaryScales.count
        try IndexDirectory.checkOffsets(c.termBlocks, total: blocks, path: path, what: "term block")
        try IndexDirectory.expect(c.blockOffsets.count == blocks + 1 && c.summaryOffsets.count == blocks + 1, path,
                                  "block tables do not hold \(blocks) blocks")
        try IndexDirectory.checkOffsets(c.blockOffsets, total: c.blockDocs.count, path: path, what: "block")
        let entries = byBlock ? c.summaryWeights.count : c.byTerm!.entryCount
        try IndexDirectory.checkOffsets(c.summaryOffsets, total: entries, path: path, what: "summary")
        try IndexDirectory.expect(c.summaryTerms.count == c.summaryWeights.count * width, path, "summary tables differ in length")
        if let byTerm = c.byTerm {
            try IndexDirectory.expect(byTerm.lists.count == postings.termCount + 1, path, "summaries by term do not cover every term")
            try IndexDirectory.checkOffsets(byTerm.lists, total: byTerm.runs.count, path: path, what: "summary-by-term list")
            try IndexDirectory.expect(byTerm.terms.count == byTerm.runs.count * width && byTerm.entryCount == entries,
                                      path, "summaries by term do not hold the summaries' entries")
            // Two-byte entries name at most 256 blocks: a list with more would be misread.
            try IndexDirectory.expect(byTerm.entryWidth == 4 || (0..<postings.termCount).allSatisfy {
                c.termBlocks[$0 + 1] - c.termBlocks[$0] <= UInt64(SummariesByTerm.narrowBlocks) }, path,
                "summaries by term have 2-byte entries but a list has more than \(SummariesByTerm.narrowBlocks) blocks")
        }
        if checkEntries {
            // Every number a search follows must stay inside its buffer.
            let limit = postings.termCount
            func termsInRange<T: FixedWidthInteger>(_ raw: UnsafeRawBufferPointer, _: T.Type) -> Bool {
                raw.bindMemory(to: T.self).allSatisfy { Int($0) < limit }
            }
            func compactTermsInRange<T: FixedWidthInteger>(_: T.Type) -> Bool {
                guard let compact = c.compact else { return true }
                for d in 0..<documents {
                    let at = Int(compact.offsets[d]) + 8
                    for i in 0..<Int(c.documentOffsets[d + 1] - c.documentOffsets[d]) {
                        if Int(T(littleEndian: compact.records.loadUnaligned(fromByteOffset: at + i * width, as: T.self))) >= limit { return false }
                    }
                }
                return true
            }
            let termsOK = wide ? termsInRange(c.documentTerms, UInt32.self) && termsInRange(c.summaryTerms, UInt32.self)
                                 && compactTermsInRange(UInt32.self)
                               : termsInRange(c.documentTerms, UInt16.self) && termsInRange(c.summaryTerms, UInt16.self)
                                 && compactTermsInRange(UInt16.self)
            try IndexDirectory.expect(termsOK, path, "a forward-index or summary entry names a term past the segment's \(limit)")
            try IndexDirectory.expect(c.blockDocs.allSatisfy { Int($0) < documents }, path,
                                      "a block names a document past the segment's \(documents)")
            if let records = c.blockRecords, let compact = c.compact {
                try IndexDirectory.expect(zip(records, c.blockDocs).allSatisfy { UInt64($0) * 4 == compact.offsets[Int($1)] }, path,
                                          "a block's record start is not its document's compact record")
            }
            if let byTerm = c.byTerm {
                let problem = wide ? byTerm.problem(in: c, termCount: limit, as: UInt32.self)
                                   : byTerm.problem(in: c, termCount: limit, as: UInt16.self)
                if let problem { throw IndexError.corrupt(path: path, problem) }
            }
        }
        return c
    }
}
