import Foundation

/// A JSON value, decoded strictly: `true` is not a number and `1` is not a boolean.
enum JSONValue: Decodable {
    case null, bool(Bool), int(Int64), uint(UInt64), double(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .int(i) }
        else if let u = try? c.decode(UInt64.self) { self = .uint(u) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    var text: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return "\(b)"
        case .int(let i): return "\(i)"
        case .uint(let u): return "\(u)"
        case .double(let d): return "\(d)"
        case .string(let s): return "\"\(s)\""
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// The JSON object of options an `_open` function takes, read key by key with errors that name the key.
/// Keys not in the function's list are refused, so that a misspelt option never goes unnoticed.
struct ABIOptions {
    let values: [String: JSONValue]
    let function: String

    /// Parses `json` for `function`, which knows `keys`.
    init(_ json: UnsafePointer<CChar>?, function: String, keys: Set<String>) throws(ABIFailure) {
        self.function = function
        guard let json else { throw .invalid("\(function): the options JSON is NULL") }
        let text = String(cString: json)
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)), case .object(let dict) = value else {
            throw .invalid("\(function): the options are not a JSON object: \(text.prefix(200))")
        }
        if let unknown = dict.keys.sorted().first(where: { !keys.contains($0) }) {
            throw .invalid("\(function): unknown option \"\(unknown)\"; known options: \(keys.sorted().joined(separator: ", "))")
        }
        values = dict
    }

    /// A sub-object (`teacher`) read with the same rules.
    init(object: [String: JSONValue], name: String, function: String, keys: Set<String>) throws(ABIFailure) {
        self.function = function
        if let unknown = object.keys.sorted().first(where: { !keys.contains($0) }) {
            throw .invalid("\(function): unknown key \"\(unknown)\" in \(name); known keys: \(keys.sorted().joined(separator: ", "))")
        }
        values = object
    }

    private func value(_ key: String) -> JSONValue? {
        guard let v = values[key] else { return nil }
        if case .null = v { return nil }
        return v
    }

    func string(_ key: String) throws(ABIFailure) -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else { throw .invalid("\(key): expected a string, got \(v.text)") }
        return s
    }

    func requiredString(_ key: String) throws(ABIFailure) -> String {
        guard let s = try string(key) else { throw .invalid("\(key): required by \(function)") }
        return s
    }

    func int(_ key: String) throws(ABIFailure) -> Int? {
        guard let v = value(key) else { return nil }
        guard case .int(let i) = v else { throw .invalid("\(key): expected an integer, got \(v.text)") }
        return Int(i)
    }

    func requiredInt(_ key: String) throws(ABIFailure) -> Int {
        guard let i = try int(key) else { throw .invalid("\(key): required by \(function)") }
        return i
    }

    /// A seed: an integer in 0…2^64 − 1.
    func seed(_ key: String) throws(ABIFailure) -> UInt64? {
        guard let v = value(key) else { return nil }
        switch v {
        case .int(let i) where i >= 0: return UInt64(i)
        case .uint(let u): return u
        default: throw .invalid("\(key): expected an integer in 0…2^64-1, got \(v.text)")
        }
    }

    func bool(_ key: String) throws(ABIFailure) -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw .invalid("\(key): expected true or false, got \(v.text)") }
        return b
    }

    func strings(_ key: String) throws(ABIFailure) -> [String]? {
        guard let v = value(key) else { return nil }
        guard case .array(let a) = v else { throw .invalid("\(key): expected an array of strings, got \(v.text)") }
        var out: [String] = []
        for e in a {
            guard case .string(let s) = e else { throw .invalid("\(key): expected an array of strings, found \(e.text)") }
            out.append(s)
        }
        return out
    }

    func object(_ key: String) throws(ABIFailure) -> [String: JSONValue]? {
        guard let v = value(key) else { return nil }
        guard case .object(let o) = v else { throw .invalid("\(key): expected a JSON object, got \(v.text)") }
        return o
    }
}
