import Foundation
import Hummingbird
import HummingbirdTesting
import Sparrow
@testable import SparrowServer
import SparrowTestSupport
import Testing

/// Every route of the API and every error case, through Hummingbird's router test client.
struct APITests {
    @Test("collections: create, list, describe, refuse a second create, delete (files and all)")
    func collections() async throws {
        try await withServer { client, store in
            var r = try await call(client, .put, "/collections/toy", "")
            #expect(r.status == .created)
            #expect(r.json?["name"]?.string == "toy" && r.json?["kind"]?.string == "vectors" && r.json?["documents"]?.number == 0)
            r = try await call(client, .put, "/collections/bm25", #"{"text": {"analyzer": "english", "k1": 1.2, "b": 0.75}, "range_size": 16}"#)
            #expect(r.status == .created && r.json?["kind"]?.string == "text")
            #expect(r.json?["settings"]?["range_size"]?.number == 16 && r.json?["settings"]?["text"]?["k1"]?.number == 1.2)
            r = try await call(client, .put, "/collections/toy", "{}")
            #expect(r.status == .conflict && r.errorCode == "conflict")
            r = try await call(client, .get, "/collections")
            guard case .array(let list)? = r.json?["collections"] else { Issue.record("no list: \(r.text)"); return }
            #expect(list.compactMap { $0["name"]?.string } == ["bm25", "toy"])
            r = try await call(client, .get, "/collections/toy")
            #expect(r.status == .ok && r.json?["segments"]?.number == 0)
            r = try await call(client, .delete, "/collections/toy")
            #expect(r.status == .ok)
            #expect(!FileManager.default.fileExists(atPath: store.root + "/toy"))
            r = try await call(client, .get, "/collections/toy")
            #expect(r.status == .notFound && r.errorCode == "not_found")
            r = try await call(client, .delete, "/collections/toy")
            #expect(r.status == .notFound)
            // The name can be used again.
            r = try await call(client, .put, "/collections/toy")
            #expect(r.status == .created)
        }
    }

    @Test("a collection's fsync policy is its own, kept across restarts; the server's applies otherwise")
    func fsyncPolicy() async throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let first = try CollectionStore(root: dir, options: WriterOptions(fsync: .always))
        let app = Application(router: SparrowService.router(store: first, configuration: ServerConfiguration()))
        try await app.test(.router) { client in
            var r = try await call(client, .put, "/collections/fast", #"{"fsync": "none"}"#)
            #expect(r.status == .created && r.json?["settings"]?["fsync"]?.string == "none", "\(r.text)")
            r = try await call(client, .put, "/collections/timed", #"{"fsync": "interval:50"}"#)
            #expect(r.json?["settings"]?["fsync"]?.string == "interval:50")
            r = try await call(client, .put, "/collections/safe")
            #expect(r.json?["settings"]?["fsync"]?.string == "always")
            r = try await call(client, .put, "/collections/bad", #"{"fsync": "sometimes"}"#)
            #expect(r.status == .badRequest && r.errorField == "fsync")
        }
        _ = first.closeAll()
        // A restarted server (with another default) keeps each collection's own policy.
        let second = try CollectionStore(root: dir, options: WriterOptions(fsync: .interval(milliseconds: 7)))
        #expect(try second.collection(named: "fast").writer.options.fsync == FsyncPolicy.none)
        #expect(try second.collection(named: "timed").writer.options.fsync == .interval(milliseconds: 50))
        #expect(try second.collection(named: "safe").writer.options.fsync == .interval(milliseconds: 7))
        #expect(SearchIndex.check(at: dir + "/fast").isSound)
        _ = second.closeAll()
    }

    @Test("vector documents: NDJSON and arrays upsert; searches equal a fresh library build, with every algorithm")
    func vectorSearch() async throws {
        let queries = try Toy.queries()
        let fresh = try SearchIndex.build(fromVectorFile: Toy.documentsPath, options: BuildOptions(rangeSize: 4))
        try await withServer { client, _ in
            _ = try await call(client, .put, "/collections/toy", #"{"range_size": 4}"#)
            var r = try await call(client, .post, "/collections/toy/documents", Toy.documentsText)
            #expect(r.status == .ok && r.json?["added"]?.number == 20 && r.json?["replaced"]?.number == 0, "\(r.text)")
            for q in queries {
                let want = try fresh.search(q, k: 5)
                for algorithm in [nil] + Algorithm.allCases.map(Optional.some) {
                    let body = #"{"vector": \#(vectorJSON(q)), "k": 5"# + (algorithm.map { #", "algorithm": "\#($0.rawValue)""# } ?? "") + "}"
                    r = try await call(client, .post, "/collections/toy/search", body)
                    #expect(r.status == .ok, "\(r.text)")
                    let got = hits(r)
                    #expect(got.map(\.id) == want.map(\.id) && got.map(\.score) == want.map(\.score), "query \(q.id) \(algorithm?.rawValue ?? "auto")")
                }
                // Hits carry the stored content unless asked not to.
                r = try await call(client, .post, "/collections/toy/search", #"{"vector": \#(vectorJSON(q)), "k": 1}"#)
                if case .array(let items)? = r.json?["hits"], let top = want.first {
                    #expect(items.first?["content"]?.string == fresh.text(of: top.doc))
                }
                r = try await call(client, .post, "/collections/toy/search", #"{"vector": \#(vectorJSON(q)), "k": 1, "content": false}"#)
                if case .array(let items)? = r.json?["hits"] { #expect(items.first?["content"] == nil) }
                #expect(r.json?["took_us"]?.number != nil)
            }
            // A batch answers as the single searches do, in order.
            let batch = #"{"queries": ["# + queries.map { #"{"vector": \#(vectorJSON($0)), "k": 3}"# }.joined(separator: ",") + "]}"
            r = try await call(client, .post, "/collections/toy/search/batch", batch)
            guard case .array(let results)? = r.json?["results"] else { Issue.record("\(r.text)"); return }
            #expect(results.count == queries.count)
            for (q, result) in zip(queries, results) {
                let got = hits(Reply(status: .ok, json: result, text: "", headers: [:]))
                #expect(got.map(\.id) == (try fresh.search(q, k: 3)).map(\.id))
            }
        }
    }

    @Test("approximate search: a clustered collection answers presets and knobs as the library does")
    func approximateSearch() async throws {
        let queries = try Toy.queries()
        let exact = try SearchIndex.build(fromVectorFile: Toy.documentsPath)
        let approximate = try SearchIndex.build(fromVectorFile: Toy.documentsPath, options: BuildOptions(clustered: ClusterSettings(minDocuments: 0)))
        try await withServer { client, _ in
            var r = try await call(client, .put, "/collections/lossless",
                                   #"{"layout": "clustered", "clustered": {"postings_per_term": 0, "summary_mass": 1, "min_documents": 0}}"#)
            #expect(r.status == .ok || r.status == .created, "\(r.text)")
            _ = try await call(client, .put, "/collections/approx", #"{"layout": "clustered", "clustered": {"min_documents": 0}}"#)
            for name in ["lossless", "approx"] {
                r = try await call(client, .post, "/collections/\(name)/documents", Toy.documentsText)
                #expect(r.status == .ok, "\(r.text)")
            }
            r = try await call(client, .get, "/collections/approx")
            #expect(r.json?["settings"]?["layout"]?.string == "clustered" && r.json?["settings"]?["clustered"]?["min_documents"]?.number == 0,
                    "\(r.text)")
            #expect(r.json?["settings"]?["clustered"]?["k_means_rounds"]?.number == Double(ClusterSettings().kMeansRounds), "\(r.text)")
            _ = try await call(client, .put, "/collections/seismic", #"{"layout": "clustered", "clustered": {"k_means_rounds": 0}}"#)
            r = try await call(client, .get, "/collections/seismic")
            #expect(r.json?["settings"]?["clustered"]?["k_means_rounds"]?.number == 0, "\(r.text)")
            for q in queries {
                // Lossless layout, exact knobs: the exact answer.
                r = try await call(client, .post, "/collections/lossless/search", #"{"vector": \#(vectorJSON(q)), "k": 5, "algorithm": "clustered"}"#)
                #expect(hits(r).map(\.id) == (try exact.search(q, k: 5)).map(\.id), "\(r.text)")
                // The default layout with a preset or knobs: what the library answers.
                r = try await call(client, .post, "/collections/approx/search", #"{"vector": \#(vectorJSON(q)), "k": 5, "recall": 0.9}"#)
                #expect(hits(r).map(\.id) == (try approximate.search(q.query, k: 5, recall: 0.9)).map(\.id), "\(r.text)")
                r = try await call(client, .post, "/collections/approx/search",
                                   #"{"vector": \#(vectorJSON(q)), "k": 5, "algorithm": "clustered", "query_cut": 2, "heap_factor": 1.5}"#)
                let knobs = Approximation(queryCut: 2, heapFactor: 1.5)
                #expect(hits(r).map(\.id) == (try approximate.search(q, k: 5, algorithm: .clustered, approximation: knobs)).map(\.id))
            }
        }
    }

    @Test("documents: upsert replaces, GET returns the stored document, deletes one and many, and searches follow")
    func documents() async throws {
        try await withServer { client, _ in
            _ = try await call(client, .put, "/collections/c")
            var r = try await call(client, .post, "/collections/c/documents",
                                   #"[{"id": "a", "vector": {"x": 1, "y": 2}, "content": "first a"}, {"id": 7, "vector": {"x": 3}}, {"id": "b", "vector": {"y": 1}}]"#)
            #expect(r.json?["added"]?.number == 3)
            r = try await call(client, .post, "/collections/c/documents", #"{"id": "a", "vector": {"z": 5}, "content": "second a"}"#)
            #expect(r.json?["added"]?.number == 0 && r.json?["replaced"]?.number == 1, "\(r.text)")
            r = try await call(client, .get, "/collections/c/documents/a")
            #expect(r.status == .ok && r.json?["content"]?.string == "second a" && r.json?["vector"]?["z"]?.number == 5 && r.json?["vector"]?["x"] == nil)
            r = try await call(client, .get, "/collections/c/documents/7")
            #expect(r.status == .ok && r.json?["content"] == .null && r.json?["vector"]?["x"]?.number == 3)
            r = try await call(client, .post, "/collections/c/search", #"{"vector": {"x": 1, "y": 1, "z": 1}}"#)
            #expect(hits(r).map(\.id) == ["a", "7", "b"] && hits(r).map(\.score) == [5, 3, 1])
            r = try await call(client, .delete, "/collections/c/documents/a")
            #expect(r.status == .ok && r.json?["deleted"]?.number == 1)
            r = try await call(client, .delete, "/collections/c/documents/a")
            #expect(r.status == .notFound && r.errorCode == "not_found")
            r = try await call(client, .get, "/collections/c/documents/a")
            #expect(r.status == .notFound)
            r = try await call(client, .post, "/collections/c/documents/delete", #"{"ids": [7, "b", "never"]}"#)
            #expect(r.json?["deleted"]?.number == 2)
            r = try await call(client, .post, "/collections/c/search", #"{"vector": {"x": 1, "y": 1, "z": 1}}"#)
            #expect(r.status == .ok && hits(r).isEmpty)
            r = try await call(client, .get, "/collections/c")
            #expect(r.json?["documents"]?.number == 0)
        }
    }

    @Test("text collections: BM25 over HTTP equals a fresh library build of the same documents")
    func textSearch() async throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let docs = [("d1", "The sparrow is a small bird that nests in towns."),
                    ("d2", "Sparse retrieval scores documents by sparse dot products."),
                    ("d3", "A bird in the hand is worth two in the bush; birds nest."),
                    ("d4", "Towns and cities: where sparrows and people live together.")]
        writeFile(dir + "/docs.jsonl", docs.map { #"{"id": "\#($0.0)", "text": "\#($0.1)"}"# }.joined(separator: "\n"))
        let fresh = try SearchIndex.build(fromTextFile: dir + "/docs.jsonl", text: TextIndexOptions())
        try await withServer { client, _ in
            _ = try await call(client, .put, "/collections/t", #"{"text": true}"#)
            var r = try await call(client, .post, "/collections/t/documents", "[" + docs.map { #"{"id": "\#($0.0)", "text": "\#($0.1)"}"# }.joined(separator: ",") + "]")
            #expect(r.status == .ok, "\(r.text)")
            for q in ["sparrow towns", "bird nests", "sparse", "people living in cities", "nothing matches zzz"] {
                let want = try fresh.search(text: q, k: 10)
                r = try await call(client, .post, "/collections/t/search", #"{"text": "\#(q)"}"#)
                #expect(hits(r).map(\.id) == want.map(\.id) && hits(r).map(\.score) == want.map(\.score), "\(q): \(r.text)")
            }
            r = try await call(client, .post, "/collections/t/search", #"{"text": "bird", "k": 1}"#)
            if case .array(let items)? = r.json?["hits"] { #expect(items.first?["content"]?.string?.contains("bird") == true) }
            // A vector sent to a text collection says what to send instead.
            r = try await call(client, .post, "/collections/t/documents", #"[{"id": "v", "vector": {"x": 1}}]"#)
            #expect(r.status == .badRequest && r.errorField == "documents[0].vector")
        }
    }

    @Test("encoded collections: text is encoded by the recorded model; a vector outside its vocabulary is refused")
    func encodedCollection() async throws {
        let model = try requireSharedData("models/splade-tiny")
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let docs = [("e1", "Sparrows nest under roofs in old towns."), ("e2", "Learned sparse retrieval expands documents with related terms."),
                    ("e3", "The Manhattan Project built the first atomic bomb.")]
        writeFile(dir + "/docs.jsonl", docs.map { #"{"id": "\#($0.0)", "text": "\#($0.1)"}"# }.joined(separator: "\n"))
        let encoder = try SpladeEncoder(directory: model, maxLength: 256)
        let fresh = try SearchIndex.build(fromTextFile: dir + "/docs.jsonl", encoder: encoder, model: model, threads: 1)
        try await withServer { client, _ in
            var r = try await call(client, .put, "/collections/s", #"{"encoder": "splade:\#(model)"}"#)
            #expect(r.status == .created && r.json?["kind"]?.string == "encoded", "\(r.text)")
            r = try await call(client, .post, "/collections/s/documents", #"[{"id": "bad", "vector": {"sparrow": 1, "notawordpiecezzz": 2}}]"#)
            #expect(r.status == .badRequest && r.errorField == "documents[0].vector.notawordpiecezzz", "\(r.text)")
            r = try await call(client, .post, "/collections/s/documents", docs.map { #"{"id": "\#($0.0)", "text": "\#($0.1)"}"# }.joined(separator: "\n"))
            #expect(r.status == .ok && r.json?["added"]?.number == 3, "\(r.text)")
            for q in ["where do sparrows nest", "atomic bomb", "sparse retrieval"] {
                let want = try fresh.search(text: q, encoder: .splade(encoder), k: 3)
                r = try await call(client, .post, "/collections/s/search", #"{"text": "\#(q)", "k": 3}"#)
                // Same documents; scores to float rounding: other suites switch the encoder's kernels
                // between AVX2 and portable C process-wide while this runs, and the two round differently.
                #expect(hits(r).map(\.id) == want.map(\.id), "\(q): \(r.text)")
                #expect(zip(hits(r), want).allSatisfy { abs($0.score - $1.score) <= 1e-3 * max(1, abs($1.score)) }, "\(q): \(r.text)")
            }
            r = try await call(client, .put, "/collections/s2", #"{"encoder": "splade:/nonexistent/model"}"#)
            #expect(r.status == .badRequest && r.errorField == "encoder")
        }
    }

    /// (method, uri, body, status, code, field) of a request that must fail.
    static let failures: [(HTTPRequest.Method, String, String?, HTTPResponse.Status, String, String?)] = [
        (.post, "/collections/v/search", #"{"vector": {"x": 1}, "recall": 0.5}"#, .badRequest, "invalid_request", "recall"),
        (.post, "/collections/v/search", #"{"vector": {"x": 1}, "heap_factor": -1}"#, .badRequest, "invalid_request", "heap_factor"),
        (.post, "/collections/v/search", #"{"vector": {"x": 1}, "alpha": 2}"#, .badRequest, "invalid_request", "alpha"),
        (.post, "/collections/v/search", #"{"vector": {"x": 1}, "query_cut": 0}"#, .badRequest, "invalid_request", "query_cut"),
        (.post, "/collections/v/search", #"{"vector": {"x": 1}, "recall": 0.9, "algorithm": "bmp"}"#, .badRequest, "invalid_request", "algorithm"),
        (.put, "/collections/w", #"{"layout": "weird"}"#, .badRequest, "invalid_request", "layout"),
        (.put, "/collections/w", #"{"clustered": {"seed": 1}}"#, .badRequest, "invalid_request", "clustered"),
        (.put, "/collections/w", #"{"layout": "clustered", "clustered": {"summary_mass": 2}}"#, .badRequest, "invalid_request", "clustered.summary_mass"),
        (.put, "/collections/w", #"{"layout": "clustered", "clustered": {"k_means_rounds": -1}}"#, .badRequest, "invalid_request", "clustered.k_means_rounds"),
        (.put, "/collections/w", #"{"layout": "clustered", "clustered": {"k_means_rounds": 1.5}}"#, .badRequest, "invalid_request", "clustered.k_means_rounds"),
        (.put, "/collections/w", #"{"layout": "clustered", "text": true}"#, .badRequest, "invalid_request", "layout"),
        (.post, "/collections/v/documents", #"[{"id": "a", "vector": {"x": 1}"#, .badRequest, "invalid_json", "documents[0]"),
        (.post, "/collections/v/documents", "{\"id\": \"a\", \"vector\": {\"x\": 1}}\n{\"id\": \"b\", \"vector\": {\"x\": }}", .badRequest, "invalid_json", "documents[1].vector.x"),
        (.post, "/collections/v/documents", #"[{"id": "a", "vector": {"x": NaN}}]"#, .badRequest, "invalid_json", "documents[0].vector.x"),
        (.post, "/collections/v/documents", #"[{"id": "a", "vector": {"x": 1}}, {"id": "b", "vector": {"foo": -0.5}}]"#, .badRequest, "invalid_request", "documents[1].vector.foo"),
        (.post, "/collections/v/documents", #"[{"id": "a", "vector": {"x": "1"}}]"#, .badRequest, "invalid_request", "documents[0].vector.x"),
        (.post, "/collections/v/documents", #"[{"id": "a", "vector": {"x": 1e40}}]"#, .badRequest, "invalid_request", "documents[0].vector.x"),
        (.post, "/collections/v/documents", #"[{"id": "a b", "vector": {"x": 1}}]"#, .badRequest, "invalid_request", "documents[0].id"),
        (.post, "/collections/v/documents", #"[{"id": "", "vector": {"x": 1}}]"#, .badRequest, "invalid_request", "documents[0].id"),
        (.post, "/collections/v/documents", #"[{"id": 1.5, "vector": {"x": 1}}]"#, .badRequest, "invalid_request", "documents[0].id"),
        (.post, "/collections/v/documents", #"[{"vector": {"x": 1}}]"#, .badRequest, "invalid_request", "documents[0].id"),
        (.post, "/collections/v/documents", #"[{"id": "a"}]"#, .badRequest, "invalid_request", "documents[0]"),
        (.post, "/collections/v/documents", #"[{"id": "a", "vector": {"x": 1}, "text": "t"}]"#, .badRequest, "invalid_request", "documents[0].text"),
        (.post, "/collections/v/documents", #"[{"id": "a", "vector": [1, 2]}]"#, .badRequest, "invalid_request", "documents[0].vector"),
        (.post, "/collections/v/documents", #"[{"id": "a", "vector": {"x": 1}, "colour": "red"}]"#, .badRequest, "invalid_request", "documents[0].colour"),
        (.post, "/collections/v/documents", #"[{"id": "a", "text": "no encoder here"}]"#, .badRequest, "invalid_request", "documents[0].text"),
        (.post, "/collections/v/documents", #"[{"id": "a", "vector": {"x": 1}}, {"id": "a", "vector": {"y": 1}}]"#, .badRequest, "invalid_request", "documents[1].id"),
        (.post, "/collections/v/documents", #"[]"#, .badRequest, "invalid_request", "documents"),
        (.post, "/collections/v/documents", #"[1]"#, .badRequest, "invalid_request", "documents[0]"),
        (.post, "/collections/v/search", #"{"vector": {"x": -1}}"#, .badRequest, "invalid_request", "vector.x"),
        (.post, "/collections/v/search", #"{"vector": {"x": true}}"#, .badRequest, "invalid_request", "vector.x"),
        (.post, "/collections/v/search", #"{"vector": {"x": 1}, "k": 0}"#, .badRequest, "invalid_request", "k"),
        (.post, "/collections/v/search", #"{"vector": {"x": 1}, "k": "ten"}"#, .badRequest, "invalid_request", "k"),
        (.post, "/collections/v/search", #"{"vector": {"x": 1}, "k": 1001}"#, .badRequest, "invalid_request", "k"),
        (.post, "/collections/v/search", #"{"vector": {"x": 1}, "algorithm": "fastest"}"#, .badRequest, "invalid_request", "algorithm"),
        (.post, "/collections/v/search", #"{"vector": {"x": 1}, "algorithm": "bmp"}"#, .badRequest, "invalid_request", "algorithm"),
        (.post, "/collections/v/search", #"{"vector": {"x": 1}, "query": "x"}"#, .badRequest, "invalid_request", "query"),
        (.post, "/collections/v/search", #"{"k": 3}"#, .badRequest, "invalid_request", nil),
        (.post, "/collections/v/search", #"{"text": "words"}"#, .badRequest, "invalid_request", "text"),
        (.post, "/collections/v/search", #"[1, 2]"#, .badRequest, "invalid_request", nil),
        (.post, "/collections/v/search", "", .badRequest, "invalid_json", nil),
        (.post, "/collections/v/search", #"{"vector": {"x": 1}} trailing"#, .badRequest, "invalid_json", nil),
        (.post, "/collections/v/search/batch", #"{"queries": [{"vector": {"x": 1}}, {"vector": {"y": -2}}]}"#, .badRequest, "invalid_request", "queries[1].vector.y"),
        (.post, "/collections/v/search/batch", #"{"queries": {"vector": {"x": 1}}}"#, .badRequest, "invalid_request", "queries"),
        (.post, "/collections/v/documents/delete", #"{"ids": ["a", "b c"]}"#, .badRequest, "invalid_request", "ids[1]"),
        (.post, "/collections/v/documents/delete", #"{"id": "a"}"#, .badRequest, "invalid_request", "id"),
        // Found by schemathesis: a null id crashed the server (a forced unwrap).
        (.post, "/collections/v/documents/delete", #"{"ids": [null]}"#, .badRequest, "invalid_request", "ids[0]"),
        (.post, "/collections/v/documents/delete", #"{"ids": [{}]}"#, .badRequest, "invalid_request", "ids[0]"),
        (.post, "/collections/v/documents/delete", #"{"ids": null}"#, .badRequest, "invalid_request", "ids"),
        (.post, "/collections/v/documents", #"[{"id": null, "vector": {"x": 1}}]"#, .badRequest, "invalid_request", "documents[0].id"),
        (.put, "/collections/new", #"{"txt": true}"#, .badRequest, "invalid_request", "txt"),
        (.put, "/collections/new", #"{"text": {"analyzer": "klingon"}}"#, .badRequest, "invalid_request", "text.analyzer"),
        (.put, "/collections/new", #"{"text": {"b": 2}}"#, .badRequest, "invalid_request", "text.b"),
        (.put, "/collections/new", #"{"range_size": 1000}"#, .badRequest, "invalid_request", "range_size"),
        (.put, "/collections/new", #"{"encoder": "bert"}"#, .badRequest, "invalid_request", "encoder"),
        (.put, "/collections/new", #"{"text": true, "encoder": "splade:/x"}"#, .badRequest, "invalid_request", "encoder"),
        (.put, "/collections/a.b", "{}", .badRequest, "invalid_request", "name"),
        (.put, "/collections/..", "{}", .badRequest, "invalid_request", "name"),
        (.put, "/collections/%2E%2E%2Fescape", "{}", .badRequest, "invalid_request", "name"),
        (.put, "/collections/" + String(repeating: "x", count: 65), "{}", .badRequest, "invalid_request", "name"),
        (.put, "/collections/v", "{}", .conflict, "conflict", nil),
        (.get, "/collections/missing", nil, .notFound, "not_found", nil),
        (.post, "/collections/missing/search", #"{"vector": {"x": 1}}"#, .notFound, "not_found", nil),
        (.post, "/collections/missing/documents", #"[{"id": "a", "vector": {"x": 1}}]"#, .notFound, "not_found", nil),
        (.get, "/collections/v/documents/missing", nil, .notFound, "not_found", nil),
        (.delete, "/collections/v/documents/missing", nil, .notFound, "not_found", nil),
        (.get, "/no/such/route", nil, .notFound, "not_found", nil),
        (.patch, "/collections/v", "{}", .methodNotAllowed, "method_not_allowed", nil),
        (.get, "/collections/v/documents/delete", nil, .methodNotAllowed, "method_not_allowed", nil),
    ]

    @Test("bad input: 400 naming the JSON path, 404 for what is not there, and nothing of a rejected batch applied")
    func errors() async throws {
        try await withServer { client, _ in
            _ = try await call(client, .put, "/collections/v")
            _ = try await call(client, .post, "/collections/v/documents", #"[{"id": "keep", "vector": {"x": 2}}]"#)
            for (method, uri, body, status, code, field) in Self.failures {
                let r = try await call(client, method, uri, body)
                #expect(r.status == status && r.errorCode == code && r.errorField == field,
                        "\(method) \(uri) \(body ?? ""): \(r.status.code) \(r.text)")
                #expect(r.headers[.contentType] == "application/json", "\(uri)")
                #expect(r.json?["error"]?["message"]?.string?.isEmpty == false)
            }
            // 405 says which methods the route takes (the literal route, not the {id} one).
            #expect(try await call(client, .get, "/collections/v/documents/delete").headers[.allow] == "POST")
            #expect(try await call(client, .put, "/collections/v/documents/x").headers[.allow] == "DELETE, GET")
            // Every rejected batch left the collection as it was.
            let r = try await call(client, .get, "/collections/v")
            #expect(r.json?["documents"]?.number == 1)
            #expect(try await call(client, .get, "/collections/v/documents/a").status == .notFound)
        }
    }

    @Test("limits: body size (413), k, the API key on every route but /health and the page")
    func limits() async throws {
        try await withServer({ $0.maxBodyBytes = 1024; $0.maxK = 5; $0.apiKey = "s3cret" }) { client, _ in
            let auth: HTTPFields = [.authorization: "Bearer s3cret"]
            var r = try await call(client, .put, "/collections/v")
            #expect(r.status == .unauthorized && r.errorCode == "unauthorized")
            r = try await call(client, .put, "/collections/v", headers: [.authorization: "Bearer wrong"])
            #expect(r.status == .unauthorized)
            r = try await call(client, .put, "/collections/v", headers: auth)
            #expect(r.status == .created)
            for open in ["/health", "/", "/favicon.svg"] {
                #expect(try await call(client, .get, open).status == .ok, "\(open)")
            }
            for closed in ["/ready", "/metrics", "/openapi.json", "/collections", "/collections/v"] {
                #expect(try await call(client, .get, closed).status == .unauthorized, "\(closed)")
                #expect(try await call(client, .get, closed, headers: auth).status == .ok, "\(closed)")
            }
            let big = "[" + (0..<100).map { #"{"id": "d\#($0)", "vector": {"x": 1}}"# }.joined(separator: ",") + "]"
            r = try await call(client, .post, "/collections/v/documents", big, headers: auth)
            #expect(r.status == .contentTooLarge && r.errorCode == "payload_too_large", "\(r.text)")
            r = try await call(client, .post, "/collections/v/search", #"{"vector": {"x": 1}, "k": 6}"#, headers: auth)
            #expect(r.status == .badRequest && r.errorField == "k")
            r = try await call(client, .post, "/collections/v/search", #"{"vector": {"x": 1}, "k": 5}"#, headers: auth)
            #expect(r.status == .ok)
        }
    }

    @Test("a write slower than the request timeout is answered 503, and is still applied")
    func timeout() async throws {
        try await withServer({ $0.requestTimeout = .milliseconds(20) }) { client, store in
            _ = try await call(client, .put, "/collections/t")
            let c = try store.collection(named: "t")
            // The collection's worker is busy until the answer has come.
            let gate = DispatchSemaphore(value: 0)
            c.worker.async { gate.wait() }
            let r = try await call(client, .post, "/collections/t/documents", #"[{"id": "late", "vector": {"x": 1}}]"#)
            #expect(r.status == .serviceUnavailable && r.errorCode == "timeout", "\(r.text)")
            #expect(c.writer.snapshot.document(id: "late") == nil)
            // The write completes on the worker all the same.
            gate.signal()
            try c.worker.sync {}
            #expect(c.writer.snapshot.document(id: "late") != nil)
        }
    }

    @Test("metrics: per-route request counts and latency histograms, and per-collection gauges")
    func metrics() async throws {
        try await withServer { client, _ in
            _ = try await call(client, .put, "/collections/m")
            _ = try await call(client, .post, "/collections/m/documents", #"[{"id": "a", "vector": {"x": 1}}, {"id": "b", "vector": {"x": 2}}]"#)
            _ = try await call(client, .delete, "/collections/m/documents/a")
            // Counters are per process (other tests search too): count the growth.
            func searchCount(_ text: String) -> Double {
                text.split(separator: "\n").filter {
                    $0.hasPrefix("hb_requests{") && $0.contains(#"http_route="/collections/{name}/search""#) && $0.contains(#"status_code="200""#)
                }.compactMap { Double($0.split(separator: " ").last!) }.reduce(0, +)
            }
            let before = searchCount(try await call(client, .get, "/metrics").text)
            for _ in 0..<3 { _ = try await call(client, .post, "/collections/m/search", #"{"vector": {"x": 1}}"#) }
            let r = try await call(client, .get, "/metrics")
            #expect(r.status == .ok && r.headers[.contentType]?.hasPrefix("text/plain") == true)
            let lines = r.text.split(separator: "\n").map(String.init)
            func value(_ prefix: String) -> Double? {
                lines.first { $0.hasPrefix(prefix) }.flatMap { Double($0.split(separator: " ").last!) }
            }
            #expect(value(#"sparrow_documents{collection="m"}"#) == 1)
            #expect(value(#"sparrow_deleted_documents{collection="m"}"#) == 1)
            #expect(value(#"sparrow_buffered_documents{collection="m"}"#) == 2)
            #expect((value(#"sparrow_log_bytes{collection="m"}"#) ?? 0) > 8)
            #expect(value(#"sparrow_segments{collection="m"}"#) != nil && value(#"sparrow_merges_completed{collection="m"}"#) == 0)
            #expect(searchCount(r.text) - before >= 3)
            #expect(lines.contains { $0.hasPrefix("http_server_request_duration_bucket{") && $0.contains("/collections/{name}/search") })
        }
    }

    @Test("the search page and its icon are served, and name every element the page script uses")
    func page() async throws {
        try await withServer { client, _ in
            let r = try await call(client, .get, "/")
            #expect(r.status == .ok && r.headers[.contentType]?.hasPrefix("text/html") == true)
            for id in ["collection", "stats", "query", "k", "algorithm", "search", "status", "hits", "apikey"] {
                #expect(r.text.contains(#"id="\#(id)""#), "\(id)")
            }
            // Everything is inline: no script, style or font from anywhere else.
            #expect(!r.text.contains("<script src") && !r.text.contains("http://") && !r.text.contains("https://"))
            #expect(try await call(client, .get, "/favicon.svg").headers[.contentType] == "image/svg+xml")
        }
    }
}
