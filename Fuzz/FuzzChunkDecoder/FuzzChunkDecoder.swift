// libFuzzer target for the store's chunk decoder (`Zstd.decompressSections` and `ChunkCodec.decode`).
//
// Built by scripts/fuzz with `-sanitize=fuzzer,address -DFUZZING`: exports `LLVMFuzzerTestOneInput`
// and libFuzzer supplies `main`. In a plain debug build it is a replay driver:
// `FuzzChunkDecoder FILE|DIR...` runs every input through the same check and exits 1 when one misbehaves.
//
// The decoder is internal to Store, so this target needs a build with testable imports (debug, which
// both `swift build --build-tests` and scripts/fuzz use). A release build compiles a stub that says so.
#if DEBUG || FUZZING
import Foundation
import FuzzSupport
@testable import Store

/// One fuzz input: a 12-byte prefix choosing the chunk row and layout, then the chunk bytes.
///
/// ```
/// u8  flags: bit 0 q8 codec (else fp16), bit 1 the bytes are a stored blob (zstd sections), else a decoded payload
/// u8  K − 1 (mod 32)
/// u16 C − 1 (little-endian)
/// u32 the row's record count
/// u32 the row's decoded size (blob inputs only)
/// ... the blob or payload
/// ```
/// An input passes when decoding throws a ``StoreError`` or returns records consistent with the row and
/// layout that re-encode to the same records; anything else (a trap, an inconsistency) is a finding.
enum ChunkDecoderFuzz {
    static let prefixBytes = 12

    /// Checks one input.
    static func check(_ input: UnsafeRawBufferPointer) -> FuzzOutcome {
        guard input.count >= prefixBytes else { return .rejected("shorter than the \(prefixBytes)-byte prefix") }
        let flags = input[0]
        let k = Int(input[1] % 32) + 1
        let numClasses = Int(UInt16(input[2]) | UInt16(input[3]) << 8) + 1
        let count = Int(input.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian)
        let rawBytes = Int(input.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian)
        let layout = ChunkLayout(k: k, numClasses: numClasses, codec: flags & 1 == 0 ? .fp16 : .q8, runSeed: 0x5EED)
        let epoch = 3
        let body = UnsafeRawBufferPointer(rebasing: input[prefixBytes...])
        var columns = RecordColumns(epoch: 0, k: 0)
        do throws(StoreError) {
            if flags & 2 != 0 {
                var scratch: [UInt8] = []
                try Zstd().decompressSections(body, expectedSize: rawBytes, into: &scratch)
                guard scratch.count >= rawBytes else { return .misbehaved("decompressSections left \(scratch.count) < \(rawBytes) bytes") }
                try decode(Array(scratch.prefix(rawBytes)), layout: layout, epoch: epoch, count: count, into: &columns)
            } else {
                try ChunkCodec.decode(body, layout: layout, epoch: epoch, expectedCount: count, into: &columns)
            }
        } catch {
            return .rejected(error.description)  // a typed, clean rejection
        }
        if let problem = consistency(columns, layout: layout, epoch: epoch, count: count) { return .misbehaved(problem) }
        return .accepted
    }

    /// `ChunkCodec.decode` over an array's bytes.
    static func decode(_ bytes: [UInt8], layout: ChunkLayout, epoch: Int, count: Int, into out: inout RecordColumns) throws(StoreError) {
        var failure: StoreError?
        bytes.withUnsafeBytes { b in
            do throws(StoreError) {
                try ChunkCodec.decode(b, layout: layout, epoch: epoch, expectedCount: count, into: &out)
            } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// What a successful decode must satisfy, and that re-encoding gives the same records.
    static func consistency(_ c: RecordColumns, layout: ChunkLayout, epoch: Int, count: Int) -> String? {
        let k = layout.k
        guard c.epoch == epoch, c.k == k else { return "epoch/K \(c.epoch)/\(c.k), expected \(epoch)/\(k)" }
        guard c.count == count, c.seeds.count == count, c.indices.count == count * k, c.values.count == count * k else {
            return "column lengths \(c.sampleIDs.count)/\(c.seeds.count)/\(c.indices.count)/\(c.values.count) for \(count) records of K \(k)"
        }
        for i in 1..<max(1, count) where c.sampleIDs[i] <= c.sampleIDs[i - 1] { return "sample ids not ascending at \(i)" }
        for i in 0..<count {
            for r in 0..<k {
                let j = i * k + r
                if Int(c.indices[j]) >= layout.numClasses { return "class \(c.indices[j]) ≥ C \(layout.numClasses)" }
                if r > 0, c.indices[j] <= c.indices[j - 1] { return "record \(i): classes not strictly ascending" }
                if !(c.values[j] >= 0 && c.values[j] <= 1) { return "record \(i): value \(c.values[j]) outside [0, 1]" }
            }
        }
        guard count > 0 else { return nil }
        var pending = PendingChunk()
        pending.sampleIDs = c.sampleIDs
        pending.seeds = c.seeds
        pending.indices = c.indices
        pending.codes = c.values.map { layout.codec.code($0) }
        let encoded = ChunkCodec.encode(pending, layout: layout, epoch: epoch)
        var again = RecordColumns(epoch: 0, k: 0)
        do throws(StoreError) {
            let zstd = Zstd()
            let blob = try zstd.compressSections(encoded.bytes, sections: encoded.sections)
            var scratch: [UInt8] = []
            var failure: StoreError?
            blob.withUnsafeBytes { b in
                do throws(StoreError) {
                    try zstd.decompressSections(b, expectedSize: encoded.bytes.count, into: &scratch)
                } catch { failure = error }
            }
            if let failure { throw failure }
            guard scratch.prefix(encoded.bytes.count).elementsEqual(encoded.bytes) else { return "zstd sections do not round-trip" }
            try decode(encoded.bytes, layout: layout, epoch: epoch, count: count, into: &again)
        } catch {
            return "re-encoded records fail to decode: \(error)"
        }
        return again == c ? nil : "re-encoded records decode differently"
    }
}
#endif

#if FUZZING
/// The libFuzzer entry point: a misbehaving decoder is reported as a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChunkDecoder(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    if case .misbehaved(let problem) = ChunkDecoderFuzz.check(UnsafeRawBufferPointer(start: data, count: size)) {
        fatalError("FuzzChunkDecoder: \(problem)")
    }
    return 0
}
#else
import Foundation

/// The replay driver of a plain build: `FuzzChunkDecoder FILE|DIR...`.
@main
struct FuzzChunkDecoder {
    static func main() {
        #if DEBUG
        exit(ReplayDriver.run(name: "FuzzChunkDecoder", arguments: Array(CommandLine.arguments.dropFirst())) { bytes in
            bytes.withUnsafeBytes { ChunkDecoderFuzz.check($0) }
        })
        #else
        FileHandle.standardError.write(Data("FuzzChunkDecoder: the replay driver needs a debug build (swift build --product FuzzChunkDecoder)\n".utf8))
        exit(2)
        #endif
    }
}
#endif
