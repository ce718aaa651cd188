import Foundation
import Models
import Testing

@Suite("safetensors weights")
struct WeightsTests {
    func tinyArch(classes: Int = 5) -> Architecture {
        .tinyViT(TinyViTConfig(imgSize: 16, inChans: 3, numClasses: classes, embedDims: [8, 16, 24], depths: [1, 1, 1],
                               numHeads: [1, 2, 3], windowSizes: [2, 2, 2], dropPathRate: 0))
    }

    @Test func saveThenLoadGivesIdenticalOutputs() throws {
        let a = try Model(tinyArch(), seed: 1)
        let b = try Model(tinyArch(), seed: 2)
        try a.setTraining(false)
        try b.setTraining(false)
        let x = (0..<(2 * 3 * 16 * 16)).map { Float(sin(Double($0))) }
        let path = try Fixtures.temporaryFolder() + "/m.safetensors"
        try a.saveWeights(to: path)
        #expect(try a.forward(x, n: 2, c: 3, h: 16, w: 16) != b.forward(x, n: 2, c: 3, h: 16, w: 16))
        try b.loadWeights(from: path)
        #expect(try a.forward(x, n: 2, c: 3, h: 16, w: 16) == b.forward(x, n: 2, c: 3, h: 16, w: 16))
        #expect(try a.weightsDigest() == b.weightsDigest())
    }

    @Test func mismatchedWeightsNameTheTensor() throws {
        let folder = try Fixtures.temporaryFolder()
        let model = try Model(tinyArch())
        var tensors = try model.state()
        // Missing tensor.
        let head = tensors.firstIndex { $0.name == "head.weight" }!
        let removed = tensors.remove(at: head)
        try SafetensorsFile.write(tensors, to: folder + "/missing.safetensors")
        #expect { try model.loadWeights(from: folder + "/missing.safetensors") } throws: { "\($0)".contains("missing 1 tensor(s): head.weight") }
        // Unexpected tensor.
        tensors.append(removed)
        tensors.append(NamedTensor(name: "extra.weight", shape: [1], floats: [0]))
        try SafetensorsFile.write(tensors, to: folder + "/extra.safetensors")
        #expect { try model.loadWeights(from: folder + "/extra.safetensors") } throws: { "\($0)".contains("unexpected 1 tensor(s): extra.weight") }
        // Wrong shape: a model with other classes.
        let other = try Model(tinyArch(classes: 7))
        try other.saveWeights(to: folder + "/seven.safetensors")
        #expect { try model.loadWeights(from: folder + "/seven.safetensors") } throws: {
            "\($0)".contains("'head.bias' has shape [7], the model expects [5]") || "\($0)".contains("'head.weight' has shape [7, 24]")
        }
        // Loading failures leave the model untouched.
        #expect(try model.state() == Model(tinyArch()).state())
    }

    @Test func roundTripKeepsTensorsAndMetadata() throws {
        let tensors = [NamedTensor(name: "b", shape: [2, 2], floats: [1, 2, 3, 4]),
                       NamedTensor(name: "a", dtype: .i64, shape: [], bytes: [7, 0, 0, 0, 0, 0, 0, 0]),
                       NamedTensor(name: "q\"uote", dtype: .f16, shape: [1], bytes: [0, 0x3c])]
        let data = try SafetensorsFile.encode(tensors, metadata: ["k": "v\n"])
        let file = try SafetensorsFile(data: data)
        #expect(file.names == ["a", "b", "q\"uote"])
        #expect(file.metadata == ["k": "v\n"])
        #expect(try file.tensor("b").floats == [1, 2, 3, 4])
        #expect(try file.tensor("q\"uote").floats == [1])
        #expect(try file.tensor("a").floats == [7])
        #expect((8 + Int(data[0])) % 8 == 0)
    }

    @Test func malformedFilesAreRejectedBeforeAllocation() throws {
        let good = try SafetensorsFile.encode([NamedTensor(name: "w", shape: [4], floats: [1, 2, 3, 4])])
        func header(_ json: String, payload: Int = 16) -> Data {
            var d = Data()
            var n = UInt64(json.utf8.count).littleEndian
            withUnsafeBytes(of: &n) { d.append(contentsOf: $0) }
            d.append(contentsOf: Array(json.utf8))
            d.append(Data(count: payload))
            return d
        }
        let cases: [(String, Data)] = [
            ("too short", Data([1, 2, 3])),
            ("truncated data", good.prefix(good.count - 1)),
            ("truncated header", good.prefix(12)),
            ("huge header length", Data([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]) + Data(count: 8)),
            ("not JSON", header("{nope")),
            ("not an object", header("[1,2]")),
            ("unknown dtype", header(#"{"w":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}}"#)),
            ("huge shape", header(#"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}}"#)),
            ("negative dim", header(#"{"w":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}"#)),
            ("offsets outside", header(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}"#)),
            ("size mismatch", header(#"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#)),
            ("fractional offset", header(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0.5,16]}}"#)),
            ("overlap", header(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#)),
            ("metadata not strings", header(#"{"__metadata__":{"a":1}}"#)),
        ]
        for (label, data) in cases {
            #expect(throws: ModelError.self, "\(label)") { _ = try SafetensorsFile(data: data, path: label) }
        }
        #expect(throws: Never.self) { _ = try SafetensorsFile(data: good) }
    }
}
