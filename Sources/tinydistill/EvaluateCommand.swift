import ArgumentParser
import Foundation
import Images
import Models
import DataPipeline
import ModelJobs

/// `tinydistill evaluate`: top-1/top-5 accuracy of a model on a labelled source.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Top-1 and top-5 accuracy of a model on a labelled dataset (the reference's eval transform).",
        discussion: """
            Preprocessing is the reference's evaluation transform (shorter side resized to size/0.875, \
            centre crop, normalised). Checkpoints written by tinydistill record their architecture and \
            normalisation; other safetensors weights need --arch and are normalised with ImageNet's \
            mean/std; a .pt file is loaded as TorchScript and needs --image-size and --in-chans when they \
            are not 224 and 3.

            --json prints one object with keys top1, top5, samples, parameters, seconds and \
            calibration: nll (mean negative log-likelihood of the label, in nats), ece (expected \
            calibration error over 15 equal-width confidence bins) and bins (each bin's lower, upper, \
            count, mean confidence and accuracy: a reliability diagram's data).

            --agreement-with MODEL also runs another model (a teacher; --agreement-arch when its checkpoint \
            does not record one) through its own evaluation transform, and reports the share of samples on \
            which the two agree on the top-1 class (--json: top1_agreement) and that model's own top-1 \
            (agreement_model_top1).

            --class-correlation PNG also computes the Pearson correlation between classes of the model's \
            predicted probabilities on the dataset (as inspect --class-correlation does for a store) and \
            writes its heatmap; with --teacher-store, it prints how strongly the off-diagonal entries of the \
            teacher store's matrix and the model's correlate (the TinyViT paper's claim that the student \
            inherits its teacher's class relations). --json then adds class_relations and \
            teacher_student_correlation.

            Examples:
              tinydistill evaluate --model runs/kd/model.safetensors \\
                  --data fashion-mnist:test
              tinydistill evaluate --model teacher.pt --image-size 32 --in-chans 1 \\
                  --data fashion-mnist:test --json
              tinydistill evaluate --model runs/kd/model.safetensors \\
                  --data fashion-mnist:test --class-correlation student.png \\
                  --teacher-store fm.tdstore
            """
    )

    @Option(help: "Weights: safetensors or TorchScript .pt.")
    var model: String
    @Option(help: "Architecture (default: recorded in the checkpoint).")
    var arch: String?
    @Option(help: "Labelled dataset: fashion-mnist:test, an ImageFolder root, …")
    var data: String
    @Option(help: "Input size (default: the architecture's).")
    var imageSize: Int?
    @Option(help: "Input channels (default: the architecture's).")
    var inChans: Int?
    @Option(help: "Evaluate the first N samples only.")
    var limit: Int?
    @Flag(help: "Run a built-in architecture unfused (default: fused, BatchNorm folded into convolutions).")
    var unfused = false
    @Option(help: "Write the heatmap of the classes' correlation in the model's predictions (PNG).")
    var classCorrelation: String?
    @Option(help: "A teacher's store whose class correlation the model's is compared with (needs --class-correlation).")
    var teacherStore: String?
    @Option(help: "Another model (a teacher) whose top-1 class is compared with the model's on every sample.")
    var agreementWith: String?
    @Option(help: "The architecture of --agreement-with (default: recorded in its checkpoint).")
    var agreementArch: String?
    @OptionGroup var classMap: ClassMapOptions
    @OptionGroup var threads: ThreadOptions<Self>
    @OptionGroup var output: OutputOptions

    func run() throws {
        Torch.threads = threads.threads
        if teacherStore != nil && classCorrelation == nil { throw ValidationError("--teacher-store needs --class-correlation") }
        var options = EvaluateOptions(model: model, arch: arch, data: data, imageSize: imageSize, inChannels: inChans,
                                      limit: limit, fused: !unfused)
        options.classRelations = classCorrelation != nil
        options.teacherStore = teacherStore.map { [$0] }
        options.classMap = classMap.classMap
        if agreementArch != nil && agreementWith == nil { throw ValidationError("--agreement-arch needs --agreement-with") }
        options.agreementModel = agreementWith
        options.agreementArch = agreementArch
        let result = try EvaluateJob.run(options)
        if let path = classCorrelation, let relations = result.relations {
            do {
                try Data(try PNG.encode(relations.heatmap(cell: max(1, 512 / relations.numClasses)))).write(to: URL(fileURLWithPath: path))
            } catch {
                throw CLIFailure(message: "\(path): cannot write the picture (\(error))")
            }
        }
        if output.json {
            try OutputOptions.print(result)
        } else {
            print(String(format: "%@ on %@: top-1 %.2f %%, top-5 %.2f %% (%d samples, %.1f s)", model, data,
                         result.top1 * 100, result.top5 * 100, result.samples, result.seconds))
            if let a = result.top1Agreement, let t = result.otherTop1 {
                print(String(format: "top-1 agreement with %@: %.2f %% (its own top-1 %.2f %%)", agreementWith ?? "", a * 100, t * 100))
            }
            if let c = result.calibration {
                print(String(format: "calibration: NLL %.4f nats, ECE %.4f (15 confidence bins)", c.nll, c.ece))
            }
            if let relations = result.relations {
                print("class correlation of the predictions: \(classCorrelation ?? "")")
                for p in relations.confusedPairs.prefix(5) {
                    print(String(format: "  most confused: %@ / %@  %.4f", p.nameA, p.nameB, p.mass))
                }
            }
            if let r = result.teacherStudentCorrelation {
                print(String(format: "teacher/student class correlation (off-diagonal Pearson r): %.3f", r))
            }
        }
    }
}

extension EvaluateCommand: ThreadDefaults {}
