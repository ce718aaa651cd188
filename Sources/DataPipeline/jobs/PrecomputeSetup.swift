import DetCore
import Augment
import Foundation
import Images
import Store

/// What a precompute run works with, resolved from its options in named steps: the dataset, the
/// teacher, the augmentation policy (nil for a dataset without images), the channels the teacher sees
/// and the store metadata that records all of it. Every refusal names the options field at fault.
struct PrecomputeSetup {
    let source: any ImageSource
    let teacher: any Teacher
    let policy: AugmentPolicy?
    let channels: Int
    let metadata: StoreMetadata
    let exclusion: SampleExclusion?

    /// Resolves `o`; `given` is a teacher the caller runs (``CallerTeacher``), used instead of the one
    /// `o.teacher` names, which `teachers` opens.
    init(options o: PrecomputeOptions, teacher given: (any Teacher)? = nil, teachers: any TeacherOpener) throws(PipelineError) {
        if o.data.hasPrefix("synthetic:") {
            // No images: only the synthetic teacher, whose class count labels the dataset when C is omitted.
            guard given == nil && o.teacher.hasPrefix("synthetic:") else {
                throw .invalid(field: "data", value: o.data,
                               why: "synthetic:N has no images for a model teacher; use synthetic-images:N:WxHxC, an ImageFolder or fashion-mnist")
            }
            let teacher = try teachers.open(spec: o.teacher, arch: nil, maxK: o.maxEntries, probe: (3, 1), fused: o.fusedTeacher)
            self.teacher = teacher
            source = try DataSource.open(o.data, defaultClasses: teacher.numClasses)
            policy = nil
            channels = 3
        } else {
            source = try DataSource.open(o.data)
            let named = try Self.policy(o.policy, inline: o.policyJSON)
            var policy = named ?? .tinyViT(outputSize: 224)
            let firstChannels = Self.firstChannels(source)
            if let given {
                teacher = given
            } else {
                teacher = try teachers.open(spec: o.teacher, arch: o.arch, maxK: o.maxEntries,
                                                 probe: (firstChannels, named == nil ? 224 : policy.outputSize), fused: o.fusedTeacher)
            }
            if named == nil, let size = teacher.requiredInputSize { policy = .tinyViT(outputSize: size) }
            try Self.check(policy: policy, named: o.policy ?? (o.policyJSON == nil ? nil : "inline policy"), against: teacher)
            self.policy = policy
            channels = teacher.inputChannels ?? firstChannels
        }
        // A caller's teacher of unknown C (0): the checks that need it run at the first write (``classesKnown``).
        if teacher.numClasses > 0 { try Self.check(targetsOf: o, classes: teacher.numClasses) }
        var teacherMeta = teacher.metadata
        if let path = o.teacherClasses {
            guard teacherMeta.classNames == nil else {
                throw .invalid(field: "teacherClasses", value: path, why: "the teacher already carries its class names; give them once")
            }
            teacherMeta.classNames = try TeacherClassNames.load(path: path, count: teacher.numClasses)
        }
        if let names = teacherMeta.classNames, o.classMap == nil {
            try TeacherClassNames.compare(teacher: names, source: source, data: o.data)
        }
        if teacher.numClasses > 0 { try Self.classesKnown(teacher.numClasses, source: source, teacherNames: teacherMeta.classNames, options: o) }
        if policy != nil { teacherMeta.inputChannels = channels }
        var exclusion: SampleExclusion?
        if let path = o.exclude {
            let e = try SampleExclusion(path: path, source: source)
            if !e.samples.isEmpty { exclusion = e }
        }
        self.exclusion = exclusion
        var meta = StoreMetadata(
            numClasses: teacher.numClasses, topK: o.entries(classes: teacher.numClasses), valueCodec: o.codec, epochs: o.epochs, chunkRecords: o.chunkRecords,
            runSeed: o.seed, teacher: teacherMeta, policy: policy?.canonicalJSON(), policyHash: policy?.hash,
            dataset: .init(source: o.data, sampleCount: source.count, fingerprint: source.fingerprint,
                           classNames: TeacherClassNames.datasetNames(source, data: o.data)),
            shard: .init(rank: o.rank, world: o.world))
        if let e = exclusion { meta.exclusion = .init(file: e.path, samples: e.samples.count, hash: e.hash) }
        meta.targets = o.targets
        metadata = meta
    }

    /// The dataset's samples as the store's samples table holds them.
    var samples: some Sequence<Sample> {
        let source = self.source
        return (0..<source.count).lazy.map { source.sample($0) }
    }

    /// The policy file `path` (or the `inline` JSON) parsed, or nil for the default.
    static func policy(_ path: String?, inline: String? = nil) throws(PipelineError) -> AugmentPolicy? {
        if let inline {
            guard path == nil else { throw .invalid(field: "policy", value: path!, why: "give a policy file or inline JSON, not both") }
            do { return try AugmentPolicy.parse(Array(inline.utf8), source: "inline policy") } catch {
                throw .invalid(field: "policy", value: "inline policy", why: Self.reason(error))
            }
        }
        guard let path else { return nil }
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw .invalid(field: "policy", value: path, why: "cannot read the file")
        }
        do { return try AugmentPolicy.parse([UInt8](bytes), source: path) } catch {
            throw .invalid(field: "policy", value: path, why: Self.reason(error))
        }
    }

    /// What is wrong with a policy, without the source that the error naming the field already shows.
    static func reason(_ error: AugmentError) -> String {
        if case .badPolicy(_, let detail) = error { return "invalid augmentation policy: \(detail)" }
        return error.description
    }

    /// The channels of the first decodable sample among the first 64 (TorchScript teachers take those).
    static func firstChannels(_ source: any ImageSource) -> Int {
        for id in 0..<min(source.count, 64) {
            if let image = try? source.image(id) { return image.channels }
        }
        return 3
    }

    /// The policy renders what the teacher takes, without pair mode.
    static func check(policy: AugmentPolicy, named path: String?, against teacher: any Teacher) throws(PipelineError) {
        if let size = teacher.requiredInputSize, size != policy.outputSize {
            throw .invalid(field: "policy", value: path ?? "default",
                           why: "its output size \(policy.outputSize) differs from the teacher's input size \(size)")
        }
        if teacher.input == .pixels, let e = policy.erasing, e.probability > 0 {
            throw .invalid(field: "pixels", value: "uint8",
                           why: "the policy's random erasing draws its noise in normalised space, which uint8 pixels cannot hold; take float32 pixels or remove \"erasing\"")
        }
        guard policy.mix == nil else {
            throw .invalid(field: "policy", value: path ?? "default",
                           why: "Mixup/CutMix (pair mode) is not supported by precompute yet; remove \"mix\"")
        }
    }

    /// The checks that need the teacher's class count C: K, the labels, and the class map against the
    /// teacher's classes and the dataset's.
    static func classesKnown(_ classes: Int, source: any ImageSource, teacherNames: [String]?, options o: PrecomputeOptions) throws(PipelineError) {
        try check(targetsOf: o, classes: classes)
        if let path = o.classMap {
            // The map says how the dataset's classes relate to the teacher's; the store stays in the teacher's.
            _ = try ClassMap(path: path, teacherClasses: classes, teacherNames: teacherNames,
                             studentNames: source.classNames.isEmpty ? nil : source.classNames)
        }
        try checkLabels(source, classes: classes, data: o.data)
    }

    /// K lies in 1…min(C, 1024), or the sampled targets' N and T in their ranges.
    static func check(targetsOf o: PrecomputeOptions, classes: Int) throws(PipelineError) {
        guard let targets = o.targets else { return try check(topK: o.topK, classes: classes) }
        do { try targets.validate() } catch {
            throw .invalid(field: "targets", value: targets.description, why: "\(error)")
        }
    }

    /// K lies in 1…min(C, 1024).
    static func check(topK: Int, classes: Int) throws(PipelineError) {
        guard topK >= 1, topK <= min(classes, 1024) else {
            throw .invalid(field: "topK", value: "\(topK)", why: "K must be in 1…min(C, 1024) (C = \(classes))")
        }
    }

    /// Every label is a class of the teacher.
    static func checkLabels(_ source: any ImageSource, classes: Int, data: String) throws(PipelineError) {
        if let bad = (0..<source.count).first(where: { source.sample($0).label >= classes }) {
            throw .invalid(field: "data", value: data,
                           why: "sample \(bad) has label \(source.sample(bad).label) but the teacher has \(classes) classes")
        }
    }
}
