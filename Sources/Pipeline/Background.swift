import Dispatch

/// A value computed on a global queue; `wait()` blocks until it is ready (the bounded prefetch of
/// precompute and the loader: a few of these are in flight at a time).
final class Background<Value>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var value: Value?

    init(_ work: @escaping @Sendable () -> Value) {
        DispatchQueue.global().async {
            self.value = work()
            self.done.signal()
        }
    }

    /// The value, once computed.
    func wait() -> Value {
        done.wait()
        return value!
    }
}
