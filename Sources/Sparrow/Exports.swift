// The façade re-exports the value types users need, so `import Sparrow` is enough.
@_exported import SparrowCore
@_exported import SparrowFormats
import SparrowIndex
import SparrowQuery

/// Why an index could not be built, opened or read. See ``SparrowIndex/IndexError``.
public typealias IndexError = SparrowIndex.IndexError
/// The query algorithms; all return the exact top-k.
public typealias Algorithm = SparrowQuery.Algorithm
/// The result of ``SearchIndex/check(at:)``.
public typealias IndexCheckReport = SparrowIndex.IndexCheckReport
/// The contents of an index's `meta.json`.
public typealias IndexMeta = SparrowIndex.IndexMeta
/// Build-time choices: block size, BMP range size, document reordering.
public typealias BuildOptions = SparrowIndex.BuildOptions
/// Query-time knobs of approximate search (clustered layout, BMP's α and β), and the recall presets.
public typealias Approximation = SparrowQuery.Approximation
/// How the clustered layout for approximate search is built.
public typealias ClusterSettings = SparrowIndex.ClusterSettings
/// Work counters of one query.
public typealias QueryStats = SparrowQuery.QueryStats
@_exported import SparrowText
@_exported import SparrowEval
/// What holds for every segment of a collection: block and range sizes, ordering, text weighting, encoder.
public typealias IndexSettings = SparrowIndex.IndexSettings
/// How an index built from text weighs it (BM25 settings and live statistics).
public typealias TextWeighting = SparrowIndex.TextWeighting
/// The encoder that made an index's vectors.
public typealias EncoderInfo = SparrowIndex.EncoderInfo
/// A document ready to be written to a collection.
public typealias PreparedDocument = SparrowIndex.PreparedDocument
/// When a live collection's write-ahead log is forced to disk.
public typealias FsyncPolicy = SparrowIndex.FsyncPolicy
/// The BM25 statistics of a collection, shared by the shards of a sharded text collection.
public typealias CorpusStatistics = SparrowIndex.CorpusStatistics
