import Augment
import DetCore
import Dispatch
import Images

/// Renders batches of (sample, seed) rows into a preallocated ``RenderedBatch`` on several threads:
/// decode, replay the augmentation from the seed (``SampleRenderer``), then either normalise into the
/// row's slot of the batch (a model teacher, the loader) or hash the augmented pixels (the synthetic
/// teacher). Precompute, the loader and verify all render through this one type, so the teacher and
/// the student see the same pixels by construction.
///
/// Rows are split into contiguous ranges, one per worker; each row is written by one thread only, so
/// the result does not depend on the worker count. A row that cannot be read or decoded gets its
/// error recorded and the others go on.
public struct BatchRenderer: Sendable {
    /// The dataset.
    public let source: any ImageSource
    /// Channels and side of the rendered images (0 for a dataset without images).
    public let channels: Int, side: Int
    /// What each row carries.
    public let content: TeacherInput
    /// Threads rendering one batch.
    public let workers: Int
    private let renderer: SampleRenderer?
    private let augmenter: Augmenter?

    /// A renderer of `source` under `policy` at `channels`; `policy` is nil for a dataset without
    /// images (``ImageSource/hasImages`` false), whose rows carry their seed as the hash.
    public init(source: any ImageSource, policy: AugmentPolicy?, channels: Int, content: TeacherInput, workers: Int) {
        self.source = source
        self.content = content
        self.workers = max(1, workers)
        if let policy, source.hasImages {
            self.channels = channels
            side = policy.outputSize
            renderer = SampleRenderer(source: source, replay: Replay(policy: policy, channels: channels))
            augmenter = Augmenter(policy: policy)
        } else {
            self.channels = 0
            side = 0
            renderer = nil
            augmenter = nil
        }
    }

    /// Storage for batches of up to `capacity` rows.
    public func makeBatch(capacity: Int) -> RenderedBatch {
        RenderedBatch(capacity: capacity, channels: channels, side: side, content: renderer == nil ? .pixelHash : content)
    }

    /// Renders `items` (at most the batch's capacity) into `batch`, replacing its contents.
    public func render(_ items: [RenderItem], into batch: RenderedBatch) {
        if batch.content == .planes, batch.planes.count >= items.count * batch.planeSize {
            batch.planes.withUnsafeMutableBufferPointer { render(items, into: batch, planes: $0) }
        } else {
            render(items, into: batch, planes: UnsafeMutableBufferPointer(start: nil, count: 0))
        }
    }

    /// ``render(_:into:)`` with the normalised planes written to `planes` (row r at r × planeSize)
    /// instead of the batch's own: the loader renders straight into the storage it hands out.
    func render(_ items: [RenderItem], into batch: RenderedBatch, planes: UnsafeMutableBufferPointer<Float>) {
        precondition(items.count <= batch.capacity, "\(items.count) rows for a batch of \(batch.capacity)")
        precondition(batch.content != .planes || planes.count >= items.count * batch.planeSize,
                     "\(planes.count) floats of planes for \(items.count) rows of \(batch.planeSize)")
        batch.items = items
        let n = items.count
        for r in 0..<n {
            batch.labels[r] = source.sample(items[r].sample).label
            batch.errors[r] = nil
        }
        guard let renderer, let augmenter else {
            for r in 0..<n { batch.hashes[r] = items[r].seed }
            return
        }
        let plane = batch.planeSize
        let content = batch.content
        let workers = min(self.workers, max(1, n))
        let per = (n + workers - 1) / workers
        batch.pixels.withUnsafeMutableBufferPointer { pixels in
            batch.hashes.withUnsafeMutableBufferPointer { hashes in
                batch.errors.withUnsafeMutableBufferPointer { errors in
                    let out = Slots(planes: planes, pixels: pixels, hashes: hashes, errors: errors)
                    DispatchQueue.concurrentPerform(iterations: workers) { w in
                        for r in (w * per)..<min(n, (w + 1) * per) {
                            let item = items[r]
                            do throws(ImageError) {
                                let (image, params) = try renderer.render(item.sample, seed: item.seed)
                                switch content {
                                case .planes:
                                    augmenter.normalize(image, params, into: UnsafeMutableBufferPointer(
                                        rebasing: out.planes[(r * plane)..<((r + 1) * plane)]))
                                case .pixels:
                                    precondition(image.pixels.count == plane, "rendered \(image.pixels.count) bytes for a slot of \(plane)")
                                    _ = UnsafeMutableBufferPointer(rebasing: out.pixels[(r * plane)..<((r + 1) * plane)])
                                        .initialize(from: image.pixels)
                                case .pixelHash:
                                    out.hashes[r] = image.pixels.withUnsafeBytes { XXH64.hash($0, seed: item.seed) }
                                }
                            } catch {
                                out.errors[r] = error.description
                            }
                        }
                    }
                }
            }
        }
    }

    /// The batch's buffers, shared by the workers; each row is written by exactly one of them.
    private struct Slots: @unchecked Sendable {
        let planes: UnsafeMutableBufferPointer<Float>
        let pixels: UnsafeMutableBufferPointer<UInt8>
        let hashes: UnsafeMutableBufferPointer<UInt64>
        let errors: UnsafeMutableBufferPointer<String?>
    }
}
