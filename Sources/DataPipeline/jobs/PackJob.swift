import Dispatch
import Foundation
import Images
import Pack

/// `tinydistill pack`: one dataset into one image-pack file (``Pack/PackSource``), resumable.
///
/// Images are encoded on several threads a batch at a time and written in id order, one transaction
/// per batch: an interrupted run keeps every batch written, and the same command continues after it.
public struct PackJob {
    /// What to pack and how.
    public struct Options: Sendable {
        /// The source dataset (any `--data` value but a pack's own).
        public var data: String
        /// The pack file to write or resume.
        public var out: String
        /// Size and encoding of the stored images.
        public var settings: PackSettings
        /// Threads encoding images.
        public var threads: Int
        /// Images per transaction.
        public var batch: Int

        /// Options; see each field.
        public init(data: String, out: String, settings: PackSettings = .init(), threads: Int = 2, batch: Int = 64) {
            self.data = data
            self.out = out
            self.settings = settings
            self.threads = threads
            self.batch = batch
        }
    }

    /// What a run did (`--json`).
    public struct Summary: Sendable, Codable, Equatable {
        /// The pack file and the source spec.
        public var out: String, data: String
        /// Images in the pack, written by this run, and found written by earlier runs.
        public var images: Int, written: Int, skipped: Int
        /// Samples whose source image failed to read (kept as errors in the pack).
        public var bad: Int
        /// The pack's size in bytes, and the summed size of its blobs.
        public var bytes: Int, blobBytes: Int
        /// The fingerprint stores made from the pack carry (nil until it is complete).
        public var fingerprint: String?
        /// The source's fingerprint; equal to `fingerprint` when the pack keeps every image as it was.
        public var sourceFingerprint: String
        /// Wall-clock seconds of this run.
        public var seconds: Double
        /// Whether a signal stopped the run before the end.
        public var interrupted: Bool
    }

    /// The options.
    public let options: Options
    /// Called after each batch with (images written in all runs, total).
    public var progress: ((Int, Int) -> Void)?
    /// Polled between batches; true stops after the batch in flight.
    public var shouldStop: () -> Bool = { false }

    /// A job for `options`.
    public init(options: Options) { self.options = options }

    /// Runs it. Errors name the option field (`data`, `out`, `max_side`, `quality`, `threads`, `batch`).
    public func run() throws(PipelineError) -> Summary {
        let o = options
        guard o.threads >= 1 else { throw .invalid(field: "threads", value: String(o.threads), why: "must be at least 1") }
        guard o.batch >= 1 else { throw .invalid(field: "batch", value: String(o.batch), why: "must be at least 1") }
        guard !o.data.hasPrefix("pack:") else {
            throw .invalid(field: "data", value: o.data, why: "is already a pack; pack its original source instead")
        }
        let source = try DataSource.open(o.data)
        guard source.hasImages else { throw .invalid(field: "data", value: o.data, why: "has no images to pack") }
        let start = Date()
        let sourceFingerprint = source.fingerprint
        let writer: PackWriter
        do {
            writer = try PackWriter(path: o.out, source: o.data, sourceFingerprint: sourceFingerprint, count: source.count,
                                    classNames: source.classNames, settings: o.settings)
        } catch {
            throw Self.map(error)
        }
        var bad = 0, blobBytes = 0, interrupted = false
        progress?(writer.written, writer.count)
        while writer.written < writer.count {
            if shouldStop() { interrupted = true; break }
            let ids = writer.written..<min(writer.count, writer.written + o.batch)
            let records = Self.encode(ids, of: source, settings: o.settings, threads: o.threads)
            do { try writer.append(records) } catch { throw Self.map(error) }
            bad += records.count { $0.kind == .bad }
            blobBytes += records.reduce(0) { $0 + $1.data.count }
            progress?(writer.written, writer.count)
        }
        var fingerprint: String?
        if !interrupted {
            do {
                try writer.finish()
                fingerprint = try PackSource(path: o.out).fingerprint
            } catch {
                throw Self.map(error)
            }
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: o.out)[.size] as? Int) ?? 0
        return Summary(out: o.out, data: o.data, images: writer.count, written: writer.written - writer.resumedFrom,
                       skipped: writer.resumedFrom, bad: bad, bytes: size, blobBytes: blobBytes, fingerprint: fingerprint,
                       sourceFingerprint: sourceFingerprint, seconds: Date().timeIntervalSince(start), interrupted: interrupted)
    }

    /// The records of `ids`, encoded on `threads` threads; each slot written by one thread.
    static func encode(_ ids: Range<Int>, of source: any ImageSource, settings: PackSettings, threads: Int) -> [PackRecord] {
        var records = [PackRecord?](repeating: nil, count: ids.count)
        records.withUnsafeMutableBufferPointer { buffer in
            let slots = Slots(buffer: buffer)
            DispatchQueue.concurrentPerform(iterations: min(threads, ids.count)) { w in
                for i in stride(from: w, to: ids.count, by: threads) {
                    slots.buffer[i] = PackRecord.make(from: source, id: ids.lowerBound + i, settings: settings)
                }
            }
        }
        return records.map { $0! }
    }

    /// The batch's slots, shared by the threads; each is written by exactly one of them.
    private struct Slots: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<PackRecord?>
    }

    static func map(_ error: PackError) -> PipelineError {
        switch error {
        case .invalid(let field, let value, let why): return .invalid(field: field, value: value, why: why)
        default: return .failed(error.description)
        }
    }
}
