import CTinyDistill
import Foundation
import DataPipeline
import Store

/// A failure of a C ABI call: the status code it returns and the message `tinydistill_last_error` gives.
struct ABIFailure: Error {
    var code: Int32
    var message: String

    static func invalid(_ message: String) -> ABIFailure { ABIFailure(code: TINYDISTILL_ERROR_INVALID, message: message) }
    static func state(_ message: String) -> ABIFailure { ABIFailure(code: TINYDISTILL_ERROR_STATE, message: message) }

    /// A library error, its option fields named as the ABI's JSON keys.
    init(_ error: PipelineError) {
        switch error {
        case .invalid(let field, _, _):
            code = field == "stage" ? TINYDISTILL_ERROR_STATE : TINYDISTILL_ERROR_INVALID
        case .store: code = TINYDISTILL_ERROR_STORE
        case .failed, .interrupted: code = TINYDISTILL_ERROR_FAILED
        }
        message = error.describe(naming: ABIKey.of)
    }

    init(_ error: StoreError) {
        code = TINYDISTILL_ERROR_STORE
        message = error.description
    }

    init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }
}

/// Maps the library's option fields (`topK`, `batch`) to the JSON keys of the ABI's options (`topk`,
/// `batch_size`), which the Python package uses as its keyword names.
enum ABIKey {
    static let exceptions: [String: String] = [
        "topK": "topk", "batch": "batch_size", "storePaths": "stores", "teacherName": "teacher.name",
        "teacherDigest": "teacher.digest", "numClasses": "teacher.num_classes", "classNames": "teacher.class_names", "channels": "teacher.channels",
        "policyJSON": "policy_json", "workers": "num_workers", "prefetch": "prefetch_factor",
    ]

    /// The key for `field`: an exception, else the field in snake case.
    static func of(_ field: String) -> String {
        if let key = exceptions[field] { return key }
        var out = ""
        for ch in field {
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
        return out
    }
}

/// This thread's last error message (a malloc'd C string), kept in a pthread key.
enum LastError {
    static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { free($0) }
        return key
    }()

    static func set(_ message: String) {
        if let old = pthread_getspecific(key) { free(old) }
        pthread_setspecific(key, strdup(message))
    }

    static var current: UnsafePointer<CChar>? {
        pthread_getspecific(key).map { UnsafePointer($0.assumingMemoryBound(to: CChar.self)) }
    }
}

/// Runs `body`, turning a failure into its status code and this thread's message.
func guarded(_ body: () throws(ABIFailure) -> Void) -> Int32 {
    do {
        try body()
        return TINYDISTILL_OK
    } catch {
        LastError.set(error.message)
        return error.code
    }
}

/// A required non-null pointer argument.
func required<T>(_ pointer: T?, _ name: String, in function: String) throws(ABIFailure) -> T {
    guard let pointer else { throw .invalid("\(function): \(name) is NULL") }
    return pointer
}

/// A string the caller releases with `tinydistill_string_free`.
func cString(_ s: String) -> UnsafeMutablePointer<CChar> { strdup(s) }

/// `value` as compact JSON with sorted keys.
func jsonString(_ value: Any) -> String {
    guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) else { return "null" }
    return String(decoding: data, as: UTF8.self)
}

/// An encodable value as a JSON object (for embedding in a larger JSON answer).
func jsonObject<T: Encodable>(_ value: T) -> Any {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    guard let data = try? encoder.encode(value), let object = try? JSONSerialization.jsonObject(with: data) else { return NSNull() }
    return object
}

/// Retains `object` behind an opaque pointer for the caller.
func retained<T: AnyObject>(_ object: T) -> OpaquePointer { OpaquePointer(Unmanaged.passRetained(object).toOpaque()) }

/// The object behind a handle (not consumed).
func object<T: AnyObject>(_ handle: OpaquePointer?, as: T.Type, _ name: String, in function: String) throws(ABIFailure) -> T {
    guard let handle else { throw .invalid("\(function): \(name) is NULL") }
    return Unmanaged<T>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
}

/// Releases the object behind a handle.
func release<T: AnyObject>(_ handle: OpaquePointer?, as: T.Type) {
    guard let handle else { return }
    Unmanaged<T>.fromOpaque(UnsafeRawPointer(handle)).release()
}

@_cdecl("tinydistill_abi_version")
public func abiVersion() -> Int32 { 2 }

@_cdecl("tinydistill_version")
public func libraryVersion() -> UnsafePointer<CChar> { LibraryVersion.string }

enum LibraryVersion {
    nonisolated(unsafe) static let string: UnsafePointer<CChar> = UnsafePointer(strdup(StoreWriter.toolVersion)!)
}

@_cdecl("tinydistill_last_error")
public func lastError() -> UnsafePointer<CChar>? { LastError.current }

@_cdecl("tinydistill_string_free")
public func stringFree(_ s: UnsafeMutablePointer<CChar>?) { free(s) }
