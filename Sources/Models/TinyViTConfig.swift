/// The constructor arguments of a TinyViT, with the reference implementation's names (so a reference
/// `config.json` decodes as is).
public struct TinyViTConfig: Codable, Sendable, Equatable {
    public var imgSize: Int
    public var inChans: Int
    public var numClasses: Int
    /// Channels per stage; stage 0 is convolutional (MBConv), the others windowed attention.
    public var embedDims: [Int]
    public var depths: [Int]
    /// Attention heads per stage (stage 0's entry is unused).
    public var numHeads: [Int]
    /// Attention window per stage (stage 0's entry is unused).
    public var windowSizes: [Int]
    public var mlpRatio: Double
    public var dropRate: Double
    public var dropPathRate: Double
    public var mbconvExpandRatio: Double
    public var localConvSize: Int

    enum CodingKeys: String, CodingKey {
        case imgSize = "img_size", inChans = "in_chans", numClasses = "num_classes", embedDims = "embed_dims"
        case depths, numHeads = "num_heads", windowSizes = "window_sizes", mlpRatio = "mlp_ratio"
        case dropRate = "drop_rate", dropPathRate = "drop_path_rate", mbconvExpandRatio = "mbconv_expand_ratio"
        case localConvSize = "local_conv_size"
    }

    /// A config from its parts; the defaults are the reference constructor's.
    public init(imgSize: Int = 224, inChans: Int = 3, numClasses: Int = 1000, embedDims: [Int], depths: [Int],
                numHeads: [Int], windowSizes: [Int], mlpRatio: Double = 4, dropRate: Double = 0,
                dropPathRate: Double = 0.1, mbconvExpandRatio: Double = 4, localConvSize: Int = 3) {
        self.imgSize = imgSize
        self.inChans = inChans
        self.numClasses = numClasses
        self.embedDims = embedDims
        self.depths = depths
        self.numHeads = numHeads
        self.windowSizes = windowSizes
        self.mlpRatio = mlpRatio
        self.dropRate = dropRate
        self.dropPathRate = dropPathRate
        self.mbconvExpandRatio = mbconvExpandRatio
        self.localConvSize = localConvSize
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(imgSize: try c.decodeIfPresent(Int.self, forKey: .imgSize) ?? 224,
                  inChans: try c.decodeIfPresent(Int.self, forKey: .inChans) ?? 3,
                  numClasses: try c.decodeIfPresent(Int.self, forKey: .numClasses) ?? 1000,
                  embedDims: try c.decode([Int].self, forKey: .embedDims),
                  depths: try c.decode([Int].self, forKey: .depths),
                  numHeads: try c.decode([Int].self, forKey: .numHeads),
                  windowSizes: try c.decode([Int].self, forKey: .windowSizes),
                  mlpRatio: try c.decodeIfPresent(Double.self, forKey: .mlpRatio) ?? 4,
                  dropRate: try c.decodeIfPresent(Double.self, forKey: .dropRate) ?? 0,
                  dropPathRate: try c.decodeIfPresent(Double.self, forKey: .dropPathRate) ?? 0.1,
                  mbconvExpandRatio: try c.decodeIfPresent(Double.self, forKey: .mbconvExpandRatio) ?? 4,
                  localConvSize: try c.decodeIfPresent(Int.self, forKey: .localConvSize) ?? 3)
    }

    /// TinyViT-5M as the reference registers it (224 px, 1000 classes, drop path 0).
    public static let tinyViT5M = TinyViTConfig(embedDims: [64, 128, 160, 320], depths: [2, 2, 6, 2],
                                                numHeads: [2, 4, 5, 10], windowSizes: [7, 7, 14, 7], dropPathRate: 0.0)
    /// TinyViT-11M (drop path 0.1).
    public static let tinyViT11M = TinyViTConfig(embedDims: [64, 128, 256, 448], depths: [2, 2, 6, 2],
                                                 numHeads: [2, 4, 8, 14], windowSizes: [7, 7, 14, 7], dropPathRate: 0.1)
    /// TinyViT-21M (drop path 0.2).
    public static let tinyViT21M = TinyViTConfig(embedDims: [96, 192, 384, 576], depths: [2, 2, 6, 2],
                                                 numHeads: [3, 6, 12, 18], windowSizes: [7, 7, 14, 7], dropPathRate: 0.2)

    /// A small-image TinyViT (~1 M parameters at 10 classes) for 28-64 px inputs: the 5M layout's stage
    /// pattern at half width and windows that tile 32 px inputs exactly (8x8 tokens after the stem).
    public static let tinyViTMini = TinyViTConfig(imgSize: 32, numClasses: 10, embedDims: [32, 64, 128, 160],
                                                  depths: [2, 2, 4, 2], numHeads: [1, 2, 4, 5], windowSizes: [4, 4, 4, 2],
                                                  dropPathRate: 0.05)
}
