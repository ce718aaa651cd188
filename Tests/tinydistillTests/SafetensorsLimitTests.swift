import Foundation
import Models
import Testing

/// A safetensors header claiming huge tensors is rejected from the sizes alone: every dimension product
/// and byte range is checked against the file's actual length before a tensor is copied or allocated.
@Suite struct SafetensorsLimitTests {
    /// A file with header `json` and `payload` bytes of data.
    func file(_ json: String, payload: Int = 16) -> Data {
        var d = Data()
        var n = UInt64(json.utf8.count).littleEndian
        withUnsafeBytes(of: &n) { d.append(contentsOf: $0) }
        d.append(contentsOf: Array(json.utf8))
        d.append(Data(count: payload))
        return d
    }

    func reason(_ data: Data) -> String? {
        do {
            _ = try SafetensorsFile(data: data, path: "huge.safetensors")
            return nil
        } catch {
            guard case .badSafetensors(let path, let reason) = error, path == "huge.safetensors" else { return "wrong error: \(error)" }
            return reason
        }
    }

    @Test func headersClaimingHugeTensorsAreRejectedFromTheirSizes() throws {
        let cases: [(String, Data, String)] = [
            // 2^40 header bytes claimed by a 16-byte file.
            ("huge header", withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { Data($0) } + Data(count: 8), "outside 2..."),
            // 2^33 F32 elements (32 GiB) with offsets to match, in a 16-byte data section.
            ("32 GiB tensor", file(#"{"w":{"dtype":"F32","shape":[8589934592],"data_offsets":[0,34359738368]}}"#),
             "claims more elements than the file holds"),
            // Dimensions whose product overflows Int (10^15 × 10^15).
            ("overflowing shape", file(#"{"w":{"dtype":"F64","shape":[1000000000000000,1000000000000000],"data_offsets":[0,16]}}"#),
             "claims more elements than the file holds"),
            // A small shape but a data range far past the end of the file.
            ("range past the end", file(#"{"w":{"dtype":"U8","shape":[16],"data_offsets":[1099511627776,1099511627792]}}"#),
             "fall outside the 16-byte data section"),
            // Many small tensors whose ranges together exceed the file (they would overlap).
            ("overlapping claims", file(#"{"a":{"dtype":"U8","shape":[16],"data_offsets":[0,16]},"b":{"dtype":"U8","shape":[16],"data_offsets":[0,16]}}"#),
             "overlap"),
        ]
        for (label, data, expected) in cases {
            let r = reason(data)
            #expect(r?.contains(expected) == true, "\(label): \(String(describing: r))")
        }
    }

    @Test func aZeroDimensionDoesNotHideAHugeOne() throws {
        // [0, 2^40]: zero elements, so zero bytes; accepted and empty, never allocated at 2^40.
        let f = try SafetensorsFile(data: file(#"{"w":{"dtype":"F32","shape":[0,1099511627776],"data_offsets":[0,0]}}"#), path: "zero")
        #expect(try f.tensor("w").bytes.isEmpty)
        #expect(try f.tensor("w").shape == [0, 1 << 40])
    }
}
