internal import CTorchBridge
import DetCore
import Foundation

/// A model on libtorch: a built-in architecture or a TorchScript module. Not thread-safe: use one model per
/// thread (libtorch parallelises each call internally, see `Torch.threads`).
public final class Model {
    let handle: OpaquePointer
    /// The architecture, or nil for a TorchScript module.
    public let architecture: Architecture?
    /// Where a TorchScript module came from.
    public let source: String?

    /// Description of one state-dict entry.
    public struct StateInfo: Sendable, Equatable {
        public var name: String
        public var dtype: TensorDType
        public var shape: [Int]
        /// Trainable parameter (true) or buffer (BatchNorm statistics).
        public var isParameter: Bool
    }

    /// Builds `architecture` with the reference's initialisation, seeded by `seed`.
    public init(_ architecture: Architecture, seed: UInt64 = 0) throws(ModelError) {
        var pointer: OpaquePointer?
        switch architecture {
        case .tinyViT(let c):
            guard (2...Int(TD_MAX_STAGES)).contains(c.embedDims.count), c.depths.count == c.embedDims.count,
                  c.numHeads.count == c.embedDims.count, c.windowSizes.count == c.embedDims.count else {
                throw .invalidArgument("TinyViT config: embed_dims, depths, num_heads and window_sizes need the same length, 2 to 8 stages")
            }
            var cfg = td_tinyvit_config()
            cfg.img_size = Int32(clamping: c.imgSize)
            cfg.in_chans = Int32(clamping: c.inChans)
            cfg.num_classes = Int32(clamping: c.numClasses)
            cfg.num_stages = Int32(c.embedDims.count)
            withUnsafeMutableBytes(of: &cfg.embed_dims) { Self.fill($0, c.embedDims) }
            withUnsafeMutableBytes(of: &cfg.depths) { Self.fill($0, c.depths) }
            withUnsafeMutableBytes(of: &cfg.num_heads) { Self.fill($0, c.numHeads) }
            withUnsafeMutableBytes(of: &cfg.window_sizes) { Self.fill($0, c.windowSizes) }
            cfg.mlp_ratio = c.mlpRatio
            cfg.drop_rate = c.dropRate
            cfg.drop_path_rate = c.dropPathRate
            cfg.mbconv_expand_ratio = c.mbconvExpandRatio
            cfg.local_conv_size = Int32(clamping: c.localConvSize)
            try Torch.check(td_tinyvit_create(&cfg, seed, &pointer), "building TinyViT")
        case .resNet(let c):
            guard c.layers.count == 4 else { throw .invalidArgument("ResNet config: layers needs 4 stages") }
            var cfg = td_resnet_config()
            cfg.in_chans = Int32(clamping: c.inChans)
            cfg.num_classes = Int32(clamping: c.numClasses)
            cfg.bottleneck = c.bottleneck ? 1 : 0
            withUnsafeMutableBytes(of: &cfg.layers) { Self.fill($0, c.layers) }
            cfg.base_width = Int32(clamping: c.baseWidth)
            cfg.small_input = c.smallInput ? 1 : 0
            try Torch.check(td_resnet_create(&cfg, seed, &pointer), "building ResNet")
        case .efficientFormer(let c):
            guard c.layers.count == 4, c.embedDims.count == 4, c.downsamples.count >= 3 else {
                throw .invalidArgument("EfficientFormer config: layers and embed_dims need 4 stages, downsamples at least 3 entries")
            }
            var cfg = td_efficientformer_config()
            cfg.img_size = Int32(clamping: c.imgSize)
            cfg.in_chans = Int32(clamping: c.inChans)
            cfg.num_classes = Int32(clamping: c.numClasses)
            withUnsafeMutableBytes(of: &cfg.layers) { Self.fill($0, c.layers) }
            withUnsafeMutableBytes(of: &cfg.embed_dims) { Self.fill($0, c.embedDims) }
            withUnsafeMutableBytes(of: &cfg.downsamples) { Self.fill($0, c.downsamples.map { $0 ? 1 : 0 }) }
            cfg.mlp_ratio = c.mlpRatios
            cfg.vit_num = Int32(clamping: c.vitNum)
            cfg.distillation = c.distillation ? 1 : 0
            cfg.pool_size = Int32(clamping: c.poolSize)
            cfg.layer_scale_init_value = c.layerScaleInitValue
            cfg.drop_rate = c.dropRate
            cfg.drop_path_rate = c.dropPathRate
            try Torch.check(td_efficientformer_create(&cfg, seed, &pointer), "building EfficientFormer")
        }
        self.handle = pointer!
        self.architecture = architecture
        self.source = nil
    }

    /// Loads a TorchScript module saved with `torch.jit.save` (its forward takes one NCHW float tensor and
    /// returns logits). Nothing in the file is executed by Python; libtorch's own interpreter runs the graph.
    public init(torchScriptAt path: String) throws(ModelError) {
        guard FileManager.default.fileExists(atPath: path) else { throw .io(path: path, reason: "no such TorchScript file") }
        var pointer: OpaquePointer?
        try Torch.check(td_torchscript_load(path, &pointer), "\(path): loading TorchScript")
        self.handle = pointer!
        self.architecture = nil
        self.source = path
    }

    /// Builds `architecture` and loads the safetensors weights at `weightsPath` (strict).
    public convenience init(_ architecture: Architecture, weights weightsPath: String) throws(ModelError) {
        try self.init(architecture)
        try loadWeights(from: weightsPath)
    }

    deinit { td_model_free(handle) }

    private static func fill(_ raw: UnsafeMutableRawBufferPointer, _ values: [Int]) {
        let p = raw.bindMemory(to: Int32.self)
        for (i, v) in values.enumerated() where i < p.count { p[i] = Int32(clamping: v) }
    }

    /// A short name: the architecture family or "torchscript".
    public var kind: String { architecture?.family ?? "torchscript" }

    /// Trainable parameter elements (buffers excluded, as the reference counts).
    public var parameterCount: Int { Int(td_model_parameter_count(handle)) }

    /// Output classes (0 for a TorchScript module that has not run yet).
    public var numClasses: Int { Int(td_model_num_classes(handle)) }

    /// The state dict's entries in model order (parameters, then buffers).
    public var stateInfo: [StateInfo] {
        let count = td_model_state_count(handle)
        var out: [StateInfo] = []
        out.reserveCapacity(Int(count))
        for i in 0..<count {
            var name: UnsafePointer<CChar>?
            var dtype: Int32 = 0, ndim: Int32 = 0, isParameter: Int32 = 0
            var shape = [Int64](repeating: 0, count: Int(TD_MAX_DIMS))
            guard td_model_state_info(handle, i, &name, &dtype, &ndim, &shape, &isParameter) == 0, let name,
                  let type = TensorDType(bridgeCode: dtype) else { continue }
            out.append(StateInfo(name: String(cString: name), dtype: type, shape: shape.prefix(Int(ndim)).map { Int($0) },
                                 isParameter: isParameter != 0))
        }
        return out
    }

    /// A copy of the state dict (reference names), in model order.
    public func state() throws(ModelError) -> [NamedTensor] {
        var out: [NamedTensor] = []
        for info in stateInfo {
            var bytes = [UInt8](repeating: 0, count: info.shape.reduce(1, *) * info.dtype.byteSize)
            let status = bytes.withUnsafeMutableBytes { td_model_state_read(handle, info.name, $0.baseAddress, Int64($0.count)) }
            try Torch.check(status, "reading '\(info.name)'")
            out.append(NamedTensor(name: info.name, dtype: info.dtype, shape: info.shape, bytes: bytes))
        }
        return out
    }

    /// Overwrites one state entry (shape must match; dtype converted).
    public func setState(_ tensor: NamedTensor) throws(ModelError) {
        var shape = tensor.shape.map { Int64($0) }
        let status = tensor.bytes.withUnsafeBytes { raw in
            td_model_state_write(handle, tensor.name, tensor.dtype.bridgeCode, Int32(shape.count), &shape, raw.baseAddress)
        }
        try Torch.check(status, "loading '\(tensor.name)'")
    }

    /// Loads every tensor of `file` (strict: no missing, unexpected or differently shaped tensor). The
    /// reference's derived `attention_bias_idxs` buffers are ignored when present.
    public func loadWeights(_ file: SafetensorsFile) throws(ModelError) {
        // `attention_bias_idxs` is derived from the window/grid size: the reference stores it in some models
        // (EfficientFormer) and not in others (TinyViT). It is never loaded; when both sides have it, it must
        // be equal.
        let derived = { (name: String) in name.hasSuffix("attention_bias_idxs") }
        let info = stateInfo.filter { !derived($0.name) }
        let expected = Dictionary(uniqueKeysWithValues: info.map { ($0.name, $0) })
        let provided = Set(file.names.filter { !derived($0) })
        let missing = info.map(\.name).filter { !provided.contains($0) }
        let unexpected = provided.filter { expected[$0] == nil }.sorted()
        func list(_ names: [String]) -> String {
            names.prefix(5).joined(separator: ", ") + (names.count > 5 ? " and \(names.count - 5) more" : "")
        }
        if !missing.isEmpty || !unexpected.isEmpty {
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing \(missing.count) tensor(s): \(list(missing))") }
            if !unexpected.isEmpty { parts.append("unexpected \(unexpected.count) tensor(s): \(list(unexpected))") }
            throw .weightsMismatch(path: file.path, reason: parts.joined(separator: "; ") + " (is --arch right?)")
        }
        for name in info.map(\.name) {
            let entry = file.entries[name]!
            let want = expected[name]!
            guard entry.shape == want.shape else {
                throw .weightsMismatch(path: file.path, reason: "tensor '\(name)' has shape \(entry.shape), the model expects \(want.shape)")
            }
            guard entry.dtype.isFloatingPoint == want.dtype.isFloatingPoint else {
                throw .weightsMismatch(path: file.path, reason: "tensor '\(name)' is \(entry.dtype.rawValue), the model expects \(want.dtype.rawValue)")
            }
        }
        let ours = try state().filter { derived($0.name) }
        for t in ours where file.entries[t.name] != nil {
            let theirs = try file.tensor(t.name)
            guard theirs.shape == t.shape, theirs.floats == t.floats else {
                throw .weightsMismatch(path: file.path, reason: "'\(t.name)' differs from the index this architecture derives (another resolution?)")
            }
        }
        for name in info.map(\.name) { try setState(try file.tensor(name)) }
    }

    /// Loads the safetensors weights at `path` (strict).
    public func loadWeights(from path: String) throws(ModelError) {
        try loadWeights(try SafetensorsFile(contentsOf: path))
    }

    /// Writes the state dict to `path` as safetensors with the reference's names (loads into the reference
    /// PyTorch model with `load_state_dict(strict=True)`), plus `metadata` and the architecture.
    public func saveWeights(to path: String, metadata: [String: String] = [:]) throws(ModelError) {
        var meta = metadata
        if let architecture { meta["tinydistill.arch"] = architecture.json }
        try SafetensorsFile.write(try state(), metadata: meta, to: path)
    }

    /// XXH64 over the state dict (names, dtypes, shapes and bytes, in name order): identifies the weights
    /// whatever file they came from.
    public func weightsDigest() throws(ModelError) -> String {
        var hasher = XXH64.Streaming()
        for t in try state().sorted(by: { $0.name < $1.name }) {
            hasher.update(Array("\(t.name)|\(t.dtype.rawValue)|\(t.shape)|".utf8))
            hasher.update(t.bytes)
        }
        return "xxh64:" + XXH64.hex(hasher.finalize())
    }

    /// Train mode (BatchNorm batch statistics, drop path) or eval mode.
    public func setTraining(_ training: Bool) throws(ModelError) {
        try Torch.check(td_model_set_training(handle, training ? 1 : 0), "setting train/eval mode")
    }

    /// Whether eval-mode forwards run fused: every BatchNorm after a convolution folded into it and
    /// gathered attention biases cached. Training mode always runs the unfused graph; the state dict
    /// (and so saved weights and `weightsDigest`) is the same either way.
    public var isFused: Bool { td_model_is_fused(handle) != 0 }

    /// Turns fused inference on or off. The folded tensors follow later weight changes automatically.
    /// Throws `unsupported` for TorchScript modules, whose graph the bridge does not own.
    public func setFused(_ fused: Bool) throws(ModelError) {
        try Torch.check(td_model_set_fused(handle, fused ? 1 : 0), "setting fused inference")
    }

    /// Logits (n x classes, row-major) for `input` (n x c x h x w float32, row-major), without gradients.
    public func forward(_ input: [Float], n: Int, c: Int, h: Int, w: Int) throws(ModelError) -> [Float] {
        try input.withUnsafeBufferPointer { p throws(ModelError) in try forward(p, n: n, c: c, h: h, w: w) }
    }

    /// ``forward(_:n:c:h:w:)`` on a caller-owned buffer (a slice of a preallocated batch).
    public func forward(_ input: UnsafeBufferPointer<Float>, n: Int, c: Int, h: Int, w: Int) throws(ModelError) -> [Float] {
        guard input.count == n * c * h * w else {
            throw .invalidArgument("forward: input has \(input.count) floats, shape \(n)x\(c)x\(h)x\(w) needs \(n * c * h * w)")
        }
        var classes = Int64(numClasses)
        if classes == 0 {
            // TorchScript: learn the class count from one sample.
            var probe = [Float](repeating: 0, count: 1 << 20)
            let status = td_model_forward(handle, input.baseAddress, 1, Int64(c), Int64(h), Int64(w), &probe, Int64(probe.count), &classes)
            try Torch.check(status, "forward")
        }
        var out = [Float](repeating: 0, count: n * Int(classes))
        let status = out.withUnsafeMutableBufferPointer { outPtr in
            td_model_forward(handle, input.baseAddress, Int64(n), Int64(c), Int64(h), Int64(w), outPtr.baseAddress,
                             Int64(outPtr.count), &classes)
        }
        try Torch.check(status, "forward")
        return out
    }
}

extension Model {
    /// Loads a model file as users name it: a TorchScript `.pt`/`.pth`, or safetensors weights whose
    /// architecture is `arch` or the one the file records (`tinydistill.arch`), with the class count, input
    /// size or channels overridden when given. Returns the model (eval mode, fused unless `fused` is false;
    /// TorchScript modules always run as saved) and the file's metadata.
    public static func load(path: String, arch: String?, classes: Int? = nil, imageSize: Int? = nil,
                            inChannels: Int? = nil, fused: Bool = true) throws(ModelError) -> (Model, [String: String]) {
        if path.hasSuffix(".pt") || path.hasSuffix(".pth") {
            let model = try Model(torchScriptAt: path)
            try model.setTraining(false)
            return (model, [:])
        }
        let file = try SafetensorsFile(contentsOf: path)
        let architecture: Architecture
        if let arch {
            architecture = try Architecture.parse(arch, classes: classes, imageSize: imageSize, inChannels: inChannels)
        } else if let recorded = file.metadata["tinydistill.arch"] {
            architecture = try Architecture.fromJSON(Data(recorded.utf8), source: path + " (metadata)")
                .overriding(classes: classes, imageSize: imageSize, inChannels: inChannels)
        } else {
            throw .invalidArgument("\(path): the file does not record its architecture; pass --arch")
        }
        let model = try Model(architecture)
        try model.loadWeights(file)
        try model.setTraining(false)
        if fused { try model.setFused(true) }
        return (model, file.metadata)
    }
}
