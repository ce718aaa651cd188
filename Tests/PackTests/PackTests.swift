import Augment
import DetCore
import Foundation
import GRDB
import Images
import Pack
import DataPipeline
import Testing

/// A temporary folder of JPEGs (one subfolder per class) of varied sizes, some larger than 40 px.
func jpegFolder(_ name: String = UUID().uuidString, count: Int = 12) throws -> String {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("tinydistill-pack-\(name)").path
    try? FileManager.default.removeItem(atPath: root)
    for i in 0..<count {
        let w = 24 + 7 * i, h = 20 + 5 * (i % 4)
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        for p in 0..<(w * h) {
            pixels[3 * p] = UInt8((p * 7 + i * 31) & 255)
            pixels[3 * p + 1] = UInt8((p / w * 9) & 255)
            pixels[3 * p + 2] = UInt8((p % w * 5 + i) & 255)
        }
        let dir = root + "/class\(i % 3)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let bytes = try JPEG.encode(Image(width: w, height: h, channels: 3, pixels: pixels), quality: 85)
        FileManager.default.createFile(atPath: dir + "/img\(i).jpg", contents: Data(bytes))
    }
    return root
}

func packPath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("tinydistill-\(UUID().uuidString).tdpack").path
}

@discardableResult
func pack(_ data: String, _ out: String, _ settings: PackSettings = .init(), batch: Int = 4,
          stopAfter: Int? = nil) throws -> PackJob.Summary {
    var job = PackJob(options: .init(data: data, out: out, settings: settings, threads: 2, batch: batch))
    var batches = 0
    job.progress = { _, _ in batches += 1 }
    job.shouldStop = { stopAfter.map { batches > $0 } ?? false }
    return try job.run()
}

@Suite struct PackTests {
    @Test func aJPEGFolderPackedWithoutResizeKeepsEveryFileAndTheFingerprint() throws {
        let root = try jpegFolder()
        let folder = try ImageFolderSource(root: root)
        let out = packPath()
        let summary = try pack(root, out)
        let packed = try PackSource(path: out)
        #expect(summary.images == 12 && summary.written == 12 && summary.bad == 0)
        #expect(packed.fingerprint == folder.fingerprint && summary.fingerprint == folder.fingerprint)
        #expect(packed.classNames == folder.classNames)
        for id in 0..<folder.count {
            #expect(packed.sample(id) == folder.sample(id))
            #expect(try packed.encoded(id)?.bytes == folder.bytes(id))
        }
        // The renderer takes the same JPEG path (DCT scaling, region decoding): the same pixels.
        let replay = Replay(policy: .tinyViT(outputSize: 16))
        for id in 0..<folder.count {
            let a = try SampleRenderer(source: folder, replay: replay).render(id, seed: UInt64(id) &* 977)
            let b = try SampleRenderer(source: packed, replay: replay).render(id, seed: UInt64(id) &* 977)
            #expect(a.0 == b.0)
        }
    }

    @Test func maxSideResizesLargerImagesAndGivesTheirOwnFingerprint() throws {
        let root = try jpegFolder()
        let folder = try ImageFolderSource(root: root)
        let a = packPath(), b = packPath()
        try pack(root, a, .init(maxSide: 40))
        try pack(root, b, .init(maxSide: 48))
        let pa = try PackSource(path: a), pb = try PackSource(path: b)
        for id in 0..<folder.count {
            let original = try folder.image(id), small = try pa.image(id)
            let expected = PackSettings(maxSide: 40).storedSize(width: original.width, height: original.height)
            #expect(small.width == expected.width && small.height == expected.height)
            #expect(max(small.width, small.height) <= 40)
            if max(original.width, original.height) <= 40 {
                #expect(try pa.encoded(id)?.bytes == folder.bytes(id), "an image within max-side is kept as it was")
            }
        }
        #expect(pa.fingerprint != folder.fingerprint && pb.fingerprint != pa.fingerprint)
        #expect(pa.fingerprint.hasPrefix("12-"))
        #expect(pa.settings == PackSettings(maxSide: 40) && pa.origin == root && pa.originFingerprint == folder.fingerprint)
    }

    @Test func aRawPackOfADecodedSourceGivesItsPixelsAndFingerprint() throws {
        let spec = "synthetic-images:20:12x10x3:5:4"
        let source = try DataSource.open(spec)
        let out = packPath()
        try pack(spec, out, .init(encoding: .raw))
        let packed = try PackSource(path: out)
        #expect(packed.fingerprint == source.fingerprint)
        for id in 0..<source.count {
            #expect(try packed.image(id) == source.image(id))
            #expect(try packed.encoded(id) == nil)
        }
        // The same images as JPEG are lossy: another fingerprint.
        let jpeg = packPath()
        try pack(spec, jpeg)
        #expect(try PackSource(path: jpeg).fingerprint != source.fingerprint)
    }

    @Test func anInterruptedPackResumesToTheSameImagesAndIsRefusedUntilFinished() throws {
        let root = try jpegFolder()
        let whole = packPath(), cut = packPath()
        try pack(root, whole, .init(maxSide: 40))
        let first = try pack(root, cut, .init(maxSide: 40), stopAfter: 1)
        #expect(first.interrupted && first.written == 4 && first.fingerprint == nil)
        #expect(throws: PackError.incomplete(path: cut, records: 4, of: 12)) { try PackSource(path: cut) }
        #expect(throws: PipelineError.self) { try DataSource.open("pack:" + cut) }
        let second = try pack(root, cut, .init(maxSide: 40))
        #expect(second.skipped == 4 && second.written == 8 && !second.interrupted)
        let a = try PackSource(path: whole), b = try PackSource(path: cut)
        #expect(a.fingerprint == b.fingerprint)
        for id in 0..<12 { #expect(try a.blob(id).data == b.blob(id).data) }
        // Running it again on the finished pack writes nothing.
        let third = try pack(root, cut, .init(maxSide: 40))
        #expect(third.written == 0 && third.skipped == 12)
    }

    @Test func resumingWithOtherSettingsOrAnotherSourceIsRefusedNamingIt() throws {
        let root = try jpegFolder()
        let out = packPath()
        try pack(root, out, .init(maxSide: 40), stopAfter: 1)
        let before = try Data(contentsOf: URL(fileURLWithPath: out))
        for (settings, field) in [(PackSettings(maxSide: 48), "max_side"), (PackSettings(maxSide: 40, encoding: .raw), "encoding"),
                                  (PackSettings(maxSide: 40, quality: 80), "quality")] {
            do {
                try pack(root, out, settings)
                Issue.record("resumed with other \(field)")
            } catch {
                #expect("\(error)".contains(field) && "\(error)".contains(out))
            }
        }
        do {
            try pack(try jpegFolder(count: 9), out, .init(maxSide: 40))
            Issue.record("resumed from another source")
        } catch {
            #expect("\(error)".contains("source fingerprint"))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == before, "a refused run leaves the pack as it was")
    }

    @Test func aDamagedBlobIsAnErrorNamingThePackAndTheRecord() throws {
        let root = try jpegFolder()
        let out = packPath()
        try pack(root, out)
        let db = try DatabaseQueue(path: out)
        try db.write { try $0.execute(sql: "UPDATE images SET data = zeroblob(length(data)) WHERE id = 5") }
        let packed = try PackSource(path: out)
        #expect(try packed.image(4).width > 0)
        do {
            _ = try packed.image(5)
            Issue.record("a damaged blob decoded")
        } catch {
            #expect("\(error)".contains(out + "#5") && "\(error)".contains("checksum"))
        }
    }

    @Test func rowsOfTheWrongTypeAreErrorsNotCrashes() throws {
        let root = try jpegFolder()
        let out = packPath()
        try pack(root, out)
        let db = try DatabaseQueue(path: out)
        try db.write { db in
            try db.execute(sql: "UPDATE images SET data = 5 WHERE id = 3")
            try db.execute(sql: "UPDATE images SET width = 'wide' WHERE id = 4")
        }
        let packed = try PackSource(path: out)
        for id in [3, 4] {
            do {
                _ = try packed.image(id)
                Issue.record("a damaged row decoded")
            } catch {
                #expect(error.description.contains("\(out)#\(id)"))
            }
        }
        try db.write { try $0.execute(sql: "UPDATE images SET label = 'x' WHERE id = 1") }
        #expect(throws: PackError.notAPack(path: out, detail: "image row 1 is damaged")) { try PackSource(path: out) }
        try db.write { try $0.execute(sql: "UPDATE pack_meta SET value = x'00ff' WHERE key = 'quality'") }
        #expect(throws: PackError.self) { try PackSource(path: out) }
    }

    @Test func aFileThatIsNotAPackIsRefusedAndLeftUntouched() throws {
        let junk = packPath()
        FileManager.default.createFile(atPath: junk, contents: Data("not a pack at all, but long enough".utf8))
        #expect(throws: PackError.notAPack(path: junk, detail: "not an SQLite file")) { try PackSource(path: junk) }
        #expect(throws: PipelineError.self) { try pack(try jpegFolder(), junk) }
        #expect(try String(contentsOfFile: junk, encoding: .utf8) == "not a pack at all, but long enough")
        let other = packPath()  // SQLite, but not a pack
        try DatabaseQueue(path: other).write { try $0.execute(sql: "CREATE TABLE t (x)") }
        #expect(throws: PackError.notAPack(path: other, detail: "no pack_meta or images table")) { try PackSource(path: other) }
        #expect(throws: PackError.io(path: "/nonexistent/x.tdpack", detail: "no such file")) { try PackSource(path: "/nonexistent/x.tdpack") }
    }

    @Test func aBadSourceImageBecomesThatSamplesError() throws {
        let root = try jpegFolder()
        let broken = root + "/class1/img4.jpg"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: broken))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: broken))
        let out = packPath()
        let summary = try pack(root, out)
        #expect(summary.bad == 1)
        let packed = try PackSource(path: out)
        let id = (0..<packed.count).first { packed.sample($0).key == "class1/img4.jpg" }!
        #expect(packed.kind(id) == .bad)
        do {
            _ = try packed.image(id)
            Issue.record("a bad sample decoded")
        } catch {
            #expect("\(error)".contains("img4.jpg") && "\(error)".contains("failed when packed"))
        }
    }

    @Test func settingsOutOfRangeNameTheirField() throws {
        let root = try jpegFolder()
        #expect(throws: PipelineError.invalid(field: "max_side", value: "4", why: "must be between 8 and 32768 pixels")) {
            try pack(root, packPath(), .init(maxSide: 4))
        }
        #expect(throws: PipelineError.invalid(field: "quality", value: "0", why: "must be between 1 and 100")) {
            try pack(root, packPath(), .init(quality: 0))
        }
        let out = packPath()
        try pack(root, out)
        #expect(throws: PipelineError.self) { try pack("pack:" + out, packPath()) }
    }
}
