/// The constructor arguments of an EfficientFormer (v1), with the reference implementation's names.
public struct EfficientFormerConfig: Codable, Sendable, Equatable {
    public var imgSize: Int
    public var inChans: Int
    public var numClasses: Int
    /// Blocks per stage (four stages).
    public var layers: [Int]
    public var embedDims: [Int]
    /// A stride-2 Conv-BN after stage i (the first three entries matter).
    public var downsamples: [Bool]
    public var mlpRatios: Double
    /// The last `vitNum` blocks of the last stage are Meta3D (attention) blocks.
    public var vitNum: Int
    /// A second classifier (`dist_head`); the output is the mean of both heads.
    public var distillation: Bool
    public var poolSize: Int
    public var layerScaleInitValue: Double
    public var dropRate: Double
    public var dropPathRate: Double

    enum CodingKeys: String, CodingKey {
        case imgSize = "img_size", inChans = "in_chans", numClasses = "num_classes", layers, embedDims = "embed_dims"
        case downsamples, mlpRatios = "mlp_ratios", vitNum = "vit_num", distillation, poolSize = "pool_size"
        case layerScaleInitValue = "layer_scale_init_value", dropRate = "drop_rate", dropPathRate = "drop_path_rate"
    }

    public init(imgSize: Int = 224, inChans: Int = 3, numClasses: Int = 1000, layers: [Int], embedDims: [Int],
                downsamples: [Bool] = [true, true, true, true], mlpRatios: Double = 4, vitNum: Int, distillation: Bool = true,
                poolSize: Int = 3, layerScaleInitValue: Double = 1e-5, dropRate: Double = 0, dropPathRate: Double = 0) {
        self.imgSize = imgSize
        self.inChans = inChans
        self.numClasses = numClasses
        self.layers = layers
        self.embedDims = embedDims
        self.downsamples = downsamples
        self.mlpRatios = mlpRatios
        self.vitNum = vitNum
        self.distillation = distillation
        self.poolSize = poolSize
        self.layerScaleInitValue = layerScaleInitValue
        self.dropRate = dropRate
        self.dropPathRate = dropPathRate
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(imgSize: try c.decodeIfPresent(Int.self, forKey: .imgSize) ?? 224,
                  inChans: try c.decodeIfPresent(Int.self, forKey: .inChans) ?? 3,
                  numClasses: try c.decodeIfPresent(Int.self, forKey: .numClasses) ?? 1000,
                  layers: try c.decode([Int].self, forKey: .layers),
                  embedDims: try c.decode([Int].self, forKey: .embedDims),
                  downsamples: try c.decodeIfPresent([Bool].self, forKey: .downsamples) ?? [true, true, true, true],
                  mlpRatios: try c.decodeIfPresent(Double.self, forKey: .mlpRatios) ?? 4,
                  vitNum: try c.decodeIfPresent(Int.self, forKey: .vitNum) ?? 0,
                  distillation: try c.decodeIfPresent(Bool.self, forKey: .distillation) ?? true,
                  poolSize: try c.decodeIfPresent(Int.self, forKey: .poolSize) ?? 3,
                  layerScaleInitValue: try c.decodeIfPresent(Double.self, forKey: .layerScaleInitValue) ?? 1e-5,
                  dropRate: try c.decodeIfPresent(Double.self, forKey: .dropRate) ?? 0,
                  dropPathRate: try c.decodeIfPresent(Double.self, forKey: .dropPathRate) ?? 0)
    }

    /// EfficientFormer-L1 (12,289,928 parameters at 1000 classes, distillation head included).
    public static let l1 = EfficientFormerConfig(layers: [3, 2, 6, 4], embedDims: [48, 96, 224, 448], vitNum: 1)
    /// EfficientFormer-L3 (31,406,000).
    public static let l3 = EfficientFormerConfig(layers: [4, 4, 12, 6], embedDims: [64, 128, 320, 512], vitNum: 4)
    /// EfficientFormer-L7 (82,229,328).
    public static let l7 = EfficientFormerConfig(layers: [6, 6, 18, 8], embedDims: [96, 192, 384, 768], vitNum: 8)
}
