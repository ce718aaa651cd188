// The cost of the gradient all-reduce a data-parallel step does: one flattened float32 all-reduce of a
// model's parameter count, between real processes (Benchmarks/scripts/distributed.sh runs it over
// loopback and over a veth pair between two network namespaces).
//
// Usage: AllReduceCost RANK WORLD MASTER_ADDR PORT FLOATS [REPS]
// Prints one JSON line from rank 0: floats, bytes, and the median/min/max milliseconds per all-reduce.
import Foundation
import Models

let args = Array(CommandLine.arguments.dropFirst())
guard args.count >= 5, let rank = Int(args[0]), let world = Int(args[1]), let port = Int(args[3]), let floats = Int(args[4]) else {
    FileHandle.standardError.write(Data("usage: AllReduceCost RANK WORLD MASTER_ADDR PORT FLOATS [REPS]\n".utf8))
    exit(2)
}
let reps = args.count > 5 ? Int(args[5])! : 20
Torch.threads = 1
let group = try ProcessGroup(host: args[2], port: port, rank: rank, world: world, timeout: .seconds(60))
let values = [Float](repeating: Float(rank + 1), count: floats)
for _ in 0..<3 { _ = try group.allReduceMean(values) }
var ms: [Double] = []
for _ in 0..<reps {
    let t = Date()
    let mean = try group.allReduceMean(values)
    ms.append(Date().timeIntervalSince(t) * 1000)
    precondition(mean[0] == Float(world + 1) / 2)
}
try group.barrier()
if rank == 0 {
    ms.sort()
    print(String(format: "{\"floats\": %d, \"bytes\": %d, \"device\": \"%@\", \"ms_median\": %.2f, \"ms_min\": %.2f, \"ms_max\": %.2f, \"reps\": %d}",
                 floats, floats * 4, group.device.description, ms[ms.count / 2], ms.first!, ms.last!, reps))
}
