/// A torchvision-style ResNet, usable as a teacher from a different family than the TinyViT student.
public struct ResNetConfig: Codable, Sendable, Equatable {
    public var inChans: Int
    public var numClasses: Int
    /// Bottleneck blocks (ResNet-50 and up) instead of basic blocks.
    public var bottleneck: Bool
    /// Blocks per stage (four stages).
    public var layers: [Int]
    public var baseWidth: Int
    /// A 3x3 stride-1 stem without max-pool, for 28-64 px images (torchvision's 7x7/2 + pool otherwise).
    public var smallInput: Bool
    /// Input size the model is meant for (metadata and preprocessing; the network is size-agnostic).
    public var imgSize: Int

    enum CodingKeys: String, CodingKey {
        case inChans = "in_chans", numClasses = "num_classes", bottleneck, layers, baseWidth = "base_width"
        case smallInput = "small_input", imgSize = "img_size"
    }

    public init(inChans: Int = 3, numClasses: Int = 1000, bottleneck: Bool, layers: [Int], baseWidth: Int = 64,
                smallInput: Bool = false, imgSize: Int = 224) {
        self.inChans = inChans
        self.numClasses = numClasses
        self.bottleneck = bottleneck
        self.layers = layers
        self.baseWidth = baseWidth
        self.smallInput = smallInput
        self.imgSize = imgSize
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(inChans: try c.decodeIfPresent(Int.self, forKey: .inChans) ?? 3,
                  numClasses: try c.decodeIfPresent(Int.self, forKey: .numClasses) ?? 1000,
                  bottleneck: try c.decodeIfPresent(Bool.self, forKey: .bottleneck) ?? false,
                  layers: try c.decode([Int].self, forKey: .layers),
                  baseWidth: try c.decodeIfPresent(Int.self, forKey: .baseWidth) ?? 64,
                  smallInput: try c.decodeIfPresent(Bool.self, forKey: .smallInput) ?? false,
                  imgSize: try c.decodeIfPresent(Int.self, forKey: .imgSize) ?? 224)
    }

    /// ResNet-18 (11,689,512 parameters at 1000 classes, as torchvision).
    public static let resNet18 = ResNetConfig(bottleneck: false, layers: [2, 2, 2, 2])
    /// ResNet-34.
    public static let resNet34 = ResNetConfig(bottleneck: false, layers: [3, 4, 6, 3])
    /// ResNet-50 (25,557,032 parameters at 1000 classes).
    public static let resNet50 = ResNetConfig(bottleneck: true, layers: [3, 4, 6, 3])
}
