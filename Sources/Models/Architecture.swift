import Foundation

/// A model architecture we can build: a named preset or a custom config.
public enum Architecture: Sendable, Equatable {
    case tinyViT(TinyViTConfig)
    case resNet(ResNetConfig)
    case efficientFormer(EfficientFormerConfig)

    /// The preset names `named(_:)` accepts.
    public static let presetNames = ["tinyvit-5m", "tinyvit-11m", "tinyvit-21m", "tinyvit-mini", "resnet18", "resnet34", "resnet50",
                                     "efficientformer-l1", "efficientformer-l3", "efficientformer-l7"]

    /// Resolves `spec`: a preset name (see `presetNames`) or the path of a JSON config file (a reference
    /// TinyViT `config.json`, or `{"arch": "tinyvit"|"resnet", "config": {...}}` as `json` writes it).
    /// `classes`, `imageSize` and `inChannels` override the preset's; a ResNet for images of 64 px or less
    /// gets the small-input stem.
    public static func parse(_ spec: String, classes: Int? = nil, imageSize: Int? = nil,
                             inChannels: Int? = nil) throws(ModelError) -> Architecture {
        var arch: Architecture
        switch spec.lowercased() {
        case "tinyvit-5m": arch = .tinyViT(.tinyViT5M)
        case "tinyvit-11m": arch = .tinyViT(.tinyViT11M)
        case "tinyvit-21m": arch = .tinyViT(.tinyViT21M)
        case "tinyvit-mini": arch = .tinyViT(.tinyViTMini)
        case "resnet18": arch = .resNet(.resNet18)
        case "resnet34": arch = .resNet(.resNet34)
        case "resnet50": arch = .resNet(.resNet50)
        case "efficientformer-l1": arch = .efficientFormer(.l1)
        case "efficientformer-l3": arch = .efficientFormer(.l3)
        case "efficientformer-l7": arch = .efficientFormer(.l7)
        default:
            guard spec.hasSuffix(".json") || FileManager.default.fileExists(atPath: spec) else {
                throw .unknownArchitecture("unknown architecture '\(spec)': use one of \(presetNames.joined(separator: ", ")) or a JSON config file")
            }
            guard let data = FileManager.default.contents(atPath: spec) else {
                throw .io(path: spec, reason: "cannot read the architecture config file")
            }
            arch = try fromJSON(data, source: spec)
        }
        arch.override(classes: classes, imageSize: imageSize, inChannels: inChannels)
        return arch
    }

    /// Decodes a config: `{"arch": ..., "config": {...}}` or a bare reference TinyViT config.
    public static func fromJSON(_ data: Data, source: String = "<json>") throws(ModelError) -> Architecture {
        do {
            let object = try JSONSerialization.jsonObject(with: data)
            guard let map = object as? [String: Any] else {
                throw ModelError.unknownArchitecture("\(source): the architecture config is not a JSON object")
            }
            if let kind = map["arch"] as? String, let config = map["config"] {
                let inner = try JSONSerialization.data(withJSONObject: config)
                switch kind {
                case "tinyvit": return .tinyViT(try JSONDecoder().decode(TinyViTConfig.self, from: inner))
                case "resnet": return .resNet(try JSONDecoder().decode(ResNetConfig.self, from: inner))
                case "efficientformer": return .efficientFormer(try JSONDecoder().decode(EfficientFormerConfig.self, from: inner))
                default: throw ModelError.unknownArchitecture("\(source): unknown arch '\(kind)' (tinyvit or resnet)")
                }
            }
            if map["vit_num"] != nil { return .efficientFormer(try JSONDecoder().decode(EfficientFormerConfig.self, from: data)) }
            if map["embed_dims"] != nil { return .tinyViT(try JSONDecoder().decode(TinyViTConfig.self, from: data)) }
            if map["layers"] != nil { return .resNet(try JSONDecoder().decode(ResNetConfig.self, from: data)) }
            throw ModelError.unknownArchitecture("\(source): not an architecture config (no embed_dims, layers or arch)")
        } catch let error as ModelError {
            throw error
        } catch {
            throw .unknownArchitecture("\(source): cannot decode the architecture config (\(error))")
        }
    }

    /// This architecture with the class count, input size or input channels replaced (nil keeps them).
    public func overriding(classes: Int? = nil, imageSize: Int? = nil, inChannels: Int? = nil) -> Architecture {
        var copy = self
        copy.override(classes: classes, imageSize: imageSize, inChannels: inChannels)
        return copy
    }

    mutating func override(classes: Int?, imageSize: Int?, inChannels: Int?) {
        switch self {
        case .tinyViT(var c):
            if let classes { c.numClasses = classes }
            if let imageSize { c.imgSize = imageSize }
            if let inChannels { c.inChans = inChannels }
            self = .tinyViT(c)
        case .resNet(var c):
            if let classes { c.numClasses = classes }
            if let imageSize {
                c.imgSize = imageSize
                c.smallInput = imageSize <= 64
            }
            if let inChannels { c.inChans = inChannels }
            self = .resNet(c)
        case .efficientFormer(var c):
            if let classes { c.numClasses = classes }
            if let imageSize { c.imgSize = imageSize }
            if let inChannels { c.inChans = inChannels }
            self = .efficientFormer(c)
        }
    }

    /// The canonical JSON description (sorted keys), as checkpoints and stores record it.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let config: Data
        let kind: String
        switch self {
        case .tinyViT(let c): kind = "tinyvit"; config = (try? encoder.encode(c)) ?? Data()
        case .resNet(let c): kind = "resnet"; config = (try? encoder.encode(c)) ?? Data()
        case .efficientFormer(let c): kind = "efficientformer"; config = (try? encoder.encode(c)) ?? Data()
        }
        return "{\"arch\":\"\(kind)\",\"config\":\(String(decoding: config, as: UTF8.self))}"
    }

    /// The family: "tinyvit" or "resnet".
    public var family: String {
        switch self {
        case .tinyViT: return "tinyvit"
        case .resNet: return "resnet"
        case .efficientFormer: return "efficientformer"
        }
    }

    /// Number of output classes.
    public var numClasses: Int {
        switch self {
        case .tinyViT(let c): return c.numClasses
        case .resNet(let c): return c.numClasses
        case .efficientFormer(let c): return c.numClasses
        }
    }

    /// The input size the model is built for.
    public var imageSize: Int {
        switch self {
        case .tinyViT(let c): return c.imgSize
        case .resNet(let c): return c.imgSize
        case .efficientFormer(let c): return c.imgSize
        }
    }

    /// Input channels.
    public var inChannels: Int {
        switch self {
        case .tinyViT(let c): return c.inChans
        case .resNet(let c): return c.inChans
        case .efficientFormer(let c): return c.inChans
        }
    }
}
