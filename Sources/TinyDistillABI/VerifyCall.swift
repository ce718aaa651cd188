import CTinyDistill
import DataPipeline
import Foundation
import Store

/// `tinydistill_verify`: ``VerifyJob`` without a model (structure, every chunk and record, coverage,
/// the dataset fingerprint and policy; replay only with the synthetic teacher, whose targets need no
/// model), answered as the `verify --json` document.
enum VerifyCall {
    static let keys: Set<String> = ["stores", "data", "teacher", "sample", "all", "batch_size", "class_map"]

    static func run(_ json: UnsafePointer<CChar>?) throws(ABIFailure) -> VerifyReport {
        let fn = "tinydistill_verify"
        let o = try ABIOptions(json, function: fn, keys: keys)
        guard let stores = try o.strings("stores"), !stores.isEmpty else { throw .invalid("stores: required by \(fn): give one or more store paths") }
        let paths: [String]
        do throws(StoreError) { paths = try ShardedStore.resolve(stores) } catch { throw ABIFailure(error) }
        let sample = try o.int("sample") ?? 256
        guard sample >= 0 else { throw .invalid("sample \(sample): must be ≥ 0") }
        let data = try o.string("data"), teacher = try o.string("teacher")
        let all = try o.bool("all") ?? false, batch = try o.int("batch_size") ?? 64
        let classMap = try o.string("class_map")
        do throws(PipelineError) {
            return try VerifyJob.run(paths: paths, data: data, teacher: teacher, arch: nil, sample: sample, all: all, batch: batch, classMap: classMap,
                                     teachers: SyntheticTeachers())
        } catch {
            throw ABIFailure(error)
        }
    }
}

@_cdecl("tinydistill_verify")
public func verify(_ json: UnsafePointer<CChar>?, _ report: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded { () throws(ABIFailure) in
        let out = try required(report, "report_json", in: "tinydistill_verify")
        out.pointee = nil
        out.pointee = cString(jsonString(jsonObject(try VerifyCall.run(json))))
    }
}
