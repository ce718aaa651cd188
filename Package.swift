// swift-tools-version: 6.1
import Foundation
import PackageDescription

// Store and Images parse untrusted bytes (store files, images), so they keep Swift's bounds and overflow
// checks in every build. Augment is built with -Ounchecked in release: its inputs are images of
// validated size and parameters that AugParams.decode clamps inside them, fuzzed with checks on
// (FuzzPolicy); Benchmarks/scripts/ounchecked-cost.sh measures what the checks cost each module
// (results/ounchecked-cost.md). For that comparison only, TINYDISTILL_OUNCHECKED=all builds all three
// with -Ounchecked and TINYDISTILL_OUNCHECKED=none builds all three checked.
let ounchecked = ProcessInfo.processInfo.environment["TINYDISTILL_OUNCHECKED"]
let unchecked: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
let parserSettings: [SwiftSetting] = ounchecked == "all" ? unchecked : []
let augmentSettings: [SwiftSetting] = ounchecked == "none" ? [] : unchecked

let package = Package(
    name: "TinyDistill",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tinydistill", targets: ["tinydistill"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "Images", targets: ["Images"]),
        .library(name: "Augment", targets: ["Augment"]),
        .library(name: "Pack", targets: ["Pack"]),
        .library(name: "DataPipeline", targets: ["DataPipeline"]),
        .library(name: "ModelJobs", targets: ["ModelJobs"]),
        .library(name: "Models", targets: ["Models"]),
        // The versioned C ABI (Sources/CTinyDistill/include/tinydistill.h) as libTinyDistillC.so, which the
        // Python package loads. It links no libtorch, c10 or Gloo (the user's torch is the only one in their
        // process): python/tests/test_dynamic_section.py checks its dynamic section and its bundled libraries'.
        .library(name: "TinyDistillC", type: .dynamic, targets: ["TinyDistillABI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // zstd through the system library (Debian: libzstd-dev).
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        // The deterministic core every module shares: XXH64 and SHA-256, SplitMix64 streams and DetMath
        // (log/exp from IEEE basic operations), so hashes, seeds and draws are the same bits everywhere.
        .target(name: "DetCore"),
        // libjpeg-turbo's TurboJPEG API (Debian: libturbojpeg0-dev).
        .systemLibrary(
            name: "CTurboJPEG",
            pkgConfig: "libturbojpeg",
            providers: [.apt(["libturbojpeg0-dev"])]
        ),
        // C shims over libpng, zlib and libjpeg's region decoding (their errors longjmp, which must stay in
        // C; Debian: libpng-dev, zlib1g-dev, libjpeg62-turbo-dev).
        .target(
            name: "CImageCodecs",
            linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("z"), .linkedLibrary("jpeg")]
        ),
        // Dataset sources (ImageFolder, IDX, synthetic) and the JPEG/PNG codecs.
        .target(
            name: "Images",
            dependencies: ["DetCore", "CTurboJPEG", "CImageCodecs"],
            swiftSettings: parserSettings
        ),
        // Image packs: one SQLite file of checksummed image blobs (optionally pre-resized) as a dataset.
        .target(
            name: "Pack",
            dependencies: ["DetCore", "Images", "Augment", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: parserSettings
        ),
        // Augmentation: policy, seed → explicit parameters, Pillow-exact pixel operations.
        .target(
            name: "Augment",
            dependencies: ["DetCore"],
            swiftSettings: augmentSettings
        ),
        // The compressed SQLite logit store: schema, chunk codec, writer, reader.
        .target(
            name: "Store",
            dependencies: [
                "DetCore",
                "CZstd",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: parserSettings
        ),
        // The one C++ target: libtorch behind a plain C interface (Debian: libtorch-dev).
        .target(
            name: "CTorchBridge",
            cxxSettings: [
                .unsafeFlags(["-isystem", "/usr/include/torch/csrc/api/include", "-O2", "-Wno-deprecated-declarations",
                              "-DUSE_C10D_GLOO"]),
            ],
            linkerSettings: [
                .linkedLibrary("torch"),
                .linkedLibrary("torch_cpu"),
                .linkedLibrary("c10"),
            ]
        ),
        // Models on libtorch: TinyViT, ResNet and TorchScript teachers, safetensors weights, training core.
        .target(
            name: "Models",
            dependencies: ["CTorchBridge", "DetCore"]
        ),
        // The torch-free jobs that combine the leaf modules: rendering, the teacher stage and precompute
        // (with a teacher opener the caller gives), the loader, verify, inspect, label noise, packs. No
        // model library: the C ABI builds on it alone.
        .target(
            name: "DataPipeline",
            dependencies: ["Store", "Images", "Pack", "Augment", "DetCore"]
        ),
        // The jobs that run models on libtorch: model teachers (the opener the CLI gives the torch-free
        // jobs), train, evaluate, predict.
        .target(
            name: "ModelJobs",
            dependencies: ["DataPipeline", "Models", "Store", "Images", "Augment", "DetCore"]
        ),
        // The header of the C ABI, as a module the implementation and the tests import.
        .target(name: "CTinyDistill"),
        // The C ABI over Store and DataPipeline (@_cdecl functions on opaque handles): adapts only, and
        // reaches no model library.
        .target(
            name: "TinyDistillABI",
            dependencies: ["CTinyDistill", "DataPipeline", "Store"]
        ),
        // The command-line tool: argument parsing and output formats only.
        .executableTarget(
            name: "tinydistill",
            dependencies: [
                "DataPipeline",
                "ModelJobs",
                "Store",
                "Images",
                "Augment",
                "Models",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "DetCoreTests", dependencies: ["DetCore"]),
        .testTarget(name: "AugmentTests", dependencies: ["Augment", "DetCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ImagesTests", dependencies: ["Images"], resources: [.copy("Fixtures")]),
        .testTarget(name: "PackTests", dependencies: ["Pack", "Images", "DataPipeline", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "DataPipeline"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models"], resources: [.copy("Fixtures")]),
        // DataPipeline's tests run its jobs end to end with real model teachers, so they also use ModelJobs.
        .testTarget(name: "DataPipelineTests", dependencies: ["DataPipeline", "ModelJobs", "Store", "Models", "Augment", "Images", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "TinyDistillABITests", dependencies: ["TinyDistillABI", "CTinyDistill", "DataPipeline", "Store"]),
        .testTarget(name: "tinydistillTests", dependencies: ["tinydistill", "Store", "Images", "DataPipeline"]),
        // Per-stage augmentation timings (Benchmarks/scripts/augment-stages.sh).
        .executableTarget(
            name: "AugmentStages",
            dependencies: ["Augment", "Images", "DataPipeline"],
            path: "Benchmarks/AugmentStages"
        ),
        // The decode-only limit of a JPEG folder (Benchmarks/scripts/loader-limit.sh).
        .executableTarget(
            name: "DecodeLimit",
            dependencies: ["Images"],
            path: "Benchmarks/DecodeLimit"
        ),
        // Model forward / training-step throughput (Benchmarks/scripts/model-throughput.sh).
        .executableTarget(
            name: "ModelThroughput",
            dependencies: ["Models"],
            path: "Benchmarks/ModelThroughput"
        ),
        // Whole-run store throughput (Benchmarks/scripts/store-throughput.sh).
        .executableTarget(
            name: "StoreThroughput",
            dependencies: ["Store", "DataPipeline"],
            path: "Benchmarks/StoreThroughput"
        ),
        // Batch-1 / batch-64 latency, fused and unfused, on 1 and 2 threads (Benchmarks/scripts/model-latency.sh).
        .executableTarget(
            name: "ModelLatency",
            dependencies: ["Models"],
            path: "Benchmarks/ModelLatency"
        ),
        // Micro-benchmarks of EfficientFormer's four latency observations (Benchmarks/scripts/latency-observations.sh).
        .executableTarget(
            name: "LatencyObservations",
            dependencies: ["CTorchMicrobench", "CTorchBridge"],
            path: "Benchmarks/LatencyObservations"
        ),
        // Gradient all-reduce cost between processes (Benchmarks/scripts/distributed.sh).
        .executableTarget(
            name: "AllReduceCost",
            dependencies: ["Models"],
            path: "Benchmarks/AllReduceCost"
        ),
        // The micro-benchmark cases in C++ (benchmark-only: not part of the production bridge).
        .target(
            name: "CTorchMicrobench",
            dependencies: ["CTorchBridge"],
            path: "Benchmarks/CTorchMicrobench",
            cxxSettings: [
                .unsafeFlags(["-isystem", "/usr/include/torch/csrc/api/include", "-O2", "-Wno-deprecated-declarations"]),
            ]
        ),
        // libFuzzer targets (scripts/fuzz builds them with -sanitize=fuzzer,address; a plain build gives a
        // driver that replays files, used by the regression tests).
        .target(name: "FuzzSupport", path: "Fuzz/FuzzSupport"),
        .executableTarget(name: "FuzzChunkDecoder", dependencies: ["Store", "FuzzSupport"], path: "Fuzz/FuzzChunkDecoder"),
        .executableTarget(name: "FuzzSafetensors", dependencies: ["Models", "FuzzSupport"], path: "Fuzz/FuzzSafetensors"),
        .executableTarget(name: "FuzzPolicy", dependencies: ["Augment", "FuzzSupport"], path: "Fuzz/FuzzPolicy"),
        // package-benchmark suites: `swift package benchmark`.
        .executableTarget(
            name: "StoreBenchmarks",
            dependencies: [
                "Store",
                "DataPipeline",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/StoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "AugmentBenchmarks",
            dependencies: [
                "Augment",
                "Images",
                "DataPipeline",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/AugmentBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    cxxLanguageStandard: .cxx17
)
