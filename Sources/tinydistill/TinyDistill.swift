import ArgumentParser

/// The `tinydistill` command: offline knowledge-distillation data, from teacher to student.
struct TinyDistill: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tinydistill",
        abstract: "Precompute a teacher's sparse soft targets once, inspect them, and stream them into student training.",
        discussion: """
            Exit status: 0 ok, 1 failure (the message on stderr names the file, record or option at fault), 2 usage error.

            Example:
              tinydistill precompute --data synthetic:10000 --teacher synthetic:1000 --epochs 2 --topk 10 --out demo.tdstore
              tinydistill inspect demo.tdstore
            """,
        version: "0.1.0",
        subcommands: [PrecomputeCommand.self, InspectCommand.self, MergeCommand.self, StreamCommand.self, TrainCommand.self, EvaluateCommand.self, VerifyCommand.self, AugmentCommand.self, PredictCommand.self]
    )
}
