/// Opens the teacher a spec names (`synthetic:C`, a TorchScript file, safetensors weights of a built-in
/// architecture). The torch-free jobs (``PrecomputeJob``, ``TeacherStage``, ``VerifyJob``) take one, so
/// this module never links a model library: ``SyntheticTeachers`` opens the synthetic teacher only, and
/// the `ModelJobs` module's `ModelTeachers` adds the libtorch models. The CLI passes the latter; the C
/// ABI, whose caller runs the teacher, the former.
public protocol TeacherOpener: Sendable {
    /// Opens `spec` (`arch`: the architecture of safetensors weights, or nil for the one the file
    /// records). Errors name the field `teacher`.
    /// - Parameters:
    ///   - maxK: largest K the synthetic generator must produce.
    ///   - probe: (channels, size) of one input, to learn a TorchScript model's class count.
    ///   - fused: run a built-in architecture with BatchNorm folded into its convolutions.
    func open(spec: String, arch: String?, maxK: Int, probe: (channels: Int, size: Int),
              fused: Bool) throws(PipelineError) -> any Teacher
}

/// The teachers that need no model library: `synthetic:C` (``SyntheticTeacher``). Any other spec is
/// refused, naming the field `teacher`.
public struct SyntheticTeachers: TeacherOpener {
    /// The opener.
    public init() {}

    public func open(spec: String, arch: String?, maxK: Int, probe: (channels: Int, size: Int),
                     fused: Bool) throws(PipelineError) -> any Teacher {
        guard spec.hasPrefix("synthetic:") else {
            throw .invalid(field: "teacher", value: spec,
                           why: "this caller opens only synthetic:C teachers; a model teacher needs the tinydistill CLI, or run it yourself through TeacherStage")
        }
        guard let c = Int(spec.dropFirst("synthetic:".count)), c >= 2, c <= 1 << 24 else {
            throw .invalid(field: "teacher", value: spec, why: "synthetic:C needs an integer C in 2…16,777,216")
        }
        return SyntheticTeacher(numClasses: c, maxK: max(1, min(maxK, c)))
    }
}
