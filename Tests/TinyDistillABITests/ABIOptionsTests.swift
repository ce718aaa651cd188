import CTinyDistill
import Foundation
import DataPipeline
import Testing
@testable import TinyDistillABI

@Suite("C ABI options and errors")
struct ABIOptionsTests {
    func open(_ json: String) -> (status: Int32, message: String?) {
        var handle: OpaquePointer?
        let status = json.withCString { loaderOpen($0, &handle) }
        if handle != nil { loaderFree(handle) }
        return (status, lastError().map { String(cString: $0) })
    }

    @Test("an unknown option is refused with the known ones listed")
    func unknownOptionIsRefused() {
        let r = open(#"{"stores": ["x"], "data": "d", "batch_size": 8, "batchsize": 8}"#)
        #expect(r.status == TINYDISTILL_ERROR_INVALID)
        #expect(r.message?.contains("unknown option \"batchsize\"") == true)
        #expect(r.message?.contains("batch_size") == true)
    }

    @Test("JSON types are strict: a boolean is not an integer and an integer is not a boolean")
    func typesAreStrict() {
        let a = open(#"{"stores": ["x"], "data": "d", "batch_size": true}"#)
        #expect(a.status == TINYDISTILL_ERROR_INVALID && a.message?.contains("batch_size: expected an integer") == true)
        let b = open(#"{"stores": ["x"], "data": "d", "batch_size": 8, "drop_last": 1}"#)
        #expect(b.status == TINYDISTILL_ERROR_INVALID && b.message?.contains("drop_last: expected true or false") == true)
        let c = open(#"{"stores": ["x"], "data": "d", "batch_size": 8.5}"#)
        #expect(c.status == TINYDISTILL_ERROR_INVALID && c.message?.contains("batch_size") == true)
        let d = open("[1, 2]")
        #expect(d.status == TINYDISTILL_ERROR_INVALID && d.message?.contains("not a JSON object") == true)
    }

    @Test("library fields are named by the Python keywords")
    func fieldsMapToKeywords() {
        #expect(ABIKey.of("topK") == "topk")
        #expect(ABIKey.of("batch") == "batch_size")
        #expect(ABIKey.of("shuffleChunks") == "shuffle_chunks")
        let e = ABIFailure(PipelineError.invalid(field: "topK", value: "0", why: "K must be in 1…C"))
        #expect(e.message == "topk 0: K must be in 1…C" && e.code == TINYDISTILL_ERROR_INVALID)
        #expect(ABIFailure(PipelineError.invalid(field: "stage", value: "s", why: "closed")).code == TINYDISTILL_ERROR_STATE)
    }

    @Test("the last error belongs to the thread that failed")
    func lastErrorIsPerThread() {
        let mine = open(#"{"stores": ["x"], "data": "d", "batch_size": 8, "mine": 1}"#).message
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var theirs: String?
        let thread = Thread {
            theirs = self.open(#"{"stores": ["x"], "data": "d", "batch_size": 8, "theirs": 1}"#).message
            done.signal()
        }
        thread.start()
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(mine?.contains("\"mine\"") == true)
        #expect(theirs?.contains("\"theirs\"") == true)
        #expect(lastError().map { String(cString: $0) } == mine)
    }

    @Test("top-K of probabilities keeps the lower class on ties")
    func topKOfProbabilities() {
        let p: [Float] = [0.1, 0.3, 0.3, 0.05, 0.25]
        var idx = [UInt32](repeating: 9, count: 3), val = [Float](repeating: 0, count: 3)
        p.withUnsafeBufferPointer { pp in
            idx.withUnsafeMutableBufferPointer { i in
                val.withUnsafeMutableBufferPointer { v in TopK.select(probabilities: pp, indices: i, values: v) }
            }
        }
        #expect(idx == [1, 2, 4] && val == [0.3, 0.3, 0.25])
    }
}
