import Foundation
import Testing

/// The option groups every command shares (`--batch`, `--threads`, `--workers`, `--rank`/`--world`):
/// one limit each, errors that name the flag, and each command's environment fallback for the shard.
/// Every case fails in validation, before any work, so none needs a store or a model.
@Suite struct SharedOptionsTests {
    static let noStore = "/nonexistent/shared-options.tdstore"
    static let precompute = ["precompute", "--data", "synthetic:10", "--teacher", "synthetic:5", "--epochs", "1", "--topk", "3",
                             "--out", "/nonexistent/shared-options-out.tdstore"]
    static let train = ["train", "--store", noStore, "--data", "synthetic-images:10:8x8x1", "--arch", "tinyvit-mini", "--epochs", "1",
                        "--out", "/nonexistent/shared-options-run"]
    static let stream = ["stream", "--store", noStore, "--data", "synthetic-images:10:8x8x1"]

    /// Runs `args` with `environment` and expects a usage error (status 2) whose message contains `message`.
    func expectUsageError(_ args: [String], _ message: String, environment: [String: String] = [:],
                          sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try CLI.run(args, environment: environment)
        #expect(r.status == 2, "\(args): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(message), "\(args): \(r.stderr)", sourceLocation: sourceLocation)
    }

    @Test func batchHasOneLimitEverywhere() throws {
        for command in [Self.precompute, Self.train, Self.stream] {
            try expectUsageError(command + ["--batch", "8193"], "--batch must be in 1…8192")
            try expectUsageError(command + ["--batch", "0"], "--batch must be in 1…8192")
        }
    }

    @Test func threadsAndWorkersHaveOneLimitEverywhere() throws {
        let threaded = [Self.precompute, Self.train, ["evaluate", "--model", "m.pt", "--data", "fashion-mnist:test"],
                        ["verify", Self.noStore], ["predict", "--model", "m.pt", "a.png"]]
        for command in threaded {
            try expectUsageError(command + ["--threads", "0"], "--threads must be in 1…256")
            try expectUsageError(command + ["--threads", "257"], "--threads must be in 1…256")
        }
        for command in [Self.train, Self.stream] {
            try expectUsageError(command + ["--workers", "0"], "--workers must be in 1…256")
        }
    }

    @Test func rankMustBeBelowWorld() throws {
        for command in [Self.precompute, Self.train, Self.stream] {
            try expectUsageError(command + ["--rank", "2", "--world", "2"], "rank 2 of world 2 (--rank 2, --world 2): need 0 ≤ --rank < --world")
            try expectUsageError(command + ["--world", "0"], "--world must be ≥ 1")
            try expectUsageError(command + ["--rank=-1"], "--rank must be ≥ 0")
        }
    }

    @Test func precomputeTakesTheShardFromTorchrunOrSlurm() throws {
        try expectUsageError(Self.precompute, "rank 2 of world 2 (RANK=2, WORLD_SIZE=2)", environment: ["RANK": "2", "WORLD_SIZE": "2"])
        try expectUsageError(Self.precompute, "rank 2 of world 2 (SLURM_PROCID=2, SLURM_NTASKS=2)", environment: ["SLURM_PROCID": "2", "SLURM_NTASKS": "2"])
        try expectUsageError(Self.precompute, "RANK=x is not an integer", environment: ["RANK": "x"])
        // The options win over the environment.
        try expectUsageError(Self.precompute + ["--rank", "1", "--world", "1"], "rank 1 of world 1 (--rank 1, --world 1)",
                             environment: ["RANK": "0", "WORLD_SIZE": "2"])
    }

    @Test func trainTakesTheShardFromTorchrunOrSlurm() throws {
        try expectUsageError(Self.train, "rank 3 of world 2 (RANK=3, WORLD_SIZE=2)", environment: ["RANK": "3", "WORLD_SIZE": "2"])
        try expectUsageError(Self.train, "rank 5 of world 2 (SLURM_PROCID=5, SLURM_NTASKS=2)",
                             environment: ["SLURM_PROCID": "5", "SLURM_NTASKS": "2"])
    }

    @Test func streamTakesTheShardFromItsOptionsOnly() throws {
        let r = try CLI.run(Self.stream + ["--world", "2"], environment: ["RANK": "5", "SLURM_PROCID": "5"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains(Self.noStore))
    }

    @Test func helpShowsEachCommandsDefaults() throws {
        let precompute = try CLI.run(["precompute", "--help"], environment: ["COLUMNS": "200"]).stdout
        #expect(precompute.contains("Rows per batch (1…8192). (default: 64)"))
        #expect(precompute.contains("(default: RANK or SLURM_PROCID, else 0)"))
        let train = try CLI.run(["train", "--help"], environment: ["COLUMNS": "200"]).stdout
        #expect(train.contains("Rows per batch (1…8192). (default: 128)"))
        #expect(train.contains("Decode/augment threads. (default: 2)"))
        #expect(train.contains("(default: WORLD_SIZE or SLURM_NTASKS, else 1)"))
        let stream = try CLI.run(["stream", "--help"], environment: ["COLUMNS": "200"]).stdout
        #expect(stream.contains("This process's rank (default: 0)."))
    }
}
