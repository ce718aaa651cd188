import Foundation
import Testing

/// Two hosts on this machine: two network namespaces joined by a veth pair, each with its own address,
/// made and removed by the test. Needs root and `ip netns` (iproute2); without them the suite is
/// reported as skipped with the reason, never passed.
final class TwoHosts {
    let a: String, b: String
    let addressA: String, addressB: String

    /// Whether namespaces can be made here (root, iproute2, a kernel that allows it), and why not.
    static let availability: (ok: Bool, why: String) = {
        guard geteuid() == 0 else { return (false, "needs root to create network namespaces") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") else { return (false, "needs iproute2 (/usr/sbin/ip)") }
        let probe = "tdprobe\(getpid())"
        guard (try? run(["netns", "add", probe]))?.status == 0 else { return (false, "ip netns add failed (no permission in this sandbox?)") }
        _ = try? run(["netns", "del", probe])
        return (true, "")
    }()

    /// Runs `ip args` (bounded: 20 s).
    @discardableResult
    static func run(_ args: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let deadline = Date().addingTimeInterval(20)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    /// Makes the two hosts: namespaces `tdA<id>`/`tdB<id>`, veth `tdvA<id>`/`tdvB<id>`, 10.250.N.1 and .2.
    init() throws {
        let id = Int(getpid()) % 100_000
        let subnet = Int.random(in: 1...250)
        a = "tdA\(id)"; b = "tdB\(id)"
        addressA = "10.250.\(subnet).1"; addressB = "10.250.\(subnet).2"
        let va = "tdvA\(id)", vb = "tdvB\(id)"
        for cmd in [["netns", "add", a], ["netns", "add", b],
                    ["link", "add", va, "type", "veth", "peer", "name", vb],
                    ["link", "set", va, "netns", a], ["link", "set", vb, "netns", b],
                    ["-n", a, "addr", "add", addressA + "/24", "dev", va], ["-n", b, "addr", "add", addressB + "/24", "dev", vb],
                    ["-n", a, "link", "set", va, "up"], ["-n", b, "link", "set", vb, "up"],
                    ["-n", a, "link", "set", "lo", "up"], ["-n", b, "link", "set", "lo", "up"]] {
            let r = try Self.run(cmd)
            guard r.status == 0 else {
                remove()
                throw HostError(message: "ip \(cmd.joined(separator: " ")): \(r.output)")
            }
        }
    }

    struct HostError: Error, CustomStringConvertible { let message: String; var description: String { message } }

    /// The prefix that runs a command on host `a` or `b`.
    func on(_ host: String) -> [String] { ["/usr/sbin/ip", "netns", "exec", host] }

    /// Removes both namespaces (and with them the veth pair).
    func remove() {
        _ = try? Self.run(["netns", "del", a])
        _ = try? Self.run(["netns", "del", b])
    }

    deinit { remove() }
}

/// Says loudly, in every run, whether the multi-host tests can run here and why not.
@Suite struct MultiHostPrerequisites {
    @Test func reportWhetherNetworkNamespacesAreAvailable() {
        if TwoHosts.availability.ok {
            print("multi-host tests: network namespaces available, running them")
        } else {
            print("MULTI-HOST TESTS NOT RUN: \(TwoHosts.availability.why)")
        }
    }
}

@Suite(.serialized, .enabled(if: TwoHosts.availability.ok, "needs root and ip netns (iproute2); see MultiHostPrerequisites"))
struct MultiHostTests {
    typealias D = DistributedTrainTests

    @Test func trainOverAVethPairEqualsOneHostAndSurvivesALostRank() throws {
        let hosts = try TwoHosts()
        defer { hosts.remove() }
        let dir = try tempDir().path
        // The reference: two ranks on one host (loopback).
        let local = dir + "/local"
        let localPort = D.port()
        let l = try Ranks((0..<2).map { (try D.args(local), D.env($0, port: localPort), []) })
        defer { l.killAll() }
        for r in 0..<2 { let o = l.wait(r, atMost: 300); #expect(o.status == 0, "\(o.stderr)") }
        // Rank 0 on host A serves the rendezvous at its address; rank 1 on host B dials it.
        let remote = dir + "/remote", port = D.port()
        let m = try Ranks([(try D.args(remote) + ["--verbose"], D.env(0, port: port, master: hosts.addressA), hosts.on(hosts.a)),
                           (try D.args(remote) + ["--verbose"], D.env(1, port: port, master: hosts.addressA), hosts.on(hosts.b))])
        defer { m.killAll() }
        let r0 = m.wait(0, atMost: 300), r1 = m.wait(1, atMost: 30)
        #expect(r0.status == 0 && r1.status == 0, "rank 0: \(r0.stderr)\nrank 1: \(r1.stderr)")
        #expect(r0.stderr.contains("address \(hosts.addressA)"), "\(r0.stderr)")
        #expect(r1.stderr.contains("address \(hosts.addressB)"), "\(r1.stderr)")
        #expect(try weightsDigest(remote) == weightsDigest(local))
        // Kill rank 1 on host B mid-run: rank 0 exits 1 naming it; the same commands resume to the same weights.
        let killed = dir + "/killed", port2 = D.port()
        let k = try Ranks([(try D.args(killed), D.env(0, port: port2, master: hosts.addressA), hosts.on(hosts.a)),
                           (try D.args(killed), D.env(1, port: port2, master: hosts.addressA), hosts.on(hosts.b))])
        defer { k.killAll() }
        let (survivor, toExit) = k.killRankOneMidRun(checkpointIn: killed)
        print("multi-host lost rank: rank 0 exited \(String(format: "%.2f", toExit)) s after rank 1 was killed")
        #expect(survivor.status == 1 && survivor.stderr.contains("rank 1 of 2 was lost"), "\(survivor.stderr)")
        let port3 = D.port()
        let again = try Ranks([(try D.args(killed), D.env(0, port: port3, master: hosts.addressA), hosts.on(hosts.a)),
                               (try D.args(killed), D.env(1, port: port3, master: hosts.addressA), hosts.on(hosts.b))])
        defer { again.killAll() }
        for r in 0..<2 { let o = again.wait(r, atMost: 300); #expect(o.status == 0, "\(o.stderr)") }
        #expect(try weightsDigest(killed) == weightsDigest(local))
    }

    @Test func precomputeOnTwoHostsIntoOneFolderEqualsOneHost() throws {
        let hosts = try TwoHosts()
        defer { hosts.remove() }
        let dir = try tempDir().path
        let one = dir + "/one.tdstore"
        let base = ["precompute", "--data", "synthetic-images:120:30x30x1:4:10", "--teacher", "synthetic:10", "--policy",
                    StreamTrainCLITests.policy, "--epochs", "2", "--topk", "3", "--chunk-records", "32"]
        #expect(try CLI.run(base + ["--out", one]).status == 0)
        try FileManager.default.createDirectory(atPath: dir + "/shards", withIntermediateDirectories: true)
        let ranks = try Ranks([(base + ["--rank", "0", "--world", "2", "--out", dir + "/shards/s0.tdstore"], [:], hosts.on(hosts.a)),
                               (base + ["--rank", "1", "--world", "2", "--out", dir + "/shards/s1.tdstore"], [:], hosts.on(hosts.b))])
        defer { ranks.killAll() }
        for r in 0..<2 { let o = ranks.wait(r, atMost: 120); #expect(o.status == 0, "\(o.stderr)") }
        func digest(_ path: String) throws -> String? {
            let r = try CLI.run(["inspect", path, "--json"])
            return (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["digest"] as? String
        }
        let sharded = try digest(dir + "/shards")
        let single = try digest(one)
        #expect(sharded != nil && sharded == single)
    }
}
