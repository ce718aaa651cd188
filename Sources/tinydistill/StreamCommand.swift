import ArgumentParser
import Foundation
import DataPipeline

/// `tinydistill stream`: batches from a store, measured or written for external trainers.
struct StreamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "Stream training batches from a store: report throughput, or write them for an external trainer.",
        discussion: """
            The batches are the ones `train` reads: every record's augmentation replayed from its seed, in \
            an order that depends only on the store, --seed and --epoch (not on ranks or workers); --rank R \
            --world W take rank R's share, and --position resumes at a rank-local cursor.

            --format none (default) reads and discards batches and reports images/s, the time spent \
            waiting for data and the peak memory. --format tdb writes the batches to stdout as frames a \
            PyTorch loop reads with numpy (docs/cli.md, "The tdb frame format"; examples/stream_consumer.py): \
            "TDBATCH1", u32 header length, a JSON header, then images float32 [n,c,h,w], indices int32 \
            [n,k], values float32 [n,k], labels int64 [n], sample ids int64 [n], all little-endian.

            The summary goes to stdout, or to stderr with --format tdb; --json prints it as one object \
            (batches, images, records, seconds, images_per_s, wait_s, max_rss_mb, epoch, stored_epoch, \
            rank, world).

            Examples:
              tinydistill stream --store fm.tdstore --data fashion-mnist:train \\
                  --batch 256 --limit 50
              tinydistill stream --store fm.tdstore --data fashion-mnist:train \\
                  --format tdb | python3 examples/stream_consumer.py
            """
    )

    /// `--format`: measure only, or write `tdb` frames to stdout.
    enum Format: String, ExpressibleByArgument { case none, tdb }

    @OptionGroup var source: StoreOptions

    @Option(help: "Training epoch (stored epochs are reused in a cycle).")
    var epoch: Int = 0

    @OptionGroup var batch: BatchOptions<Self>

    @OptionGroup var shard: ShardOptions<Self>

    @Option(help: "Order seed.")
    var seed: UInt64 = 0

    @Option(help: "A file of sample keys to leave out (one per line; inspect --label-noise --out writes one).")
    var exclude: String?

    @OptionGroup var classMap: ClassMapOptions

    @Option(help: "Start at this rank-local position (a resume cursor).")
    var position: Int = 0

    @Option(help: "Stop after N batches.")
    var limit: Int?

    @OptionGroup var workers: WorkerOptions<Self>

    @Option(help: "Output: none (measure) or tdb (frames on stdout).")
    var format: Format = .none

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard epoch >= 0, position >= 0 else { throw ValidationError("--epoch and --position must be ≥ 0") }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let (rank, world) = try shard.resolve()
        let loader = try Loader(storePaths: source.store, data: source.data,
                                options: { var o = LoaderOptions(batch: batch.batch, seed: seed, rank: rank, world: world, workers: workers.workers)
                                           o.exclude = exclude
                                           o.classMap = classMap.classMap
                                           return o }())
        let stream = try loader.batches(epoch: epoch, from: position)
        let start = Date()
        var batches = 0, images = 0, records = 0
        let out = FileHandle.standardOutput
        while limit.map({ batches < $0 }) ?? true, let b = try stream.next() {
            batches += 1
            images += b.n
            records += b.n
            if format == .tdb {
                do { try out.write(contentsOf: Self.frame(b)) } catch {
                    throw CLIFailure(message: "stdout closed after \(batches - 1) batches (\(error.localizedDescription))")
                }
            }
        }
        let seconds = Date().timeIntervalSince(start)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let maxRSS = Double(usage.ru_maxrss) / 1024  // Linux reports KiB
        let summary: [String: Any] = [
            "max_rss_mb": maxRSS,
            "batches": batches, "images": images, "records": records, "seconds": seconds,
            "images_per_s": Double(images) / max(seconds, 1e-9), "wait_s": stream.waitSeconds,
            "epoch": epoch, "stored_epoch": loader.storedEpoch(for: epoch), "rank": rank, "world": world,
        ]
        let text: String
        if output.json {
            text = String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self)
        } else {
            text = String(format: "%d batches, %d images in %.2f s: %.0f images/s; %.2f s waiting for data (%.0f %%); peak RSS %.0f MB",
                          batches, images, seconds, Double(images) / max(seconds, 1e-9), stream.waitSeconds,
                          100 * stream.waitSeconds / max(seconds, 1e-9), maxRSS)
        }
        if format == .tdb {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        } else {
            print(text)
        }
    }

    /// One batch as a `tdb` frame.
    static func frame(_ b: LoaderBatch) -> Data {
        let header: [String: Any] = ["epoch": b.epoch, "stored_epoch": b.storedEpoch, "position": b.position, "n": b.n,
                                     "c": b.channels, "h": b.height, "w": b.width, "k": b.k]
        let json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data()
        var d = Data("TDBATCH1".utf8)
        var length = UInt32(json.count).littleEndian
        withUnsafeBytes(of: &length) { d.append(contentsOf: $0) }
        d.append(json)
        b.withImages { d.append(contentsOf: UnsafeRawBufferPointer($0)) }
        b.indices.withUnsafeBytes { d.append(contentsOf: $0) }
        b.values.withUnsafeBytes { d.append(contentsOf: $0) }
        b.labels.withUnsafeBytes { d.append(contentsOf: $0) }
        b.sampleIDs.map { Int64($0) }.withUnsafeBytes { d.append(contentsOf: $0) }
        return d
    }
}

extension StreamCommand: BatchDefaults, WorkerDefaults, ShardDefaults {
    static let defaultBatch = 128
    static let defaultWorkers = ProcessInfo.processInfo.activeProcessorCount
    // --rank and --world only: a trainer that reads the stream passes its own rank.
    static let rankVariables: [String] = []
    static let worldVariables: [String] = []
}
