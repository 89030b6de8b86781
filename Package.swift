// swift-tools-version: 6.0
import PackageDescription

// The encoder's C kernels are compiled optimised even in debug builds, so that the tests that encode
// real collections run at full speed. SwiftPM refuses `unsafeFlags` in a package that another
// package depends on, so the flag is given only when Sparrow is built as the root package: a
// dependency is checked out under a `checkouts` directory (SwiftPM's `.build/checkouts`, Xcode's
// `SourcePackages/checkouts`), and there it builds with the configuration's own optimisation level.
let isDependency = Context.packageDirectory.contains("/checkouts/")
let kernelSettings: [CSetting] = isDependency ? [] : [.unsafeFlags(["-O2"])]
// The engine's own modules are optimised in debug builds too, for the same reason: the tests build
// and search real collections (30k passages, clustered layouts), and at -Onone that took 16 of CI's
// 21 minutes; optimised, 7. To step through them in a debugger, empty this list.
let engineSettings: [SwiftSetting] = isDependency ? [] : [.unsafeFlags(["-O"])]
// zlib is linked dynamically, except into the Python wheel's shared object (python/build-wheel.sh
// sets SPARROW_STATIC_ZLIB), which should need nothing beyond the C and C++ runtimes.
let zlib: [LinkerSetting] = !isDependency && Context.environment["SPARROW_STATIC_ZLIB"] != nil
    ? [.unsafeFlags(["-Xlinker", "-l:libz.a"])] : [.linkedLibrary("z")]

let package = Package(
    name: "Sparrow",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Sparrow", targets: ["Sparrow"]),
        .executable(name: "sparrow", targets: ["sparrow"]),
        // The C interface (`Sources/CSparrow/sparrow.h`) as a shared object, libsparrowc.so; build it
        // with `-Xswiftc -static-stdlib` to carry the Swift runtime (see python/build-wheel.sh).
        .library(name: "sparrowc", type: .dynamic, targets: ["SparrowC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        // System zlib: gzip input and CRC-32 checksums of index files (linked by `zlib`, above).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // Core value types and protocols; no I/O, imports nothing of ours.
        .target(name: "SparrowCore", swiftSettings: engineSettings),
        // On-disk index: builder, segment files, memory-mapped reader, posting cursors.
        .target(name: "SparrowIndex", dependencies: ["SparrowCore", "CZlib", "CKernels"], swiftSettings: engineSettings, linkerSettings: zlib),
        // Query algorithms, generic over the cursor protocols.
        .target(name: "SparrowQuery", dependencies: ["SparrowCore", "SparrowIndex", "CKernels"], swiftSettings: engineSettings),
        // Matrix kernels for the encoder (AVX2/FMA chosen at run time, portable C otherwise).
        // Optimised even in debug builds when Sparrow is the root package (see `kernelSettings`).
        .target(name: "CKernels", cSettings: kernelSettings),
        // Text analysis: Lucene-compatible tokenizer and filters, Porter stemmer, BM25 weighting,
        // WordPiece, the inference-free query encoder and the SPLADE encoder.
        .target(name: "SparrowText", dependencies: ["SparrowCore", "CKernels"], swiftSettings: engineSettings),
        // Input and output files: JSONL vectors (plain or gzip), TREC runs.
        .target(name: "SparrowFormats", dependencies: ["SparrowCore", "CZlib"], swiftSettings: engineSettings, linkerSettings: zlib),
        // Effectiveness metrics with trec_eval's definitions.
        .target(name: "SparrowEval", dependencies: ["SparrowFormats"]),
        // The façade users import.
        .target(name: "Sparrow", dependencies: ["SparrowCore", "SparrowIndex", "SparrowQuery", "SparrowFormats", "SparrowText", "SparrowEval"]),
        // The HTTP service: collections under one directory, the JSON API, the search page,
        // Prometheus metrics and the OpenAPI document (Hummingbird 2).
        .target(name: "SparrowServer", dependencies: [
            "Sparrow", "SparrowIndex",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The C interface's header, `sparrow.h`, as a module the Swift side implements it against.
        .systemLibrary(name: "CSparrow", path: "Sources/CSparrow"),
        // The C interface: `@_cdecl` functions over the façade, returning statuses, never trapping.
        .target(name: "SparrowC", dependencies: ["Sparrow", "CSparrow"]),
        .executableTarget(
            name: "sparrow",
            dependencies: ["Sparrow", "SparrowServer", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log")]
        ),
        // Seeded random corpora and a brute-force oracle shared by the test targets.
        .target(name: "SparrowTestSupport", dependencies: ["Sparrow", "CZlib"]),
        .testTarget(name: "SparrowFormatsTests", dependencies: ["SparrowFormats", "SparrowTestSupport"]),
        .testTarget(name: "SparrowIndexTests", dependencies: ["Sparrow", "SparrowTestSupport"]),
        .testTarget(name: "SparrowQueryTests", dependencies: ["Sparrow", "SparrowTestSupport", "CKernels"]),
        .testTarget(name: "SparrowTextTests", dependencies: ["Sparrow", "SparrowTestSupport"]),
        .testTarget(name: "SparrowEvalTests", dependencies: ["Sparrow", "SparrowTestSupport"]),
        .testTarget(name: "SparrowTests", dependencies: ["Sparrow", "SparrowTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "SparrowServerTests", dependencies: [
            "SparrowServer", "SparrowTestSupport", .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
