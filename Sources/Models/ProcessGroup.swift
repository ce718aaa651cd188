internal import CTorchBridge

/// A group of training processes (libtorch's c10d Gloo backend) that average gradients every step.
public final class ProcessGroup {
    let handle: OpaquePointer
    /// This process's rank and the number of processes.
    public let rank: Int, world: Int

    /// Joins the group through a TCP store served by rank 0 at `host:port` (torchrun's env:// rendezvous:
    /// MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE).
    public init(host: String, port: Int, rank: Int, world: Int) throws(ModelError) {
        var pointer: OpaquePointer?
        try Torch.check(td_group_create_tcp(host, Int32(clamping: port), Int32(clamping: rank), Int32(clamping: world), &pointer),
                        "joining the process group at \(host):\(port) as rank \(rank) of \(world)")
        handle = pointer!
        self.rank = rank
        self.world = world
    }

    /// Joins the group through a file every process can reach.
    public init(file: String, rank: Int, world: Int) throws(ModelError) {
        var pointer: OpaquePointer?
        try Torch.check(td_group_create_file(file, Int32(clamping: rank), Int32(clamping: world), &pointer),
                        "joining the process group through \(file) as rank \(rank) of \(world)")
        handle = pointer!
        self.rank = rank
        self.world = world
    }

    deinit { td_group_free(handle) }

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
