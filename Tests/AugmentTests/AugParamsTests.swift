import DetCore
import Foundation
import Testing
@testable import Augment

@Suite struct AugParamsTests {
    let policy = AugmentPolicy.tinyViT()

    @Test func decodingIsAPureFunctionOfItsArguments() async {
        let seeds = (0..<2000).map { AugRNG.mix(UInt64($0)) }
        let serial = seeds.map { AugParams.decode(seed: $0, policy: policy, width: 500, height: 375) }
        // Same results from many concurrent tasks in reverse order.
        let parallel = await withTaskGroup(of: (Int, AugParams).self) { group in
            for i in seeds.indices.reversed() {
                group.addTask { (i, AugParams.decode(seed: seeds[i], policy: AugmentPolicy.tinyViT(), width: 500, height: 375)) }
            }
            var out = [AugParams?](repeating: nil, count: seeds.count)
            for await (i, p) in group { out[i] = p }
            return out.map { $0! }
        }
        #expect(serial == parallel)
        #expect(Set(serial.map(\.crop.x)).count > 100)
    }

    /// Crop area and aspect follow torchvision's RandomResizedCrop: compare quantiles over 100k draws with
    /// an independent numerical integration of the same acceptance rule on a square image.
    @Test func cropAreaAndAspectMatchTheAlgorithm() {
        let n = 100_000
        var areas: [Double] = []
        var logAspects: [Double] = []
        var fallbacks = 0
        for i in 0..<n {
            let p = AugParams.decode(seed: UInt64(i) &* 0x9E37_79B9, policy: policy, width: 400, height: 400)
            if p.cropFallback { fallbacks += 1; continue }
            areas.append(Double(p.crop.width * p.crop.height) / 160_000)
            logAspects.append(Foundation.log(Double(p.crop.width) / Double(p.crop.height)))
        }
        // Independent model: first attempt's (area a, log-ratio r) uniform; accepted iff a·e^|r| ≤ 1
        // (on a square). Rejected attempts retry, so accepted draws follow the acceptance-restricted law.
        let lr = Foundation.log(4.0 / 3.0)
        var grid: [(Double, Double)] = []
        for ai in 0..<400 {
            let a = 0.08 + 0.92 * (Double(ai) + 0.5) / 400
            for ri in 0..<200 {
                let r = -lr + 2 * lr * (Double(ri) + 0.5) / 200
                if a * Foundation.exp(abs(r)) <= 1 { grid.append((a, r)) }
            }
        }
        func quantile(_ xs: [Double], _ q: Double) -> Double { xs.sorted()[Int(q * Double(xs.count - 1))] }
        for q in [0.1, 0.25, 0.5, 0.75, 0.9] {
            #expect(abs(quantile(areas, q) - quantile(grid.map(\.0), q)) < 0.01, "area quantile \(q)")
            #expect(abs(quantile(logAspects, q) - quantile(grid.map(\.1), q)) < 0.015, "log-aspect quantile \(q)")
        }
        #expect(Double(fallbacks) / Double(n) < 1e-4)
    }

    @Test func centreCropFallbackFollowsTorchvision() {
        var p = policy
        p.crop.scale = [0.99, 1.0]
        // A 1000×100 strip: no crop of ≥ 99 % area with ratio ≤ 4/3 fits, so every attempt fails.
        let a = AugParams.decode(seed: 1, policy: p, width: 1000, height: 100)
        #expect(a.cropFallback)
        #expect(a.crop == .init(x: (1000 - 133) / 2, y: 0, width: 133, height: 100))
    }

    /// RandAugment: ops uniform with replacement, applied with p 0.5, magnitude N(9, 0.5) clipped to 10.
    @Test func randAugmentFrequenciesAndMagnitudes() {
        let n = 60_000
        var counts = [RandAugmentOp: Int]()
        var applied = 0
        var magnitudes: [Double] = []
        var negatives = 0, signed = 0
        for i in 0..<n {
            let p = AugParams.decode(seed: AugRNG.mix(UInt64(i) ^ 0xABC), policy: policy, width: 300, height: 300)
            #expect(p.steps.count == 2)
            for s in p.steps {
                counts[s.op, default: 0] += 1
                if s.applied { applied += 1 }
                magnitudes.append(s.magnitude)
                if s.op.signed { signed += 1; if s.negative { negatives += 1 } }
            }
        }
        let slots = Double(2 * n)
        let expected = slots / 15
        let sigma = (expected * (1 - 1.0 / 15)).squareRoot()
        for op in RandAugmentOp.allCases { #expect(abs(Double(counts[op] ?? 0) - expected) < 5 * sigma, "\(op)") }
        #expect(abs(Double(applied) / slots - 0.5) < 0.01)
        #expect(abs(Double(negatives) / Double(signed) - 0.5) < 0.01)
        let mean = magnitudes.reduce(0, +) / slots
        let sd = (magnitudes.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / slots).squareRoot()
        #expect(magnitudes.allSatisfy { $0 >= 0 && $0 <= 10 })
        #expect(abs(mean - 8.9958) < 0.01)  // E[min(N(9, 0.5), 10)]
        #expect(abs(sd - 0.4883) < 0.01)
        #expect(abs(Double(magnitudes.filter { $0 == 10 }.count) / slots - 0.02275) < 0.003)  // P(N(9,.5) > 10)
    }

    @Test func levelMappingsAreTimms() {
        #expect(RandAugmentOp.rotate.argument(magnitude: 9, negative: true) == -27)
        #expect(abs(RandAugmentOp.shearX.argument(magnitude: 10, negative: false) - 0.3) < 1e-12)
        #expect(abs(RandAugmentOp.translateYRel.argument(magnitude: 5, negative: false) - 0.225) < 1e-12)
        #expect(abs(RandAugmentOp.brightnessIncreasing.argument(magnitude: 9, negative: true) - 0.19) < 1e-12)
        #expect(RandAugmentOp.posterizeIncreasing.argument(magnitude: 9, negative: false) == 1)
        #expect(RandAugmentOp.posterizeIncreasing.argument(magnitude: 2, negative: false) == 4)
        #expect(RandAugmentOp.solarizeIncreasing.argument(magnitude: 9, negative: false) == 26)
        #expect(RandAugmentOp.solarizeAdd.argument(magnitude: 9, negative: false) == 99)
        #expect(AugmentPolicy.tinyViT().fill == [124, 116, 104])
    }

    /// Random erasing: p 0.25; boxes inside the output; area fraction within [0.02, 1/3].
    @Test func erasingProbabilityAndBoxes() {
        let n = 40_000
        var erased = 0
        for i in 0..<n {
            let p = AugParams.decode(seed: UInt64(i), policy: policy, width: 256, height: 256)
            guard let e = p.erase else { continue }
            erased += 1
            #expect(e.x >= 0 && e.y >= 0 && e.x + e.width <= 224 && e.y + e.height <= 224)
            let frac = Double(e.width * e.height) / Double(224 * 224)
            #expect(frac > 0.015 && frac < 0.35)
        }
        #expect(abs(Double(erased) / Double(n) - 0.25 * 0.999) < 0.01)
    }

    @Test func cutmixLambdaIsCorrectedToTheBoxArea() {
        var p = policy
        p.mix = .init(mixupAlpha: 0.8, cutmixAlpha: 1.0, probability: 1, switchProbability: 0.5)
        var cut = 0, lambdas: [Double] = []
        for i in 0..<20_000 {
            let a = AugParams.decode(seed: UInt64(i), policy: p, width: 300, height: 300)
            let m = a.mix!
            if m.cutmix, let b = m.box {
                cut += 1
                #expect(abs(m.lambda - (1 - Double(b.width * b.height) / Double(224 * 224))) < 1e-12)
            } else {
                lambdas.append(m.lambda)
            }
            let partner = m.partner(count: 1000, sample: 7)
            #expect(partner != 7 && partner >= 0 && partner < 1000)
        }
        #expect(abs(Double(cut) / 20_000 - 0.5) < 0.02)
        // Beta(0.8, 0.8): mean 0.5, variance 1/(4·2.6) ≈ 0.0962.
        let mean = lambdas.reduce(0, +) / Double(lambdas.count)
        let variance = lambdas.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(lambdas.count)
        #expect(abs(mean - 0.5) < 0.01)
        #expect(abs(variance - 0.0962) < 0.005)
    }

    @Test func paramsPrintReadably() {
        let text = AugParams.decode(seed: 42, policy: policy, width: 500, height: 375).description
        #expect(text.contains("crop "))
        #expect(text.contains("op1 "))
        #expect(text.contains("erase"))
    }
}

@Suite struct AugmentPolicyTests {
    @Test func canonicalFormRoundTripsAndHashIsStable() throws {
        let p = AugmentPolicy.tinyViT(outputSize: 32)
        let json = p.canonicalJSON()
        let back = try AugmentPolicy.parse(Array(json.utf8), source: "p.json")
        #expect(back == p)
        #expect(back.hash == p.hash)
        #expect(AugmentPolicy.tinyViT(outputSize: 64).hash != p.hash)
        // Whitespace and key order do not change the canonical form.
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8))
        let pretty = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted])
        #expect(try AugmentPolicy.parse([UInt8](pretty), source: "pretty.json").hash == p.hash)
    }

    @Test func misspeltFieldsAreRefusedNotIgnored() throws {
        var json = try JSONSerialization.jsonObject(with: Data(AugmentPolicy.tinyViT().canonicalJSON().utf8)) as! [String: Any]
        // A typo that would otherwise silently turn RandAugment off.
        json["rand_augmnet"] = json.removeValue(forKey: "rand_augment")
        do {
            _ = try AugmentPolicy.parse([UInt8](try JSONSerialization.data(withJSONObject: json)), source: "typo.json")
            Issue.record("a misspelt rand_augment was accepted")
        } catch {
            #expect("\(error)".contains("unknown field rand_augmnet"), "\(error)")
        }
        json["rand_augment"] = json.removeValue(forKey: "rand_augmnet")
        var crop = json["crop"] as! [String: Any]
        crop["atempts"] = 3
        json["crop"] = crop
        do {
            _ = try AugmentPolicy.parse([UInt8](try JSONSerialization.data(withJSONObject: json)), source: "typo.json")
            Issue.record("a misspelt crop field was accepted")
        } catch {
            #expect("\(error)".contains("unknown field crop.atempts"), "\(error)")
        }
    }

    @Test func badPoliciesNameTheField() throws {
        var json = try JSONSerialization.jsonObject(with: Data(AugmentPolicy.tinyViT().canonicalJSON().utf8)) as! [String: Any]
        json["hflip"] = 1.5
        let data = try JSONSerialization.data(withJSONObject: json)
        #expect(throws: AugmentError.badPolicy(source: "x.json", detail: "hflip: a probability in [0, 1]")) {
            try AugmentPolicy.parse([UInt8](data), source: "x.json")
        }
        json["hflip"] = 0.5
        json.removeValue(forKey: "crop")
        do {
            _ = try AugmentPolicy.parse([UInt8](try JSONSerialization.data(withJSONObject: json)), source: "y.json")
            Issue.record("missing crop accepted")
        } catch {
            #expect("\(error)".contains("crop"))
        }
        #expect(throws: AugmentError.self) { try AugmentPolicy.parse(Array("{not json".utf8), source: "z.json") }
    }
}

@Suite struct AugmentPolicySchemaTests {
    @Test func schemaFileCoversTheEncodedKeys() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("schemas/augment-policy.schema.json")
        let schema = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let properties = schema["properties"] as! [String: Any]
        var p = AugmentPolicy.tinyViT()
        p.mix = .init(mixupAlpha: 0.8, cutmixAlpha: 1, probability: 1, switchProbability: 0.5)
        let encoded = try JSONSerialization.jsonObject(with: Data(p.canonicalJSON().utf8)) as! [String: Any]
        #expect(Set(encoded.keys).isSubset(of: Set(properties.keys)))
        #expect(Set(schema["required"] as! [String]).isSubset(of: Set(encoded.keys)))
        for (key, value) in encoded {
            guard let nested = value as? [String: Any], let sub = properties[key] as? [String: Any],
                  let subProps = sub["properties"] as? [String: Any] else { continue }
            #expect(Set(nested.keys) == Set(subProps.keys), "\(key)")
        }
        let ops = (((properties["rand_augment"] as! [String: Any])["properties"] as! [String: Any])["ops"] as! [String: Any])["items"] as! [String: Any]
        #expect(Set(ops["enum"] as! [String]) == Set(RandAugmentOp.allCases.map(\.rawValue)))
    }
}
