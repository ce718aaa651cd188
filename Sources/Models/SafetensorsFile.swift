import Foundation

/// A safetensors file (the Hugging Face format: an 8-byte little-endian header length, a JSON header naming
/// each tensor's dtype, shape and byte range, then the raw data). Reading never executes anything from the
/// file, and every size the header claims is checked against the file before any allocation.
public struct SafetensorsFile: Sendable {
    /// Where one tensor lives in the data section.
    public struct Entry: Sendable, Equatable {
        public var dtype: TensorDType
        public var shape: [Int]
        /// Byte range relative to the start of the data section.
        public var range: Range<Int>
    }

    /// Largest header we accept (the format's own readers cap it at 100 MB).
    public static let maxHeaderBytes = 100 << 20

    /// The file this was read from (for messages).
    public let path: String
    /// Free-form string metadata (`__metadata__`).
    public let metadata: [String: String]
    /// Tensor entries by name.
    public let entries: [String: Entry]
    private let data: Data
    private let dataStart: Int

    /// Tensor names, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// Reads and validates the file at `path` (memory-mapped).
    public init(contentsOf path: String) throws(ModelError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw .io(path: path, reason: FileManager.default.fileExists(atPath: path)
                ? "cannot read the file (\(error.localizedDescription))" : "no such file")
        }
        try self.init(data: data, path: path)
    }

    /// Parses and validates safetensors bytes; `path` only names the source in errors.
    public init(data: Data, path: String = "<memory>") throws(ModelError) {
        func bad(_ reason: String) -> ModelError { .badSafetensors(path: path, reason: reason) }
        guard data.count >= 8 else { throw bad("\(data.count) bytes is shorter than the 8-byte header length") }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(data[data.startIndex + i]) << (8 * UInt64(i)) }
        guard headerLength >= 2, headerLength <= UInt64(Self.maxHeaderBytes) else {
            throw bad("header length \(headerLength) is outside 2...\(Self.maxHeaderBytes)")
        }
        guard headerLength <= UInt64(data.count - 8) else {
            throw bad("header claims \(headerLength) bytes but the file has \(data.count - 8) after the length (truncated?)")
        }
        let start = data.startIndex + 8
        let headerData = data.subdata(in: start..<(start + Int(headerLength)))
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: headerData)
        } catch {
            throw bad("the header is not valid JSON")
        }
        guard let header = parsed as? [String: Any] else { throw bad("the header is not a JSON object") }
        let dataSize = data.count - 8 - Int(headerLength)
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else { throw bad("__metadata__ is not an object") }
                for (k, v) in map {
                    guard let s = v as? String else { throw bad("__metadata__ value for '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let object = value as? [String: Any] else { throw bad("entry '\(name)' is not an object") }
            guard let dtypeName = object["dtype"] as? String else { throw bad("tensor '\(name)' has no dtype") }
            guard let dtype = TensorDType(rawValue: dtypeName) else {
                throw bad("tensor '\(name)' has unsupported dtype \(dtypeName)")
            }
            guard let shapeValues = object["shape"] as? [Any] else { throw bad("tensor '\(name)' has no shape") }
            var shape: [Int] = []
            var count = 1
            for dim in shapeValues {
                guard let d = Self.integer(dim), d >= 0 else { throw bad("tensor '\(name)' has a bad dimension in its shape") }
                let (product, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow, product <= dataSize else {
                    throw bad("tensor '\(name)' claims more elements than the file holds")
                }
                count = product
                shape.append(d)
            }
            guard let offsets = object["data_offsets"] as? [Any], offsets.count == 2,
                  let begin = Self.integer(offsets[0]), let end = Self.integer(offsets[1]) else {
                throw bad("tensor '\(name)' has no valid data_offsets")
            }
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw bad("tensor '\(name)' data_offsets [\(begin), \(end)] fall outside the \(dataSize)-byte data section")
            }
            guard end - begin == count * dtype.byteSize else {
                throw bad("tensor '\(name)' has \(end - begin) bytes but shape \(shape) of \(dtypeName) needs \(count * dtype.byteSize)")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, range: begin..<end)
        }
        // Tensors must not overlap (the format requires a dense, ordered layout).
        let ranges = entries.map { ($0.key, $0.value.range) }.filter { !$0.1.isEmpty }.sorted { $0.1.lowerBound < $1.1.lowerBound }
        for (a, b) in zip(ranges, ranges.dropFirst()) where a.1.upperBound > b.1.lowerBound {
            throw bad("tensors '\(a.0)' and '\(b.0)' overlap")
        }
        self.path = path
        self.metadata = metadata
        self.entries = entries
        self.data = data
        self.dataStart = 8 + Int(headerLength)
    }

    private static func integer(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        let d = number.doubleValue
        guard d.isFinite, d == d.rounded(), abs(d) < 9.0e15 else { return nil }
        return number.intValue
    }

    /// The tensor named `name`, copied out of the file.
    public func tensor(_ name: String) throws(ModelError) -> NamedTensor {
        guard let entry = entries[name] else { throw .notFound("\(path): no tensor '\(name)'") }
        let base = data.startIndex + dataStart
        let bytes = [UInt8](data[(base + entry.range.lowerBound)..<(base + entry.range.upperBound)])
        return NamedTensor(name: name, dtype: entry.dtype, shape: entry.shape, bytes: bytes)
    }

    /// All tensors, sorted by name.
    public func allTensors() throws(ModelError) -> [NamedTensor] {
        var out: [NamedTensor] = []
        for name in names { out.append(try tensor(name)) }
        return out
    }

    /// Serialises `tensors` (sorted by name, each once) and `metadata` to safetensors bytes.
    public static func encode(_ tensors: [NamedTensor], metadata: [String: String] = [:]) throws(ModelError) -> Data {
        let sorted = tensors.sorted { $0.name < $1.name }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.name == b.name {
            throw .invalidArgument("two tensors are named '\(a.name)'")
        }
        var header = "{"
        var first = true
        func append(_ s: String) {
            if !first { header += "," }
            first = false
            header += s
        }
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for t in sorted {
            let shape = t.shape.map(String.init).joined(separator: ",")
            append("\(jsonString(t.name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + t.bytes.count)]}")
            offset += t.bytes.count
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var out = Data(capacity: 8 + headerBytes.count + offset)
        var length = UInt64(headerBytes.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        for t in sorted { out.append(contentsOf: t.bytes) }
        return out
    }

    /// Writes `tensors` and `metadata` to `path` atomically (a temporary file renamed into place).
    public static func write(_ tensors: [NamedTensor], metadata: [String: String] = [:], to path: String) throws(ModelError) {
        let bytes = try encode(tensors, metadata: metadata)
        do {
            try bytes.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .io(path: path, reason: "cannot write (\(error.localizedDescription)); check that the folder exists and is writable")
        }
    }
}

/// A JSON string literal for `s`.
func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                out += String(format: "\\u%04x", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
