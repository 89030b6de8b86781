#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SparrowCore

/// A full consistency check of an index, for `sparrow check`.
public struct IndexCheckReport: Sendable {
    /// Files that were checked, with their sizes in bytes.
    public var files: [(name: String, bytes: Int)] = []
    /// Problems found; empty means the index is sound.
    public var problems: [String] = []
    public var isSound: Bool { problems.isEmpty }
}

extension IndexDirectory {
    /// Verifies every checksum and every structural invariant of the index at `path`: posting
    /// lists strictly increasing and within the document count, weights finite and non-negative,
    /// per-list maxima exact, vocabulary sorted and unique, ids unique, strings valid UTF-8.
    /// Reads every byte; never throws for a damaged index, reporting the damage instead.
    public static func check(_ path: String) -> IndexCheckReport {
        var report = IndexCheckReport()
        let opened: (meta: IndexMeta, segments: [StoredSegment])
        do {
            let meta = try readMeta(path)
            for name in files(of: meta) { report.files.append((path + "/" + name, Posix.fileSize(path + "/" + name))) }
            opened = try open(path, verifyChecksums: true)
        } catch {
            report.problems.append("\(error)")
            return report
        }
        // A live id may appear once in the whole collection; deleted copies may remain.
        var liveIDs = Set<ExactString>()
        for stored in opened.segments {
            let before = report.problems.count
            check(stored.segment, clustered: opened.meta.clustered, scratchDirectory: path, into: &report)
            for d in 0..<stored.segment.documentCount where !(stored.deletions?.contains(d) ?? false) {
                let id = stored.segment.documentIDs.string(at: d)
                if !liveIDs.insert(ExactString(id)).inserted {
                    report.problems.append("document id \"\(id)\" is live in two places")
                    break
                }
            }
            for i in before..<report.problems.count { report.problems[i] = "segment \(stored.meta.name): " + report.problems[i] }
        }
        let log = path + "/" + WriteAheadLog.fileName
        if Posix.fileExists(log).exists {
            report.files.append((log, Posix.fileSize(log)))
            do {
                let scan = try WriteAheadLog.scan(path: log)
                if let tail = scan.tornTail {
                    report.problems.append("\(log): \(tail) (the next writer truncates it there)")
                }
            } catch {
                report.problems.append("\(error)")
            }
        }
        return report
    }

    /// The structural invariants of one segment.
    ///
    /// A clustered layout is rebuilt with its forward index in scratch files in
    /// `scratchDirectory` when it is given and writable (as a merge builds it), else on the heap.
    static func check(_ segment: Segment, clustered settings: ClusterSettings? = nil, scratchDirectory: String? = nil,
                      into report: inout IndexCheckReport) {
        let n = segment.documentCount
        let p = segment.postings
        for t in 0..<p.termCount {
            let r = p.range(of: TermID(t))
            var previous: Int64 = -1
            var maximum: Float = 0
            for i in r {
                let d = Int64(p.docs[i])
                let w = p.weights[i]
                if d <= previous || d >= Int64(n) {
                    report.problems.append("posting list of term \(t) (\(segment.vocabulary.string(at: t))): document \(d) out of order or beyond \(n) documents")
                    break
                }
                if !(w.isFinite && w >= 0) {
                    report.problems.append("posting list of term \(t): weight \(w) is not finite and non-negative")
                    break
                }
                maximum = max(maximum, w)
                previous = d
            }
            if maximum != p.maxWeights[t] {
                report.problems.append("term \(t): stored maximum weight \(p.maxWeights[t]) differs from the list's \(maximum)")
            }
            if report.problems.count > 20 { break }
        }
        // Derived tables must equal what a fresh computation from the postings gives.
        if report.problems.isEmpty {
            let scratch = HeapStorage()
            let b = BlockMaxTable.build(p, blockSize: segment.blockMax.blockSize, storage: scratch)
            if !same(b.sections, segment.blockMax.sections) {
                report.problems.append("block-max table differs from the posting lists")
            }
            if let stored = segment.ranges {
                // Produced in windows and compared as it streams: a large index is checked
                // without a second copy of its range index in memory.
                let comparison = SectionComparison(stored.sections)
                let plan = RangeIndex.Plan(p, documentCount: n, rangeSize: stored.rangeSize)
                if (try? plan.write(p, to: comparison, windowPostings: 1 << 24)) == nil || !comparison.matches {
                    report.problems.append("range index differs from the posting lists")
                }
            }
            if let stored = segment.clusters {
                // The layout is a function of the postings and the settings (its choices are
                // seeded), so a fresh build must give the same bytes.
                if let settings {
                    // With the optional sections the file has: files of earlier releases have the
                    // forward index's own terms, and those of the release that introduced
                    // summaries by term store them by block as well, with 4-byte entries. (Only
                    // settings with summaries by term may have them.)
                    var sections = stored.storage
                    if !settings.summariesByTerm { (sections.summariesByBlock, sections.byTermEntryWidth) = (true, nil) }
                    // Compared as it is produced, holding no second copy of the layout. Files of
                    // earlier releases lack the sections added since (the compact forward index
                    // and the blocks' record starts), which the reader treats as optional: the
                    // sections the file has must match.
                    let spill = scratchDirectory.flatMap { access($0, W_OK) == 0 ? $0 : nil }
                    do {
                        let comparison = SectionComparison(stored.sections, skippingAbsent: true)
                        try ClusteredIndex.produce(p, documentCount: n, settings: settings, sections: sections, to: comparison,
                                                   spillDirectory: spill)
                        if !comparison.matches {
                            report.problems.append("clustered layout differs from the one its settings build from the posting lists")
                        }
                    } catch {
                        report.problems.append("clustered layout could not be rebuilt to compare: \(error)")
                    }
                } else {
                    report.problems.append("segment has a clustered layout but meta.json gives no settings for it")
                }
            }
        }
        if let f = segment.frequencies, report.problems.isEmpty {
            // Every posting occurs at least once, and a document's frequencies add up to its length.
            var sums = [UInt64](repeating: 0, count: n)
            for (i, tf) in f.frequencies.enumerated() {
                if tf == 0 {
                    report.problems.append("posting \(i) has term frequency 0")
                    break
                }
                sums[Int(p.docs[i])] += UInt64(tf)
            }
            if let d = (0..<n).first(where: { sums[$0] != UInt64(f.lengths[$0]) }) {
                report.problems.append("document \(d): length \(f.lengths[d]) differs from its term frequencies' sum \(sums[d])")
            }
        }
        checkStrings(segment.vocabulary, what: "token", sortedUnique: true, into: &report)
        checkStrings(segment.documentIDs, what: "document id", sortedUnique: false, into: &report)
        checkStrings(segment.documentTexts, what: "document text", sortedUnique: false, into: &report)
        var seen = Set<ExactString>()
        for d in 0..<n where !seen.insert(ExactString(segment.documentIDs.string(at: d))).inserted {
            report.problems.append("document id \"\(segment.documentIDs.string(at: d))\" appears twice")
            break
        }
        // Every id must be found by the id lookup (the stored order is right).
        if report.problems.isEmpty, let d = (0..<n).first(where: { segment.document(withID: segment.documentIDs.string(at: $0)) != DocID(UInt32($0)) }) {
            report.problems.append("document \(d) is not found by its id (the id order is wrong)")
        }
    }

    /// Bytewise equality of two tables' sections.
    private static func same(_ a: [SectionSource], _ b: [SectionSource]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in
            x.tag == y.tag && x.bytes.count == y.bytes.count
                && (x.bytes.isEmpty || memcmp(x.bytes.baseAddress!, y.bytes.baseAddress!, x.bytes.count) == 0)
        }
    }

    private static func checkStrings(_ table: StringTable, what: String, sortedUnique: Bool,
                                     into report: inout IndexCheckReport) {
        for i in 0..<table.count {
            if String(validating: table.bytes(at: i), as: UTF8.self) == nil {
                report.problems.append("\(what) \(i) is not valid UTF-8")
                return
            }
            if sortedUnique && i > 0 && compareBytes(table.bytes(at: i - 1), table.bytes(at: i)) >= 0 {
                report.problems.append("vocabulary is not sorted at \(what) \(i)")
                return
            }
        }
    }
}
