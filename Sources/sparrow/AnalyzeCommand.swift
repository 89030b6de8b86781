import ArgumentParser
import Sparrow

/// `sparrow analyze`: shows the terms an analyzer makes of a text.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Show the index terms an analyzer makes of a text.",
        discussion: """
            Examples:
              sparrow analyze "Mary had a little lamb"            # mari had littl lamb
              sparrow analyze --analyzer standard "O'Neil's U.S.A."
              sparrow analyze --input corpus.jsonl --json          # {"id":…,"tokens":[…]} per line
            """
    )

    @OptionGroup var analysis: AnalyzerOptions

    @Option(name: .long, help: "A JSONL file of {\"id\"|\"_id\", \"text\"[, \"title\"]} lines to analyse instead of TEXT.")
    var input: String?

    @Flag(name: .long, help: "Print one JSON object per input line: {\"id\": …, \"tokens\": […]}.")
    var json = false

    @Argument(help: "The text to analyse.")
    var text: [String] = []

    func validate() throws {
        if input == nil && text.isEmpty { throw ValidationError("give a TEXT to analyse, or --input FILE") }
        if input != nil && !text.isEmpty { throw ValidationError("give either a TEXT or --input, not both") }
    }

    func run() throws {
        let analyzer = try analysis.resolved()
        try reportingErrors {
            if let input {
                try TextRecordReader.forEach(path: input) { record, _ in
                    let tokens = analyzer.analyze(record.text)
                    if json {
                        print(#"{"id":\#(jsonString(record.id)),"tokens":[\#(tokens.map(jsonString).joined(separator: ","))]}"#)
                    } else {
                        print(record.id + "\t" + tokens.joined(separator: " "))
                    }
                }
            } else {
                print(analyzer.analyze(text.joined(separator: " ")).joined(separator: " "))
            }
        }
    }
}

/// `--analyzer`, `--stemmer`, `--stopwords`: shared by `analyze` and `index --text`.
struct AnalyzerOptions: ParsableArguments {
    @Option(name: .long, help: "english (Lucene/Anserini default), standard, simple or whitespace.")
    var analyzer: String = "english"

    @Option(name: .long, help: "Override the preset's stemmer: porter or none.")
    var stemmer: Analyzer.Stemmer?

    @Option(name: .long, help: "Override the preset's stop words: lucene or none.")
    var stopwords: Analyzer.StopWords?

    func resolved() throws -> Analyzer {
        guard var a = Analyzer.named(analyzer) else {
            throw ValidationError("--analyzer: unknown analyzer \"\(analyzer)\"; choose one of "
                + Analyzer.presets.map(\.name).joined(separator: ", "))
        }
        if let stemmer { a.stemmer = stemmer }
        if let stopwords { a.stopWords = stopwords }
        return a
    }
}

extension Analyzer.Stemmer: ExpressibleByArgument {}
extension Analyzer.StopWords: ExpressibleByArgument {}
