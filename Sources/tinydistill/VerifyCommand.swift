import ArgumentParser
import Foundation
import Models
import DataPipeline
import ModelJobs

/// `tinydistill verify`: can this store be trusted?
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a store's integrity and, with --teacher, that replayed augmentations give its records again.",
        discussion: """
            Integrity: SQLite's structure check; every chunk decodes and its checksum holds; record counts \
            match the chunk rows; every (epoch, sample) is stored once, belongs to its shard, has the seed \
            the seed scheme gives, classes below C and probabilities in range; no sample is missing unless \
            recorded as a failure; the dataset's fingerprint (with --data) and the policy's hash match. \
            Exit status 1 when any integrity check fails.

            A store whose last precompute did not finish (killed, interrupted, disk full) is reported as \
            incomplete, with the number of records a resume still has to compute: that is not damage.

            Replay (with --teacher): for --sample N random records (or --all), replay the augmentation, run \
            the teacher and compare top-1, the top-K class set and the values (same machine and threads: \
            100 % identical is expected). A built-in teacher runs fused or unfused as the store records \
            (--fused/--no-fused override).

            --json prints the report as one stable object (docs/cli.md, "verify --json").

            Examples:
              tinydistill verify fm.tdstore --data fashion-mnist:train
              tinydistill verify fm.tdstore --data fashion-mnist:train \\
                  --teacher teacher.safetensors --sample 512 --json
            """
    )

    @Argument(help: "The store file, its shard files, or a folder of shards.")
    var stores: [String]
    @Option(help: "The dataset the store indexes (fingerprint check; needed for replay).")
    var data: String?
    @OptionGroup var classMap: ClassMapOptions
    @Option(help: "Teacher to rerun on replayed pixels (as precompute's --teacher).")
    var teacher: String?
    @Option(help: "Architecture of safetensors teacher weights.")
    var arch: String?
    @Option(help: "Records to replay (random).")
    var sample: Int = 256
    @Flag(help: "Replay every record.")
    var all = false
    @Flag(name: .customLong("fused"), inversion: .prefixedNo,
          help: "Rerun a built-in teacher fused (BatchNorm folded) or not (default: as the store records).")
    var fused: Bool? = nil
    @OptionGroup var threads: ThreadOptions<Self>
    @OptionGroup var output: OutputOptions

    func run() throws {
        guard sample >= 1 else { throw ValidationError("--sample must be ≥ 1") }
        Torch.threads = threads.threads
        let report = try VerifyJob.run(paths: stores, data: data, teacher: teacher, arch: arch, sample: sample, all: all,
                                       fused: fused, classMap: classMap.classMap, teachers: ModelTeachers(), progress: { FileHandle.standardError.write(Data("verify: \($0)\n".utf8)) })
        if output.json {
            try OutputOptions.print(report)
        } else {
            print("store      \(report.paths.joined(separator: " "))")
            print("records    \(report.records) in \(report.chunks) chunks, \(report.epochs) epochs; known bad samples \(report.knownFailures)")
            print("dataset    \(report.dataset)")
            if let t = report.teacher { print("teacher    \(t.architecture.prefix(120)) (weights \(t.weightsHash))") }
            print("integrity  \(report.ok ? "ok" : "\(report.problemCount) problem(s)")")
            if !report.complete {
                print("complete   no: \(report.missingRecords) record(s) still to compute; the last precompute did not finish "
                      + "(\(report.unfinishedSessions.joined(separator: ", "))): re-run it to resume")
            }
            for p in report.problems.prefix(20) { print("  [\(p.kind)] \(p.detail)") }
            if let r = report.replay {
                print(String(format: "replay     %d records: top-1 agreement %.2f %%, top-K set agreement %.2f %%, identical values %.2f %%, max |Δp| %.2e",
                             r.records, r.top1Agreement * 100, r.topKSetAgreement * 100, r.identicalValues * 100, r.maxAbsDelta)
                      + (r.fusedInference.map { $0 ? " (fused teacher)" : " (unfused teacher)" } ?? ""))
                if let draws = r.drawAgreement {
                    print(String(format: "draws      %.2f %% of records draw the same classes; %d draw(s) differ, the farthest %.2e from its stored class",
                                 draws * 100, r.differingDraws ?? 0, r.maxDrawDistance ?? 0))
                }
            }
        }
        if !report.ok { throw CLIFailure(message: "\(report.problemCount) integrity problem(s); see above") }
    }
}

extension VerifyCommand: ThreadDefaults {}
