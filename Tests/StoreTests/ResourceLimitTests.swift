import Foundation
import GRDB
@testable import DataPipeline
@testable import Store
import Testing

/// Sizes a damaged chunk claims are checked against the bytes it actually has before anything is
/// allocated for them: a decoded size of 2^40, a zstd frame declaring 2^40 bytes, a table of 64 frames of
/// 4 GiB, or a record count of 2^32 − 1 all end in a clear error, with no buffer grown to the claim.
@Suite struct ResourceLimitTests {
    let layout = ChunkLayout(k: 5, numClasses: 100, codec: .fp16, runSeed: 1)

    func varint(_ value: UInt64) -> [UInt8] {
        var v = value, out: [UInt8] = []
        while v >= 0x80 { out.append(UInt8(truncatingIfNeeded: v) | 0x80); v >>= 7 }
        return out + [UInt8(v)]
    }

    func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    func decompress(_ blob: [UInt8], expectedSize: Int, into out: inout [UInt8]) throws(StoreError) {
        var failure: StoreError?
        blob.withUnsafeBytes { b in
            do throws(StoreError) { try Zstd().decompressSections(b, expectedSize: expectedSize, into: &out) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// A real two-section blob of 300 bytes.
    func realBlob() throws -> [UInt8] {
        let bytes = (0..<300).map { UInt8(truncatingIfNeeded: $0 * 7) }
        return try Zstd().compressSections(bytes, sections: [0, 100])
    }

    @Test func aRowClaimingATerabyteIsRejectedBeforeAllocating() throws {
        var out: [UInt8] = []
        #expect(throws: StoreError.codec("frames decode to 300 bytes, the chunk row says \(1 << 40)")) {
            try decompress(try realBlob(), expectedSize: 1 << 40, into: &out)
        }
        #expect(out.isEmpty)
    }

    @Test func aFrameTableClaimingMoreThanZstdCanExpandIsRejectedBeforeAllocating() throws {
        // One frame of 4 GiB from 10 compressed bytes, and 64 frames of 4 GiB (256 GiB) from 4 bytes each.
        let one = le32(1) + le32(0xFFFF_FFF0) + le32(10) + [0x28, 0xB5, 0x2F, 0xFD] + [UInt8](repeating: 0, count: 6)
        var out: [UInt8] = []
        do {
            try decompress(one, expectedSize: 0xFFFF_FFF0, into: &out)
            Issue.record("a 4 GiB claim from 10 bytes was accepted")
        } catch {
            #expect(error.description.contains("more than zstd can expand to"), "\(error)")
        }
        var many = le32(64)
        for _ in 0..<64 { many += le32(0xFFFF_FFFF) + le32(4) }
        many += [UInt8](repeating: 0, count: 256)
        #expect(throws: StoreError.self) { try decompress(many, expectedSize: 64 * 0xFFFF_FFFF, into: &out) }
        #expect(out.isEmpty)
    }

    @Test func aFrameTableThatDisagreesWithTheBlobIsRejected() throws {
        var blob = try realBlob()
        blob.append(0)  // one byte the table does not list
        var out: [UInt8] = []
        do {
            try decompress(blob, expectedSize: 300, into: &out)
            Issue.record("a blob with a stray byte was accepted")
        } catch {
            #expect(error.description.contains("the frame table lists"), "\(error)")
        }
        #expect(out.isEmpty)
    }

    @Test func aZstdFrameDeclaringATerabyteIsRejectedBeforeDecompressing() throws {
        // A frame header with an 8-byte content size of 2^40 (single segment), then one raw block of 16 bytes.
        var frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0xE0]
        frame += withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { Array($0) }
        frame += [0x81, 0x00, 0x00] + [UInt8](repeating: 7, count: 16)  // last raw block, 16 bytes
        let blob = le32(1) + le32(16) + le32(UInt32(frame.count)) + frame
        var out: [UInt8] = []
        #expect(throws: StoreError.codec("zstd frame declares \(1 << 40) bytes, its table entry says 16")) {
            try decompress(blob, expectedSize: 16, into: &out)
        }
        #expect(out.count <= 32, "grew to \(out.count) bytes")
    }

    @Test func aRecordCountThePayloadCannotHoldIsRejectedBeforeAllocatingColumns() throws {
        let payload = le32(ChunkCodec.magic) + [ValueCodec.fp16.id, 0] + varint(5) + varint(0xFFFF_FFFF) + varint(0)
            + [UInt8](repeating: 0, count: 40)
        var columns = RecordColumns(epoch: 0, k: 0)
        var failure: StoreError?
        payload.withUnsafeBytes { b in
            do throws(StoreError) {
                try ChunkCodec.decode(b, layout: layout, epoch: 0, expectedCount: 0xFFFF_FFFF, into: &columns)
            } catch { failure = error }
        }
        #expect(failure?.description.contains("chunk claims 4294967295 records of K 5, more than its") == true, "\(String(describing: failure))")
        #expect(columns.sampleIDs.capacity < 1024 && columns.indices.isEmpty)
    }

    @Test func aSampleIDGapThatOverflowsIsAClearError() throws {
        let payload = le32(ChunkCodec.magic) + [ValueCodec.fp16.id, 0] + varint(1) + varint(2) + varint(5) + varint(UInt64.max - 2)
            + varint(0) + [UInt8](repeating: 0, count: 6)
        let one = ChunkLayout(k: 1, numClasses: 100, codec: .fp16, runSeed: 1)
        var columns = RecordColumns(epoch: 0, k: 0)
        var failure: StoreError?
        payload.withUnsafeBytes { b in
            do throws(StoreError) { try ChunkCodec.decode(b, layout: one, epoch: 0, expectedCount: 2, into: &columns) } catch { failure = error }
        }
        #expect(failure == .codec("sample id out of range"))
    }

    /// End to end: a store whose chunk row claims 2^40 decoded bytes, or 2^32 − 1 records, reads as a
    /// corrupt chunk naming its epoch and chunk.
    @Test func aStoreRowWithHugeClaimsReadsAsACorruptChunk() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        for (column, value) in [("raw_bytes", Int64(1) << 40), ("record_count", Int64(0xFFFF_FFFF))] {
            let path = dir.path("\(column).tdstore")
            _ = try PrecomputeJob(options: PrecomputeOptions(data: "synthetic:300", teacher: "synthetic:50", epochs: 1, topK: 5,
                                                             seed: 3, out: path, chunkRecords: 100)).run()
            let db = try DatabaseQueue(path: path)
            try db.write { try $0.execute(sql: "UPDATE chunks SET \(column) = ? WHERE epoch = 0 AND chunk = 1", arguments: [value]) }
            try db.close()
            do {
                try StoreReader(path: path).forEachChunk { _ in }
                Issue.record("\(column) = \(value) read without an error")
            } catch let error as StoreError {
                guard case .corruptChunk(let epoch, let chunk, _) = error else {
                    Issue.record("\(column): \(error)")
                    continue
                }
                #expect(epoch == 0 && chunk == 1, "\(error)")
            }
        }
    }
}
