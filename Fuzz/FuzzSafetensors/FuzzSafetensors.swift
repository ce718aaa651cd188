// libFuzzer target for the safetensors reader (`SafetensorsFile(data:path:)`).
//
// Built by scripts/fuzz with `-sanitize=fuzzer,address -DFUZZING`: exports `LLVMFuzzerTestOneInput`
// and libFuzzer supplies `main`. In a plain build it is a replay driver:
// `FuzzSafetensors FILE|DIR...` runs every input through the same check and exits 1 when one misbehaves.
import Foundation
import FuzzSupport
import Models

/// One fuzz input: the bytes of a would-be safetensors file.
///
/// An input passes when the reader throws ``ModelError/badSafetensors(path:reason:)``, or returns entries
/// that lie inside the file, match their dtype and shape, do not overlap, copy out at their size, and
/// survive an encode → read round trip unchanged; anything else (a trap, an inconsistency) is a finding.
enum SafetensorsFuzz {
    /// Checks one input.
    static func check(_ bytes: [UInt8]) -> FuzzOutcome {
        let data = Data(bytes)
        let file: SafetensorsFile
        do {
            file = try SafetensorsFile(data: data, path: "<fuzz>")
        } catch {
            if case .badSafetensors = error { return .rejected(error.description) }
            return .misbehaved("unexpected error kind: \(error)")
        }
        guard data.count >= 8 else { return .misbehaved("accepted \(data.count) bytes") }
        var headerLength = 0
        for i in 0..<8 { headerLength |= Int(data[i]) << (8 * i) }
        let dataSize = data.count - 8 - headerLength
        var tensors: [NamedTensor] = []
        for name in file.names {
            guard let e = file.entries[name] else { return .misbehaved("names lists '\(name)' without an entry") }
            guard e.range.lowerBound >= 0, e.range.upperBound <= dataSize else { return .misbehaved("'\(name)' range \(e.range) outside \(dataSize) bytes") }
            guard e.range.count == e.shape.reduce(1, *) * e.dtype.byteSize else { return .misbehaved("'\(name)' size does not match its shape") }
            do {
                let t = try file.tensor(name)
                guard t.bytes.count == e.range.count, t.shape == e.shape, t.dtype == e.dtype else { return .misbehaved("'\(name)' copies out wrongly") }
                tensors.append(t)
            } catch {
                return .misbehaved("'\(name)' listed but tensor() throws: \(error)")
            }
        }
        let ranges = file.entries.values.map(\.range).filter { !$0.isEmpty }.sorted { $0.lowerBound < $1.lowerBound }
        for (a, b) in zip(ranges, ranges.dropFirst()) where a.upperBound > b.lowerBound { return .misbehaved("overlapping ranges accepted") }
        do {
            let again = try SafetensorsFile(data: SafetensorsFile.encode(tensors, metadata: file.metadata), path: "<re-encoded>")
            guard again.metadata == file.metadata else { return .misbehaved("metadata does not round-trip") }
            guard again.names == file.names else { return .misbehaved("names do not round-trip") }
            for name in file.names {
                guard let a = file.entries[name], let b = again.entries[name], a.dtype == b.dtype, a.shape == b.shape,
                      try again.tensor(name).bytes == file.tensor(name).bytes else { return .misbehaved("tensor '\(name)' does not round-trip") }
            }
        } catch {
            return .misbehaved("a file read and re-encoded no longer reads: \(error)")
        }
        return .accepted
    }
}

#if FUZZING
/// The libFuzzer entry point: a misbehaving reader is reported as a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    if case .misbehaved(let problem) = SafetensorsFuzz.check(Array(UnsafeBufferPointer(start: data, count: size))) {
        fatalError("FuzzSafetensors: \(problem)")
    }
    return 0
}
#else
/// The replay driver of a plain build: `FuzzSafetensors FILE|DIR...`.
@main
struct FuzzSafetensors {
    static func main() {
        exit(ReplayDriver.run(name: "FuzzSafetensors", arguments: Array(CommandLine.arguments.dropFirst()), check: SafetensorsFuzz.check))
    }
}
#endif
