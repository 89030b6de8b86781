import ArgumentParser
import Sparrow

/// `sparrow eval`: effectiveness of a TREC run against relevance judgments.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score a TREC run against relevance judgments (trec_eval definitions).",
        discussion: """
            Reads BEIR qrels (header query-id corpus-id score, tab-separated) or TREC qrels
            (qid 0 docid relevance) and a TREC run (qid Q0 docid rank score tag). Documents are
            ordered by score (ties by descending document id, as trec_eval does); a grade of 1 or
            more is relevant; unjudged documents are not. Queries of the run without judgments are
            skipped, and judged queries missing from the run count as 0 (trec_eval -c; this is what
            ir_measures and Anserini's published regressions report). --run-queries-only evaluates
            only the run's queries, as trec_eval does without -c.
            Output lines are "metric<TAB>all<TAB>value", and with --per-query one per query first.

            Metrics: ndcg@K, ndcg, mrr@K, mrr, recall@K, p@K, map, map@K.

            Examples:
              sparrow eval --qrels ../shared/data/scifact/qrels/test.tsv --run run.trec
              sparrow eval --qrels qrels.tsv --run run.trec --metrics ndcg@10,recall@100 --per-query
            """
    )

    @Option(name: .long, help: "Relevance judgments (BEIR TSV or TREC qrels).")
    var qrels: String

    @Option(name: .customLong("run"), help: "The TREC run to score.")
    var runFile: String

    @OptionGroup var metricOptions: MetricOptions

    @Flag(name: .long, help: "Print each query's values before the means.")
    var perQuery = false

    @Flag(name: .long, help: "Skip judged queries missing from the run (trec_eval without -c).")
    var runQueriesOnly = false

    func run() throws {
        let metrics = try metricOptions.parsed()
        let (judgments, ranking) = try reportingErrors { (try Qrels.read(path: qrels), try Run.read(path: runFile)) }
        warnIfUnrelated(ranking, judgments, qrelsPath: qrels)
        let evaluation = Evaluator.evaluate(run: ranking, qrels: judgments, metrics: metrics,
                                            includeUnretrieved: !runQueriesOnly)
        print(evaluation.report(perQuery: perQuery), terminator: "")
    }
}

/// A note on stderr when none of a run's queries is judged: the two files do not belong together
/// (every judged query then scores 0).
func warnIfUnrelated(_ run: Run, _ qrels: Qrels, qrelsPath: String) {
    guard !run.queryIDs.isEmpty, !run.queryIDs.contains(where: { qrels.judgments[$0] != nil }) else { return }
    printError("note: none of the run's \(run.queryIDs.count) queries is judged in \(qrelsPath) "
        + "(e.g. query \(run.queryIDs[0])); are these the right judgments?")
}

/// `--metrics`, shared by `eval` and `search --eval`.
struct MetricOptions: ParsableArguments {
    @Option(name: .long, help: "Comma-separated metrics.")
    var metrics: String = Metric.defaults.map(\.description).joined(separator: ",")

    func parsed() throws -> [Metric] {
        try metrics.split(separator: ",").map { name in
            let trimmed = name.trimmingCharacters(in: " ")
            guard let metric = Metric(trimmed) else {
                throw ValidationError("--metrics: unknown metric \"\(trimmed)\" "
                    + "(known: ndcg@K, ndcg, mrr@K, mrr, recall@K, p@K, map, map@K)")
            }
            return metric
        }
    }
}

extension Evaluation {
    /// trec_eval-style lines: `metric<TAB>qid<TAB>value` per query (when asked), then the means
    /// under `all`, then the number of queries.
    func report(perQuery: Bool) -> String {
        var out = ""
        let width = max(8, metrics.map(\.description.count).max() ?? 0)
        if perQuery {
            for (q, row) in zip(queryIDs, values) {
                for (m, v) in zip(metrics, row) { out += "\(m.description.padding(width))\t\(q)\t\(formatted(v, decimals: 4))\n" }
            }
        }
        for (m, v) in zip(metrics, means) { out += "\(m.description.padding(width))\tall\t\(formatted(v, decimals: 4))\n" }
        out += "\("queries".padding(width))\tall\t\(queryIDs.count)\n"
        return out
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}
