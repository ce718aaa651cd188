import ArgumentParser
import Foundation
import Images
import DataPipeline
import Store

/// `tinydistill inspect`: what a store holds, how big it is, how faithful, and one record on demand.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe a store: metadata, epochs, size against the reference, distributions, digest.",
        discussion: """
            Reads every chunk once (checksums verified), one chunk in memory at a time, and prints the \
            metadata, epochs and record counts, size and bytes/record against the reference, the fidelity of \
            a lossy codec, distributions of the top-1 probability and the top-K mass, a record digest, \
            failures and the writer sessions. --json prints the stable document described in docs/cli.md \
            ("inspect --json (stable)"); its digest is the same for any two stores holding the same records, \
            whatever their chunking, sharding or write order.

            Several shard files, or a folder of them, are read as one store (they must come from the same \
            run: one file per rank).

            --record EPOCH:SAMPLE prints one record decoded (as JSON with --json). --grid writes a PNG of \
            replayed samples with their stored top-3 and needs --data, the dataset the store indexes.

            --class-correlation PNG writes the Pearson correlation between classes of the stored \
            probability vectors (the TinyViT paper's Figure 7: blue −1, white 0, red +1) and prints each \
            class's mean target entropy and the most confused pairs (--pairs), with class names from \
            --data when given; --json prints them (num_classes, records, class_names, mean_entropy, \
            confused_pairs, and the C × C correlation). C ≤ 4096.

            --label-noise ranks the samples whose teacher, averaged over every stored view of every epoch, \
            gives another class than the dataset label a mean probability of at least --min-confidence: \
            for each, the key, the label, the teacher's class and mean probability, the share of views that \
            agree, and a score (the teacher's class's mean probability minus the label's). --out writes \
            their keys, one per line. Class names come from --data.

            --report PAGE writes one self-contained HTML page (pictures inlined, no script, no network) \
            with the metadata and size against the reference, the probability histograms, replayed samples \
            with their stored top-3 and class names, the class-correlation heatmap and the label-noise \
            suspects with their images; it needs --data.

            --compare takes two stores (files or shard folders) of the same dataset, seeds and policy, made \
            by two teachers, and compares them record by record: top-1 agreement, mean and max KL between \
            the dense targets, top-K overlap, and all three per class (class names from --data). Stores \
            that do not hold views of the same samples are refused, naming the setting that differs.

            Examples:
              tinydistill inspect demo.tdstore
              tinydistill inspect demo.tdstore --json
              tinydistill inspect demo.tdstore --record 0:42
              tinydistill inspect demo.tdstore --grid grid.png --data fashion-mnist:train
              tinydistill inspect fm.tdstore --class-correlation corr.png \\
                  --data fashion-mnist:train
              tinydistill inspect a.tdstore b.tdstore --compare --data fashion-mnist:train
              tinydistill inspect fm.tdstore --data fashion-mnist:train \\
                  --report report.html
              tinydistill inspect fm.tdstore --label-noise --data fashion-mnist:train \\
                  --out suspects.txt
              tinydistill inspect shards/     # every *.tdstore in the folder, as one store
            """
    )

    @Argument(help: "The store file, its shard files, or a folder of shards.")
    var stores: [String]

    var store: String { stores.joined(separator: " ") }

    @OptionGroup var output: OutputOptions

    @Option(help: "Print one record, given as EPOCH:SAMPLE.")
    var record: String?

    @Option(help: "Write a PNG grid of replayed samples with their stored top-3 (needs --data).")
    var grid: String?

    @Option(help: "The dataset the store indexes (for --grid; class names for --class-correlation).")
    var data: String?

    @Option(help: "Tiles in the --grid picture.")
    var gridCount: Int = 16

    @Option(help: "Write the classes' correlation heatmap (PNG) and print entropy and confused pairs.")
    var classCorrelation: String?

    @Option(help: "Confused pairs to print with --class-correlation.")
    var pairs: Int = 10

    @Flag(help: "Compare two stores (the two arguments) made by two teachers from the same samples.")
    var compare = false

    @Flag(help: "Rank the samples whose teacher confidently disagrees with their label.")
    var labelNoise = false

    @Option(help: "Least mean probability of the teacher's class for --label-noise.")
    var minConfidence: Double = 0.9

    @Option(help: "With --label-noise, write the suspects' keys here, one per line.")
    var out: String?

    @Option(help: "Suspects printed by --label-noise (all go to --out and --json).")
    var show: Int = 20

    @Option(help: "Write a self-contained HTML page about the store (needs --data).")
    var report: String?

    @OptionGroup var classMap: ClassMapOptions

    func run() throws {
        if let report {
            guard let data else { throw ValidationError("--report needs --data (the dataset the store indexes)") }
            let page = try ReportPage.html(paths: stores, data: data, minConfidence: minConfidence, gridCount: gridCount,
                                           classMap: classMap.classMap)
            do { try Data(page.utf8).write(to: URL(fileURLWithPath: report), options: .atomic) } catch {
                throw CLIFailure(message: "\(report): cannot write the page (\(error.localizedDescription))")
            }
            print("report written to \(report) (\(page.utf8.count) bytes)")
            return
        }
        if labelNoise {
            try showLabelNoise()
            return
        }
        if compare {
            try showComparison()
            return
        }
        if let classCorrelation {
            try showClassRelations(png: classCorrelation)
            return
        }
        if let grid {
            guard let data else { throw ValidationError("--grid needs --data (the dataset the store indexes)") }
            guard (1...256).contains(gridCount) else { throw ValidationError("--grid-count must be in 1…256") }
            let (image, tiles) = try StoreGrid.render(storePaths: stores, data: data, count: gridCount)
            do {
                try Data(try PNG.encode(image)).write(to: URL(fileURLWithPath: grid))
            } catch {
                throw CLIFailure(message: "\(grid): cannot write the picture (\(error))")
            }
            let names = try DataSource.open(data).classNames
            let teacherNames = try ShardedStore(paths: stores).metadata.teacher.classNames ?? names
            func name(_ c: Int, _ names: [String]) -> String { c < names.count ? names[c] : "class \(c)" }
            print("tile  sample  label            teacher top-3 (stored, replayed pixels in \(grid))")
            for (i, t) in tiles.enumerated() {
                let top = t.top.map { "\(name($0.0, teacherNames)) \(String(format: "%.0f%%", $0.1 * 100))" }.joined(separator: ", ")
                print(pad(String(i), 4) + "  " + pad(String(t.sample), 6) + "  " + name(t.label, names).padding(toLength: 15, withPad: " ", startingAt: 0) + "  " + top)
            }
            return
        }
        if let record {
            try showRecord(record)
            return
        }
        let report = try InspectReport.make(paths: stores, classMap: classMap.classMap, datasetNames: try datasetClassNames())
        if output.json {
            try OutputOptions.print(report)
        } else {
            print(Self.text(report), terminator: "")
        }
    }

    /// The class names of `--data`, or nil without it.
    private func datasetClassNames() throws -> [String]? {
        try data.map { try DataSource.open($0).classNames }
    }

    private func showLabelNoise() throws {
        guard minConfidence > 0, minConfidence <= 1 else { throw ValidationError("--min-confidence must be in (0, 1]") }
        let names = try datasetClassNames()
        let result = try LabelNoise.make(paths: stores, minConfidence: minConfidence, classNames: names,
                                           classMap: classMap.classMap)
        if let out {
            do { try Data(result.exclusionList.utf8).write(to: URL(fileURLWithPath: out), options: .atomic) } catch {
                throw CLIFailure(message: "\(out): cannot write the suspects (\(error.localizedDescription))")
            }
        }
        if output.json {
            try OutputOptions.print(result)
            return
        }
        var text = "\(result.suspects.count) of \(result.samples) labelled samples: the teacher gives another class ≥ \(result.minConfidence) on average"
        text += out.map { " (keys in \($0))" } ?? ""
        text += "\nkey                               label          teacher        mean p   agree   score\n"
        for s in result.suspects.prefix(max(0, show)) {
            text += s.key.padding(toLength: 34, withPad: " ", startingAt: 0) + s.labelName.padding(toLength: 15, withPad: " ", startingAt: 0)
                + s.teacherName.padding(toLength: 15, withPad: " ", startingAt: 0)
                + String(format: "%.3f   %4.0f%%   %.3f\n", s.meanProbability, s.agreement * 100, s.score)
        }
        print(text, terminator: "")
    }

    private func showComparison() throws {
        guard stores.count == 2 else { throw ValidationError("--compare takes two stores (files or shard folders); got \(stores.count)") }
        let names = try datasetClassNames()
        let result = try StoreComparison.make(first: [stores[0]], second: [stores[1]], classNames: names)
        if output.json {
            try OutputOptions.print(result)
            return
        }
        var out = "\(stores[0]) against \(stores[1]): \(result.records) records in both"
        out += result.missingInSecond > 0 ? " (\(result.missingInSecond) only in the first)\n" : "\n"
        out += String(format: "top-1 agreement  %.2f %%\nKL (nats)        mean %.3e, max %.3e\ntop-K overlap    %.3f\n",
                      result.top1Agreement * 100, result.klMean, result.klMax, result.topKOverlap)
        out += "class                 records   top-1 agreement   mean KL\n"
        for p in result.perClass {
            out += p.name.padding(toLength: 22, withPad: " ", startingAt: 0) + pad(String(p.records), 7)
                + String(format: "   %14.2f %%   %.3e\n", p.top1Agreement * 100, p.klMean)
        }
        print(out, terminator: "")
    }

    private func showClassRelations(png path: String) throws {
        guard (1...10_000).contains(pairs) else { throw ValidationError("--pairs must be in 1…10000") }
        let names = try datasetClassNames()
        let relations = try ClassRelations.make(paths: stores, classNames: names, pairs: pairs, classMap: classMap.classMap)
        let cell = max(1, 512 / max(relations.numClasses, 1))
        do {
            try Data(try PNG.encode(relations.heatmap(cell: cell))).write(to: URL(fileURLWithPath: path))
        } catch {
            throw CLIFailure(message: "\(path): cannot write the picture (\(error))")
        }
        if output.json {
            try OutputOptions.print(relations)
            return
        }
        var out = "class correlation of \(relations.records) records, C = \(relations.numClasses): \(path)\n"
        out += "class                 mean entropy (nats)\n"
        for (i, h) in relations.meanEntropy.enumerated() {
            out += relations.classNames[i].padding(toLength: 22, withPad: " ", startingAt: 0) + (h.map { String(format: "%.4f", $0) } ?? "no record") + "\n"
        }
        out += "most confused pairs   mean probability given to the other   correlation\n"
        for p in relations.confusedPairs {
            let names = "\(p.nameA) / \(p.nameB)".padding(toLength: 38, withPad: " ", startingAt: 0)
            out += names + String(format: "%.4f", p.mass) + "                           " + (p.correlation.map { String(format: "%+.3f", $0) } ?? "–") + "\n"
        }
        print(out, terminator: "")
    }

    private func showRecord(_ spec: String) throws {
        let parts = spec.split(separator: ":")
        guard parts.count == 2, let epoch = Int(parts[0]), let sample = Int(parts[1]), epoch >= 0, sample >= 0 else {
            throw ValidationError("--record \(spec): expected EPOCH:SAMPLE, e.g. 0:42")
        }
        let reader = try ShardedStore(paths: stores)
        guard let rec = try reader.record(epoch: epoch, sample: sample) else {
            throw CLIFailure(message: "\(store): no record for epoch \(epoch), sample \(sample) (epochs stored: \(try reader.epochs().map { String($0.epoch) }.joined(separator: ", ")))")
        }
        let info = try reader.readers[0].sample(sample)
        let key = info?.key
        let label = info?.label
        if output.json {
            struct Out: Encodable {
                let record: TargetRecord
                let key: String?
                let label: Int?
                let mass: Float
            }
            try OutputOptions.print(Out(record: rec, key: key, label: label, mass: rec.probabilities.reduce(0, +)))
            return
        }
        var out = ""
        out += "epoch    \(rec.epoch)\nsample   \(rec.sampleID)\(key.map { "  (\($0))" } ?? "")\n"
        out += "label    \(label.map(String.init) ?? "unknown")\n"
        out += "seed     0x\(String(rec.seed, radix: 16))\n"
        out += String(format: "top-%d mass %.6f\n", rec.indices.count, rec.probabilities.reduce(0, +))
        out += "rank  class  probability\n"
        for (r, (c, p)) in zip(rec.indices, rec.probabilities).enumerated() {
            out += pad(String(r + 1), 4) + "  " + pad(String(c), 5) + "  " + String(format: "%.6f", p) + "\n"
        }
        print(out, terminator: "")
    }

    static func text(_ r: InspectReport) -> String {
        let m = r.metadata
        var rows: [(String, String)] = []
        rows.append(("store", r.path))
        rows.append(("format", "v\(m.formatVersion), codec \(m.valueCodec.rawValue), K=\(m.topK), C=\(m.numClasses), \(m.chunkRecords) records/chunk"))
        if let sampled = m.targets {
            rows.append(("targets", "\(sampled): \(sampled.draws) draws per record" + (sampled.temperature == 1 ? "" : " at T = \(sampled.temperature) (importance-weighted)")
                + (r.meanDrawnClasses.map { String(format: ", %.2f distinct classes on average (K = %d slots)", $0, m.topK) } ?? "")))
        }
        rows.append(("teacher", "\(m.teacher.architecture) (weights \(m.teacher.weightsHash))"))
        rows.append(("teacher classes", m.teacher.classNames.map { names in
            "\(names.count) named (\(names.prefix(3).joined(separator: ", "))\(names.count > 3 ? ", …" : ""); \(m.teacher.classNamesDigest ?? ""))"
        } ?? "names unknown"))
        rows.append(("dataset", "\(m.dataset.source): \(m.dataset.sampleCount) samples, fingerprint \(m.dataset.fingerprint)"))
        if let names = m.dataset.classNames, names != m.teacher.classNames {
            rows.append(("dataset classes", "\(names.count) (\(names.prefix(3).joined(separator: ", "))\(names.count > 3 ? ", …" : ""))"
                         + (m.teacher.classNames == nil ? "" : ": not the teacher's; reading its targets against these labels takes a class map")))
        }
        if let e = m.exclusion {
            rows.append(("excluded", "\(e.samples) samples per epoch, listed in \(e.file) (ids \(e.hash)); each is a recorded failure"))
        }
        rows.append(("policy", m.policyHash.map { "hash \($0)" } ?? "none"))
        rows.append(("run seed", "\(m.runSeed) (\(m.seedScheme))"))
        rows.append(("shard", "\(m.shard.rank) of \(m.shard.world)"))
        let complete = m.epochs - r.incompleteEpochs.count
        rows.append(("epochs", "\(complete) of \(m.epochs) complete" + (r.incompleteEpochs.isEmpty ? "" : "; incomplete: \(r.incompleteEpochs.map(String.init).joined(separator: ", "))")))
        rows.append(("records", "\(r.records) in \(r.chunks) chunks"))
        rows.append(("file size", "\(r.fileBytes) bytes"))
        let reference = Double(r.referenceBytesPerRecord)
        rows.append(("bytes/record", String(
            format: "%.2f in chunks (%.3f× the reference's %d B); %.2f for the whole file (%.3f×: + samples table, SQLite pages)",
            r.payloadBytesPerRecord, r.payloadBytesPerRecord / reference, r.referenceBytesPerRecord, r.bytesPerRecord, r.ratioToReference)))
        rows.append(("compression", String(format: "%.2f× (decoded chunk bytes / stored chunk bytes)", r.compressionRatio)))
        if let sampled = m.targets, !sampled.storesValues {
            rows.append(("fidelity", "exact (draw counts; the value of a class is its count / N)"))
        } else if let sampled = m.targets, m.valueCodec == .q8 {
            rows.append(("fidelity", "draw counts exact; importance weights in q8 (\(sampled))"))
        } else if m.valueCodec == .fp16 {
            rows.append(("fidelity", "lossless (exact half-precision values)"))
        } else {
            rows.append(("fidelity", String(format: "KL(fp16 ‖ %@) mean %.3g, max %.3g nats (measured at write time)", m.valueCodec.rawValue, r.klMean, r.klMax)))
        }
        rows.append(("top-1 prob", dist(r.top1Probability)))
        rows.append(("top-K mass", dist(r.topKMass)))
        if r.labelsInOtherClasses {
            rows.append(("teacher acc", "not measured: the labels are the dataset's classes, not the teacher's (precompute had a class map); give it with --class-map"))
        } else {
            rows.append(("teacher acc", r.teacherAccuracy.map {
                String(format: "%.2f %% top-1 vs labels", 100 * $0) + (r.classMapDigest.map { ", through the class map (\($0.prefix(19))…)" } ?? "")
            } ?? "labels unknown"))
        }
        if let warning = TeacherAgreement.warning(agreement: r.teacherAccuracy, classes: m.numClasses,
                                                  named: m.teacher.classNames != nil || m.teacher.architecture == "synthetic",
                                                  recordedTop1: m.teacher.recordedTop1, recordedOn: m.teacher.recordedTop1Data) {
            rows.append(("warning", warning))
        }
        rows.append(("top-1 classes", "\(r.top1ClassesSeen) seen; most frequent " + r.top1ClassesMostFrequent.prefix(5).map { "\($0.classIndex) (\($0.count))" }.joined(separator: ", ")))
        rows.append(("digest", r.digest))
        rows.append(("failures", "\(r.failures)"))
        rows.append(("sessions", "\(r.sessions.count): " + r.sessions.map(\.status).joined(separator: ", ")))
        let width = rows.map(\.0.count).max() ?? 0
        var out = rows.map { pad($0.0, width, left: true) + "  " + $0.1 }.joined(separator: "\n") + "\n\n"
        out += "epoch  records  chunks\n"
        for e in r.epochs { out += pad(String(e.epoch), 5) + "  " + pad(String(e.records), 7) + "  " + pad(String(e.chunks), 6) + "\n" }
        out += "\ntop-1 probability        top-K mass\n"
        let a = bars(r.top1Probability.bins)
        let b = bars(r.topKMass.bins)
        for i in 0..<a.count { out += a[i] + "   " + b[i] + "\n" }
        return out
    }

    static func dist(_ d: InspectReport.Distribution) -> String {
        String(format: "mean %.3f  p10 %.2f  p50 %.2f  p90 %.2f", d.mean, d.p10, d.p50, d.p90)
    }

    /// Ten rows of a histogram folded to 10 bins: "0.0-0.1 ██████".
    static func bars(_ bins: [Int]) -> [String] {
        let folded = stride(from: 0, to: bins.count, by: 2).map { bins[$0] + (($0 + 1) < bins.count ? bins[$0 + 1] : 0) }
        let peak = max(folded.max() ?? 1, 1)
        return folded.enumerated().map { i, c in
            let bar = String(repeating: "█", count: Int((Double(c) / Double(peak) * 12).rounded()))
            return String(format: "%.1f-%.1f ", Double(i) / 10, Double(i + 1) / 10) + bar.padding(toLength: 13, withPad: " ", startingAt: 0)
        }
    }
}

/// Pads `s` to `n` characters (right-aligned unless `left`).
func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, n - s.count))
    return left ? s + fill : fill + s
}
