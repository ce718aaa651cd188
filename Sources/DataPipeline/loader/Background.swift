import Dispatch

/// A value computed on a global queue; `wait()` blocks until it is ready (the bounded prefetch of
/// precompute and the loader: a few of these are in flight at a time).
///
/// The work closure is released before `wait()` can return, so nothing it captured (a batch's image
/// storage, say) is still referenced by the queue once the value is handed out: the loader's reuse of
/// storage the caller dropped does not depend on when Dispatch frees the finished block.
final class Background<Value>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var value: Value?

    /// Holds the work until it runs, then lets go of it.
    private final class Work: @unchecked Sendable {
        var body: (@Sendable () -> Value)?
        init(_ body: @escaping @Sendable () -> Value) { self.body = body }
    }

    init(_ work: @escaping @Sendable () -> Value) {
        let pending = Work(work)
        DispatchQueue.global().async {
            self.value = Self.run(pending)
            self.done.signal()
        }
    }

    /// Runs and releases the work; its captures are gone when this returns.
    @inline(never) private static func run(_ work: Work) -> Value {
        let body = work.body!
        work.body = nil
        return body()
    }

    /// The value, once computed.
    func wait() -> Value {
        done.wait()
        return value!
    }
}
