import Foundation

/// The contents of an index directory's `meta.json`: what a reader needs before touching a segment.
///
/// `meta.json` is the commit point. A build writes new segment files first and then replaces
/// `meta.json` atomically; files it does not name are garbage from an interrupted build.
public struct IndexMeta: Codable, Sendable, Equatable {
    /// Always `"sparrow-index"`; tells a Sparrow index from other JSON.
    public var format: String
    /// The format version the index was written in.
    public var formatVersion: Int
    /// The oldest reader format version that can read this index.
    public var minReaderVersion: Int
    /// How postings are encoded (`raw-f32`: u32 document numbers and f32 weights).
    public var codec: String
    public var documents: Int
    public var terms: Int
    public var postings: Int
    public var segments: [SegmentMeta]
    /// The program that wrote the index.
    public var createdBy: String
    /// Postings per block of the block-max table (absent in format 1, whose table is computed on open).
    public var blockSize: Int?
    /// Documents per BMP range; absent or 0 when the index has no range index.
    public var rangeSize: Int?
    /// How documents were numbered (``BuildOptions/Reorder``); absent means input order.
    public var reorder: String?
    /// For an index built from text: how its weights were made. Absent for a sparse-vector index.
    public var text: TextWeighting?
    /// For an index whose vectors Sparrow encoded itself: the encoder. Absent otherwise.
    public var encoder: EncoderInfo?
    /// The last write-ahead-log operation this commit contains (absent: none, as in a built index).
    public var opstamp: UInt64?
    /// How segments with the clustered layout are built; absent when the collection has none.
    public var clustered: ClusterSettings?

    public struct SegmentMeta: Codable, Sendable, Equatable {
        /// File name stem: the segment's files are `NAME.postings`, `NAME.terms`, `NAME.docs`.
        public var name: String
        /// Documents in the segment's files, deleted ones included.
        public var documents: Int
        public var terms: Int
        public var postings: Int
        /// How many of its documents are deleted (absent: none).
        public var deleted: Int?
        /// The generation of its deletion file `NAME.GEN.del` (absent when nothing is deleted).
        public var deletionGeneration: Int?

        public init(name: String, documents: Int, terms: Int, postings: Int, deleted: Int? = nil,
                    deletionGeneration: Int? = nil) {
            self.name = name
            self.documents = documents
            self.terms = terms
            self.postings = postings
            self.deleted = deleted
            self.deletionGeneration = deletionGeneration
        }

        /// Documents not deleted.
        public var liveDocuments: Int { documents - (deleted ?? 0) }
    }

    /// The collection-wide settings this metadata records.
    public var settings: IndexSettings {
        IndexSettings(blockSize: blockSize ?? BlockMaxTable.defaultBlockSize, rangeSize: rangeSize ?? 0,
                      reorder: reorder.flatMap(BuildOptions.Reorder.init(rawValue:)) ?? .none,
                      clustered: clustered, text: text, encoder: encoder)
    }

    /// The metadata of a commit of `segments` with `settings`.
    public init(settings: IndexSettings, segments: [SegmentMeta], opstamp: UInt64?) {
        let live = segments.reduce(0) { $0 + $1.liveDocuments }
        // A reader of format 2 understands one segment without deletions; anything else needs 3.
        let simple = segments.count == 1 && (segments[0].deleted ?? 0) == 0
        self.init(format: Self.formatName, formatVersion: Self.currentVersion,
                  minReaderVersion: simple ? Int(FileFormat.version) : Self.segmentsVersion,
                  codec: Self.currentCodec, documents: live, terms: segments.reduce(0) { $0 + $1.terms },
                  postings: segments.reduce(0) { $0 + $1.postings }, segments: segments,
                  createdBy: IndexDirectory.writerName, blockSize: settings.blockSize, rangeSize: settings.rangeSize,
                  reorder: settings.reorder.rawValue, text: settings.text, encoder: settings.encoder, opstamp: opstamp)
        self.clustered = settings.clustered
        // Older readers know nothing of the clustered layout, and would search without it; those
        // of version 3 would take records in block order for a corrupt file.
        if let clustered = settings.clustered { minReaderVersion = clustered.recordsByBlock ? Self.currentVersion : Self.segmentsVersion }
    }

    public init(format: String, formatVersion: Int, minReaderVersion: Int, codec: String, documents: Int, terms: Int,
                postings: Int, segments: [SegmentMeta], createdBy: String, blockSize: Int?, rangeSize: Int?,
                reorder: String?, text: TextWeighting?, encoder: EncoderInfo?, opstamp: UInt64?) {
        self.format = format
        self.formatVersion = formatVersion
        self.minReaderVersion = minReaderVersion
        self.codec = codec
        self.documents = documents
        self.terms = terms
        self.postings = postings
        self.segments = segments
        self.createdBy = createdBy
        self.blockSize = blockSize
        self.rangeSize = rangeSize
        self.reorder = reorder
        self.text = text
        self.encoder = encoder
        self.opstamp = opstamp
    }

    public static let formatName = "sparrow-index"
    public static let fileName = "meta.json"
    public static let currentCodec = "raw-f32"
    /// The version of `meta.json` this build writes: 3 lists any number of segments, each with
    /// its deletions; 4 adds clustered layouts whose compact records are in block order
    /// (``ClusterSettings/recordsByBlock``). Segment files are still of ``FileFormat/version``.
    public static let currentVersion = 4
    /// The version a reader needs for several segments, deletions or a clustered layout with its
    /// records in document order.
    static let segmentsVersion = 3
}

/// What holds for every segment of a collection: how its tables are built and what its weights mean.
public struct IndexSettings: Sendable, Equatable {
    /// Postings per block of the block-max table.
    public var blockSize: Int
    /// Documents per BMP range (0: no range index).
    public var rangeSize: Int
    /// How each segment numbers its documents.
    public var reorder: BuildOptions.Reorder
    /// The clustered layout for approximate search, built for segments of at least
    /// ``ClusterSettings/minDocuments`` documents; nil: none.
    public var clustered: ClusterSettings?
    /// For a text (BM25) collection: the analyzer, k1, b, and the statistics of the live documents.
    public var text: TextWeighting?
    /// For a collection whose vectors Sparrow encodes: the encoder.
    public var encoder: EncoderInfo?

    public init(blockSize: Int = BlockMaxTable.defaultBlockSize, rangeSize: Int = 0, reorder: BuildOptions.Reorder = .none,
                clustered: ClusterSettings? = nil, text: TextWeighting? = nil, encoder: EncoderInfo? = nil) {
        self.blockSize = blockSize
        self.rangeSize = rangeSize
        self.reorder = reorder
        self.clustered = clustered
        self.text = text
        self.encoder = encoder
    }

    /// The settings of an index built with `options`.
    public init(_ options: BuildOptions, text: TextWeighting? = nil, encoder: EncoderInfo? = nil) {
        self.init(blockSize: options.blockSize, rangeSize: options.rangeSize, reorder: options.reorder,
                  clustered: options.clustered, text: text, encoder: encoder)
    }

    /// The build options every segment of the collection is built with.
    public var buildOptions: BuildOptions {
        BuildOptions(blockSize: blockSize, rangeSize: rangeSize, reorder: reorder, clustered: clustered)
    }

    /// A sentence naming the first invalid setting, or nil when all are valid.
    public var problem: String? {
        if text != nil && clustered != nil { return Self.textClusteredProblem }
        return buildOptions.problem
    }

    /// Why a text collection cannot have the clustered layout.
    public static let textClusteredProblem = "the clustered layout is for sparse vectors: a text (BM25) collection's "
        + "weights change as documents come and go, so it is searched exactly (index vectors, or text with --encoder)"

    /// Whether a segment of `documents` documents has the clustered layout.
    public func hasClusters(documents: Int) -> Bool { clustered?.applies(toDocuments: documents) ?? false }
}

/// How the weights of an index built from text were computed, so that queries can be analysed
/// and weighted the same way, and so a reader can tell what the scores mean.
public struct TextWeighting: Codable, Sendable, Equatable {
    /// The weighting model; `bm25` (Lucene's BM25, the only one so far).
    public var model: String
    /// The analyzer's settings, as the text library encodes them (`tokenizer`, `stemmer`, …).
    public var analyzer: [String: String]
    public var k1: Double
    public var b: Double
    /// Documents with at least one term (Lucene's `docCount`, the N of idf).
    public var documentsWithTerms: Int
    /// Term occurrences over all documents (Lucene's `sumTotalTermFreq`).
    public var totalTermCount: Int
    /// `totalTermCount / documentsWithTerms`, as the scores used it.
    public var averageLength: Double

    public init(model: String, analyzer: [String: String], k1: Double, b: Double, documentsWithTerms: Int,
                totalTermCount: Int, averageLength: Double) {
        self.model = model
        self.analyzer = analyzer
        self.k1 = k1
        self.b = b
        self.documentsWithTerms = documentsWithTerms
        self.totalTermCount = totalTermCount
        self.averageLength = averageLength
    }
}

/// The learned sparse encoder that made an index's document vectors, so that a query encoder with
/// another vocabulary can be refused.
public struct EncoderInfo: Codable, Sendable, Equatable {
    /// `splade`.
    public var kind: String
    /// The model directory as given when the index was built.
    public var model: String
    /// Word pieces per document, `[CLS]` and `[SEP]` included.
    public var maxLength: Int
    public var vocabularySize: Int
    /// FNV-1a 64 of the vocabulary's tokens in id order, each followed by a newline.
    public var vocabularyFingerprint: String

    public init(kind: String, model: String, maxLength: Int, vocabularySize: Int, vocabularyFingerprint: String) {
        self.kind = kind
        self.model = model
        self.maxLength = maxLength
        self.vocabularySize = vocabularySize
        self.vocabularyFingerprint = vocabularyFingerprint
    }
}

/// The files of one segment, by role.
enum SegmentFiles {
    static let postings = (suffix: "postings", kind: FourCC("POST"))
    static let terms = (suffix: "terms", kind: FourCC("TERM"))
    static let docs = (suffix: "docs", kind: FourCC("DOCS"))
    /// Present only when the index has a BMP range index.
    static let ranges = (suffix: "ranges", kind: FourCC("RNGS"))
    /// Present only in an index built from text: term frequencies and document lengths.
    static let frequencies = (suffix: "freqs", kind: FourCC("FREQ"))
    /// Present only in a segment with the clustered layout (``ClusteredIndex``).
    static let clusters = (suffix: "clusters", kind: FourCC("CLUS"))
    /// The files a segment consists of, given its optional parts.
    static func present(ranges hasRanges: Bool, frequencies hasFrequencies: Bool,
                        clusters hasClusters: Bool = false) -> [(suffix: String, kind: FourCC)] {
        [postings, terms, docs] + (hasRanges ? [ranges] : []) + (hasFrequencies ? [frequencies] : [])
            + (hasClusters ? [clusters] : [])
    }

    // Section tags.
    static let postingOffsets = FourCC("OFFS")
    static let postingDocs = FourCC("DOCS")
    static let postingWeights = FourCC("WGHT")
    static let maxWeights = FourCC("MAXW")
    static let termOffsets = FourCC("TOFF")
    static let termBytes = FourCC("TBYT")
    static let idOffsets = FourCC("IOFF")
    static let idBytes = FourCC("IBYT")
    static let textOffsets = FourCC("XOFF")
    static let textBytes = FourCC("XBYT")
    static let blockOffsets = FourCC("BOFF")
    static let blockLastDocs = FourCC("BLST")
    static let blockMaxWeights = FourCC("BMAX")
    static let rangeTermOffsets = FourCC("RTOF")
    static let rangeTermRanges = FourCC("RTRG")
    static let rangeTermMax = FourCC("RTMX")
    static let rangeTermScale = FourCC("RTSC")
    static let rangeTermStarts = FourCC("RTST")
    static let rangeEntryOffsets = FourCC("REOF")
    static let rangePostingOffsets = FourCC("RPOF")
    static let rangeEntryTerms = FourCC("RETM")
    static let rangeEntryStarts = FourCC("REST")
    static let rangePostingDocs = FourCC("RPDC")
    static let rangePostingWeights = FourCC("RPWT")
    static let idOrder = FourCC("ISRT")
    static let termFrequencies = FourCC("TFRQ")
    static let documentLengths = FourCC("DLEN")
    static let forwardOffsets = FourCC("FOFF")
    static let forwardTerms16 = FourCC("FT16")
    static let forwardTerms32 = FourCC("FT32")
    static let forwardWeights = FourCC("FWGT")
    static let compactOffsets = FourCC("FQOF")
    static let compactRecords = FourCC("FQRC")
    static let compactOrder = FourCC("FQOR")
    static let termBlocks = FourCC("CTBL")
    static let clusterBlockOffsets = FourCC("CBOF")
    static let clusterBlockDocs = FourCC("CBDC")
    static let clusterBlockRecords = FourCC("CBRO")
    static let summaryOffsets = FourCC("CSOF")
    static let summaryTerms16 = FourCC("CS16")
    static let summaryTerms32 = FourCC("CS32")
    static let summaryWeights = FourCC("CSWT")
    static let summaryScales = FourCC("CSSC")
    static let termSummaryLists = FourCC("CXLO")
    static let termSummaryTerms16 = FourCC("CX16")
    static let termSummaryTerms32 = FourCC("CX32")
    static let termSummaryRuns = FourCC("CXRS")
    static let termSummaryEntries = FourCC("CXEN")
}

/// `meta.json` carries its own checksum, so a damaged byte anywhere in it is detected:
/// `{"crc32":"XXXXXXXX","meta":BODY}` and a newline, where `BODY` is the encoded ``IndexMeta`` and
/// the CRC-32 covers exactly its bytes. The file stays plain JSON for people and tools.
enum MetaEnvelope {
    static let prefix = Array(#"{"crc32":""#.utf8)
    static let middle = Array(#"","meta":"#.utf8)
    static let suffix = Array("}\n".utf8)

    static func wrap(_ body: [UInt8]) -> [UInt8] {
        let crc = body.withUnsafeBytes { MappedFile.checksum($0, count: $0.count) }
        return prefix + Array(hex(crc).dropFirst(2).utf8) + middle + body + suffix
    }

    static func unwrap(_ bytes: [UInt8], path: String) throws -> ArraySlice<UInt8> {
        let head = prefix.count + 8 + middle.count
        guard bytes.count >= head + suffix.count,
            bytes[0..<prefix.count].elementsEqual(prefix),
            bytes[(prefix.count + 8)..<head].elementsEqual(middle),
            bytes[(bytes.count - suffix.count)...].elementsEqual(suffix),
            let stored = UInt32(String(decoding: bytes[prefix.count..<(prefix.count + 8)], as: UTF8.self), radix: 16)
        else {
            throw IndexError(.notAnIndex, path: path, "is not Sparrow index metadata (unexpected layout)")
        }
        let body = bytes[head..<(bytes.count - suffix.count)]
        let actual = body.withUnsafeBytes { MappedFile.checksum($0, count: $0.count) }
        guard actual == stored else {
            throw IndexError.corrupt(path: path, "checksum mismatch (stored \(hex(stored)), computed \(hex(actual)))")
        }
        return body
    }
}
