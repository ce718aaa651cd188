internal import CTorchBridge

/// A group of training processes (libtorch's c10d Gloo backend) that average gradients every step.
public final class ProcessGroup {
    let handle: OpaquePointer
    /// This process's rank and the number of processes.
    public let rank: Int, world: Int

    /// Joins the group through a TCP store served by rank 0 at `host:port` (torchrun's env:// rendezvous:
    /// MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE), with this rank's transport on `device` (by default the
    /// one ``GlooDevice/choose(master:port:environment:)`` picks). `timeout` bounds the rendezvous and every
    /// collective: a rank that is lost or never comes is an error after at most that long.
    public init(host: String, port: Int, rank: Int, world: Int, device: GlooDevice? = nil,
                timeout: Duration = .seconds(60)) throws(ModelError) {
        let chosen: GlooDevice
        if let device { chosen = device } else { chosen = try GlooDevice.choose(master: host, port: port) }
        var interface = "", address = ""
        switch chosen {
        case .interface(let name): interface = name
        case .address(let a): address = a
        }
        var pointer: OpaquePointer?
        try Torch.check(td_group_create_tcp(host, Int32(clamping: port), Int32(clamping: rank), Int32(clamping: world),
                                            interface, address, Self.milliseconds(timeout), &pointer),
                        "joining the process group at \(host):\(port) as rank \(rank) of \(world) on \(chosen)")
        handle = pointer!
        self.rank = rank
        self.world = world
        self.device = chosen
    }

    /// Joins the group through a file every process can reach (all ranks on this host: loopback).
    public init(file: String, rank: Int, world: Int, timeout: Duration = .seconds(60)) throws(ModelError) {
        var pointer: OpaquePointer?
        try Torch.check(td_group_create_file(file, Int32(clamping: rank), Int32(clamping: world), Self.milliseconds(timeout), &pointer),
                        "joining the process group through \(file) as rank \(rank) of \(world)")
        handle = pointer!
        self.rank = rank
        self.world = world
        device = .address("127.0.0.1")
    }

    /// The device this rank's transport is bound to.
    public let device: GlooDevice

    static func milliseconds(_ d: Duration) -> Int64 {
        let (s, atto) = d.components
        return max(1, s * 1000 + atto / 1_000_000_000_000_000)
    }

    deinit { td_group_free(handle) }

    /// Every rank's Gloo device as it described itself at the rendezvous, by rank.
    public var devices: [String] {
        (0..<world).map { r in td_group_device(handle, Int32(r)).map { String(cString: $0) } ?? "" }
    }

    /// The one other rank whose device address appears in `message` (a transport error such as
    /// "Connection closed by peer [10.0.0.2]:41234"), or nil when none or several match.
    public func rank(named message: String) -> Int? {
        let addresses = Self.bracketedAddresses(message)
        let matches = devices.enumerated().filter { r, device in
            r != rank && addresses.contains { device.contains("[\($0)]") }
        }
        return matches.count == 1 ? matches[0].offset : nil
    }

    /// The `[address]` parts of a transport message.
    static func bracketedAddresses(_ text: String) -> [String] {
        var out: [String] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "["), let close = rest[open...].firstIndex(of: "]") {
            let inner = rest[rest.index(after: open)..<close]
            if inner.contains(".") || inner.contains(":") { out.append(String(inner)) }
            rest = rest[rest.index(after: close)...]
        }
        return out
    }

    /// The mean of `values` over all ranks.
    public func allReduceMean(_ values: [Float]) throws(ModelError) -> [Float] {
        var copy = values
        let status = copy.withUnsafeMutableBufferPointer { td_group_allreduce_mean(handle, $0.baseAddress, Int64($0.count)) }
        try Torch.check(status, "all-reduce")
        return copy
    }

    /// Returns when every rank has called it.
    public func barrier() throws(ModelError) {
        try Torch.check(td_group_barrier(handle), "barrier")
    }
}

extension Trainer {
    /// Averages gradients over `group` after every backward pass (data-parallel training).
    public func use(_ group: ProcessGroup) {
        _ = td_trainer_set_group(handle, group.handle)
        groupKeepAlive = group
    }
}
