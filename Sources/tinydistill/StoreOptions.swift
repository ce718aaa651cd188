import ArgumentParser

/// `--store` and `--data`: the store a reader takes its records from and the dataset whose images it
/// indexes (`train`, `stream`).
struct StoreOptions: ParsableArguments {
    @Option(help: "Store file, shard file or shard folder (repeat for several).")
    var store: [String]

    @Option(help: "The dataset the store indexes.")
    var data: String
}
