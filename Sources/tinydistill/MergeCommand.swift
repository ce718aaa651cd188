import ArgumentParser
import Foundation
import Store

/// `tinydistill merge`: shard files into one store file.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the shard files of one precompute run into a single store file.",
        discussion: """
            Every shard (one per rank) must be given, as files or a folder; they must come from the same \
            run. Records are decoded, checked and re-encoded; the result's inspect digest equals the \
            shards' digest. The output must not exist.

            --json prints one object with keys records, shards and out.

            Example:
              tinydistill merge shards/ --out run.tdstore
            """
    )

    @Argument(help: "Shard files or a folder of them.")
    var shards: [String]

    @Option(help: "The merged store file (must not exist).")
    var out: String

    @OptionGroup var output: OutputOptions

    func run() throws {
        let set = try ShardedStore(paths: shards)
        let records = try set.merge(into: out)
        if output.json {
            let doc: [String: Any] = ["records": records, "shards": set.paths, "out": out]
            print(String(decoding: try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("merged \(records) records from \(set.paths.count) shard(s) into \(out)")
        }
    }
}
