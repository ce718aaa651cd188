import ArgumentParser

/// The `tinydistill` command: offline knowledge-distillation data, from teacher to student.
struct TinyDistill: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tinydistill",
        abstract: "Precompute a teacher's sparse soft targets once, inspect them, and stream them into student training.",
        discussion: """
            The workflow: `precompute` runs the teacher once and writes its top-K probabilities with each \
            sample's augmentation seed into a store; `inspect` and `verify` describe and check a store, \
            `merge` joins the shard files of one run; `stream` and `train` replay every augmentation \
            from its seed and feed the stored targets to a student, with no teacher online; `evaluate` and \
            `predict` run a model; `augment` shows what a policy does to an image.

            Exit status: 0 ok; 1 failure (the message on stderr names the file, record or option at \
            fault); 2 usage error (a missing or invalid option); 130 interrupted (SIGINT or SIGTERM; the \
            work committed so far is kept and the message says how to resume).

            Example:
              tinydistill precompute --data synthetic:10000 --teacher synthetic:1000 \\
                  --epochs 2 --topk 10 --out demo.tdstore
              tinydistill inspect demo.tdstore
            """,
        version: "0.1.0",
        subcommands: [PrecomputeCommand.self, InspectCommand.self, MergeCommand.self, StreamCommand.self, TrainCommand.self, EvaluateCommand.self, VerifyCommand.self, AugmentCommand.self, PredictCommand.self, PackCommand.self]
    )
}
