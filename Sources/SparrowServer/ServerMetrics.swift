import HTTPTypes
import Metrics
import Prometheus
import Synchronization

/// Prometheus metrics: request counts and latency histograms per route (Hummingbird's
/// `MetricsMiddleware` through swift-metrics), and per collection its documents, deleted
/// documents, segments, log size, buffered documents and merges, read at each scrape.
public enum ServerMetrics {
    /// The process's registry; swift-metrics is bootstrapped with it once, on first use.
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Searches take microseconds to milliseconds: finer buckets than the web defaults.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// The metrics Hummingbird's `MetricsMiddleware` records for a route's answers with one status:
    /// requests in progress, answers, their durations (and the error counter it makes beside them).
    struct RouteMetrics {
        let active: Metrics.Meter
        let requests: Metrics.Counter
        let duration: Metrics.Timer
        let errors: Metrics.Counter

        init(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status) {
            _ = ServerMetrics.registry
            let dimensions = [("http.route", route), ("http.request.method", method.rawValue)]
            active = Metrics.Meter(label: "http.server.active_requests", dimensions: [("http.request.method", method.rawValue)])
            requests = Metrics.Counter(label: "hb.requests", dimensions: dimensions + [("http.response.status_code", String(status.code))])
            duration = Metrics.Timer(label: "http.server.request.duration", dimensions: dimensions + [("http.response.status_code", String(status.code))],
                             preferredDisplayUnit: .seconds)
            errors = Metrics.Counter(label: "hb.request.errors", dimensions: dimensions + [("error.type", String(status.code))])
        }
    }

    /// What ``SearchFastPath`` records for the searches it answers, under the router's name for the route.
    static let searchRoute = RouteMetrics(route: "/collections/{name}/search", method: .post, status: .ok)

    /// `sparrow_event_loop_searches`: the searches ``SearchFastPath`` answered (the others of the
    /// route went through the router), so that an operator can see which path serves the load.
    static let eventLoopSearches: Metrics.Counter = {
        _ = ServerMetrics.registry
        return Metrics.Counter(label: "sparrow_event_loop_searches")
    }()

    /// Gauges made so far, by collection, so that a deleted collection's are removed.
    private static let gauges = Mutex<[String: [Prometheus.Gauge]]>([:])

    /// The Prometheus text exposition of every metric, collection gauges updated first.
    public static func render(store: CollectionStore) -> String {
        let registry = Self.registry
        let collections = store.all
        let names = Set(collections.map(\.name))
        gauges.withLock { all in
            for (name, list) in all where !names.contains(name) {
                for g in list { registry.unregisterGauge(g) }
                all[name] = nil
            }
        }
        for c in collections {
            let snapshot = c.writer.snapshot
            let activity = c.writer.activity
            let labels = [("collection", c.name)]
            let values: [(String, String, Double)] = [
                ("sparrow_documents", "Live documents in the collection.", Double(snapshot.documentCount)),
                ("sparrow_deleted_documents", "Deleted documents not yet merged away.", Double(snapshot.deletedCount)),
                ("sparrow_segments", "Segments, committed and buffered.", Double(snapshot.segmentCount)),
                ("sparrow_log_bytes", "Bytes in the write-ahead log.", Double(activity.logBytes)),
                ("sparrow_buffered_documents", "Documents written since the last commit.", Double(activity.bufferedDocuments)),
                ("sparrow_merges_completed", "Merges installed since the server started.", Double(activity.mergesCompleted)),
                ("sparrow_merges_running", "Background merges running (0 or 1).", activity.merging ? 1 : 0),
            ]
            var made: [Prometheus.Gauge] = []
            for (name, help, value) in values {
                let g = registry.makeGauge(name: name, labels: labels, help: help)
                g.set(value)
                made.append(g)
            }
            gauges.withLock { $0[c.name] = made }
        }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
