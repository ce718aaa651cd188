import DetCore
import Foundation

/// The store's metadata document (`schemas/store-metadata.schema.json`), kept as canonical JSON in
/// the `metadata` table. Everything a reader needs to interpret records, and everything that
/// identifies the run that made them.
public struct StoreMetadata: Codable, Sendable, Equatable {
    /// The teacher that produced the probabilities.
    public struct Teacher: Codable, Sendable, Equatable {
        /// Architecture name (`synthetic`, `tinyvit-21m`, `torchscript`, …).
        public var architecture: String
        /// Hex hash identifying the weights (or the generator's parameters for `synthetic`).
        public var weightsHash: String
        /// Channels of the images the teacher saw (images are converted to it before augmentation; the
        /// loader does the same); nil for stores without images.
        public var inputChannels: Int?
        /// Whether a built-in architecture ran fused (BatchNorm folded into its convolutions); nil for
        /// synthetic and TorchScript teachers and for stores written before fused inference (unfused).
        public var fusedInference: Bool?
        /// Whether the teacher ran fused (stores without the field ran unfused).
        public var ranFused: Bool { fusedInference ?? false }
        /// The teacher's class names, class i at index i, when they are known (a caller's `class_names`,
        /// `precompute --teacher-classes`, a checkpoint's); nil in stores without them, whose names are
        /// unknown. Setting them sets their digest.
        public var classNames: [String]? {
            didSet { classNamesDigest = classNames.map(Self.classNamesDigest) }
        }
        /// `sha256:<hex>` of the class names (``classNamesDigest(_:)``), with them; stored in the document.
        public private(set) var classNamesDigest: String?
        /// The teacher's own top-1 accuracy and the data it was measured on, where its checkpoint records
        /// them (`train --eval` writes them); nil otherwise. Not compared on resume.
        public var recordedTop1: Double?
        public var recordedTop1Data: String?
        /// Creates a teacher description.
        public init(architecture: String, weightsHash: String, inputChannels: Int? = nil, fusedInference: Bool? = nil,
                    classNames: [String]? = nil) {
            self.architecture = architecture
            self.weightsHash = weightsHash
            self.inputChannels = inputChannels
            self.fusedInference = fusedInference
            self.classNames = classNames
            classNamesDigest = classNames.map(Self.classNamesDigest)
        }
        /// `sha256:` and the SHA-256 of the names, each followed by a newline (UTF-8).
        public static func classNamesDigest(_ names: [String]) -> String {
            "sha256:" + SHA256.hex(Array(names.map { $0 + "\n" }.joined().utf8))
        }
        enum CodingKeys: String, CodingKey {
            case architecture
            case weightsHash = "weights_hash"
            case inputChannels = "input_channels"
            case fusedInference = "fused_inference"
            case classNames = "class_names"
            case classNamesDigest = "class_names_digest"
            case recordedTop1 = "recorded_top1"
            case recordedTop1Data = "recorded_top1_data"
        }
    }

    /// The dataset the records index into.
    public struct Dataset: Codable, Sendable, Equatable {
        /// The source as given on the command line (`synthetic:1000`, an ImageFolder path, …).
        public var source: String
        /// Number of samples.
        public var sampleCount: Int
        /// Hex hash of the sample keys and labels, in sample order.
        public var fingerprint: String
        /// The dataset's class names (what its labels mean), label i at index i; nil for synthetic data
        /// and in stores written before they were recorded.
        public var classNames: [String]?
        /// Creates a dataset description.
        public init(source: String, sampleCount: Int, fingerprint: String, classNames: [String]? = nil) {
            self.source = source
            self.sampleCount = sampleCount
            self.fingerprint = fingerprint
            self.classNames = classNames
        }
        enum CodingKeys: String, CodingKey {
            case source
            case sampleCount = "sample_count"
            case fingerprint
            case classNames = "class_names"
        }
    }

    /// This store's place among the shards of one run.
    public struct Shard: Codable, Sendable, Equatable {
        /// Rank of the writer (0-based).
        public var rank: Int
        /// Number of shards.
        public var world: Int
        /// Creates a shard description.
        public init(rank: Int, world: Int) {
            self.rank = rank
            self.world = world
        }
    }

    /// Store format version (1).
    public var formatVersion: Int
    /// Number of classes C (2…16,777,216).
    public var numClasses: Int
    /// Entries per record K (1…min(C, 1024)).
    public var topK: Int
    /// Value codec.
    public var valueCodec: ValueCodec
    /// Number of epochs the run produces.
    public var epochs: Int
    /// Records per chunk.
    public var chunkRecords: Int
    /// The run seed.
    public var runSeed: UInt64
    /// Name of the seed derivation (``SeedScheme/name``).
    public var seedScheme: String
    /// The teacher.
    public var teacher: Teacher
    /// Canonical JSON of the augmentation policy, or nil when records need no augmentation.
    public var policy: String?
    /// Hash of the canonical policy JSON, or nil.
    public var policyHash: String?
    /// The dataset.
    public var dataset: Dataset
    /// The shard.
    public var shard: Shard
    /// Samples precompute left out on purpose (`--exclude`), or nil when none.
    public var exclusion: Exclusion?
    /// What each record keeps: nil for the top-K classes (the default; the document then has no
    /// `targets` key, as before sampled targets existed), or the settings of sampled targets, whose
    /// records hold at most `topK` = min(N, C) entries.
    public var targets: SampledTargets?

    /// Samples left out: the file that listed them, how many, and the XXH64 of their sorted ids. Each one
    /// is also in the failures table (reason `excluded …`) for every epoch, so readers and `verify` know
    /// it has no record.
    public struct Exclusion: Codable, Equatable, Sendable {
        public var file: String
        public var samples: Int
        public var hash: String
        /// Creates the description.
        public init(file: String, samples: Int, hash: String) {
            self.file = file
            self.samples = samples
            self.hash = hash
        }
    }

    /// The version of the format this build writes and reads.
    public static let currentFormatVersion = 1

    /// Creates a metadata document.
    public init(
        numClasses: Int, topK: Int, valueCodec: ValueCodec, epochs: Int, chunkRecords: Int = 4096,
        runSeed: UInt64, teacher: Teacher, policy: String? = nil, policyHash: String? = nil,
        dataset: Dataset, shard: Shard = Shard(rank: 0, world: 1)
    ) {
        self.formatVersion = Self.currentFormatVersion
        self.numClasses = numClasses
        self.topK = topK
        self.valueCodec = valueCodec
        self.epochs = epochs
        self.chunkRecords = chunkRecords
        self.runSeed = runSeed
        self.seedScheme = SeedScheme.name
        self.teacher = teacher
        self.policy = policy
        self.policyHash = policyHash
        self.dataset = dataset
        self.shard = shard
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case numClasses = "num_classes"
        case topK = "top_k"
        case valueCodec = "value_codec"
        case epochs
        case chunkRecords = "chunk_records"
        case runSeed = "run_seed"
        case seedScheme = "seed_scheme"
        case exclusion
        case teacher, policy
        case policyHash = "policy_hash"
        case dataset, shard
        case targets
    }

    /// The chunk layout these settings imply.
    public var layout: ChunkLayout {
        ChunkLayout(k: topK, numClasses: numClasses, codec: valueCodec, runSeed: runSeed, sampling: targets)
    }

    /// `topk:K` or `sample:N[:T]`: the target kind as `precompute --targets` spells it.
    public var targetKind: String { targets?.description ?? "topk:\(topK)" }

    /// Checks the invariants the format relies on.
    public func validate() throws(StoreError) {
        func bad(_ m: String) -> StoreError { .invalidArgument(m) }
        guard numClasses >= 2, numClasses <= 1 << 24 else { throw bad("number of classes \(numClasses) out of range 2…16,777,216") }
        guard topK >= 1, topK <= min(numClasses, 1024) else { throw bad("top-K \(topK) out of range 1…min(C, 1024) (C = \(numClasses))") }
        guard epochs >= 1, epochs <= 100_000 else { throw bad("epochs \(epochs) out of range 1…100,000") }
        guard chunkRecords >= 1, chunkRecords <= 1 << 20 else { throw bad("chunk size \(chunkRecords) out of range 1…1,048,576") }
        guard dataset.sampleCount >= 1, dataset.sampleCount <= Int(UInt32.max) else {
            throw bad("dataset sample count \(dataset.sampleCount) out of range 1…4,294,967,295")
        }
        guard shard.world >= 1, shard.rank >= 0, shard.rank < shard.world else {
            throw bad("shard rank \(shard.rank) of world \(shard.world) is invalid (need 0 ≤ rank < world)")
        }
        guard seedScheme == SeedScheme.name else { throw bad("unknown seed scheme \(seedScheme)") }
        if let targets {
            try targets.validate()
            guard topK == targets.slots(numClasses: numClasses) else {
                throw bad("top-K \(topK) of a store of sampled targets must be min(N, C) = \(targets.slots(numClasses: numClasses))")
            }
        }
    }

    /// Canonical JSON: sorted keys, no insignificant whitespace.
    public func canonicalJSON() -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a value of plain fields cannot fail.
        return String(decoding: try! enc.encode(self), as: UTF8.self)
    }

    /// The document as stored: the canonical JSON with `"checksum": "xxh64:…"` (XXH64 of the canonical
    /// JSON) appended, so a damaged document that still parses is detected. Decoders ignore the extra key.
    public func storedDocument() -> String {
        let canonical = canonicalJSON()
        let sum = XXH64.hex(XXH64.hash(Array(canonical.utf8)))
        return String(canonical.dropLast()) + ",\"checksum\":\"xxh64:\(sum)\"}"
    }

    /// Parses a stored document and checks its checksum (documents written before the checksum existed
    /// have none and are accepted as they are).
    public static func parseStored(_ json: String, path: String) throws(StoreError) -> StoreMetadata {
        let meta = try parse(json, path: path)
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw StoreError.notTinyDistill(path: path, detail: "metadata document is not a JSON object")
        }
        if let stored = object["checksum"] {
            let expected = "xxh64:" + XXH64.hex(XXH64.hash(Array(meta.canonicalJSON().utf8)))
            guard let text = stored as? String, text == expected else {
                throw StoreError.corrupt(path: path, detail: "the metadata document does not match its checksum (damaged file); restore the store from a copy")
            }
        }
        return meta
    }

    /// Parses a metadata document.
    public static func parse(_ json: String, path: String) throws(StoreError) -> StoreMetadata {
        do {
            return try JSONDecoder().decode(StoreMetadata.self, from: Data(json.utf8))
        } catch {
            throw StoreError.notTinyDistill(path: path, detail: "metadata document does not parse: \(error)")
        }
    }

    /// The fields (name, stored, requested) in which `other` differs from this one, for resume checks.
    /// `epochs` and `chunkRecords` may change between runs and are not compared.
    public func differences(from other: StoreMetadata) -> [(String, String, String)] {
        var out: [(String, String, String)] = []
        func cmp<T: Equatable>(_ name: String, _ a: T, _ b: T) {
            if a != b { out.append((name, "\(a)", "\(b)")) }
        }
        cmp("number of classes", numClasses, other.numClasses)
        cmp("top-K", topK, other.topK)
        cmp("targets", targetKind, other.targetKind)
        cmp("value codec", valueCodec.rawValue, other.valueCodec.rawValue)
        cmp("run seed", runSeed, other.runSeed)
        cmp("teacher architecture", teacher.architecture, other.teacher.architecture)
        cmp("teacher weights hash", teacher.weightsHash, other.teacher.weightsHash)
        cmp("teacher fused inference", teacher.ranFused, other.teacher.ranFused)
        // A store written without names (before they existed, or by a teacher without them) resumes with a
        // teacher that has them and keeps its own metadata; a store with names needs the same names.
        if let stored = teacher.classNamesDigest { cmp("teacher class names", stored, other.teacher.classNamesDigest ?? "none (unknown)") }
        cmp("augmentation policy hash", policyHash ?? "none", other.policyHash ?? "none")
        cmp("dataset source", dataset.source, other.dataset.source)
        cmp("dataset sample count", dataset.sampleCount, other.dataset.sampleCount)
        cmp("dataset fingerprint", dataset.fingerprint, other.dataset.fingerprint)
        cmp("shard", "\(shard.rank)/\(shard.world)", "\(other.shard.rank)/\(other.shard.world)")
        cmp("excluded samples", exclusion.map { "\($0.samples) (\($0.hash))" } ?? "none",
            other.exclusion.map { "\($0.samples) (\($0.hash))" } ?? "none")
        return out
    }
}
