import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The network device this rank's Gloo transport binds, chosen as PyTorch chooses it: the interface
/// `GLOO_SOCKET_IFNAME` names when it is set; otherwise the local address this host uses to reach the
/// master (the source address of a route lookup, so ranks on other hosts can dial it back); the
/// loopback address when the master is this host. Never a fixed loopback for a remote master.
public enum GlooDevice: Sendable, Equatable, CustomStringConvertible {
    /// A network interface by name (`eth0`, `veth-a`).
    case interface(String)
    /// A local address (IPv4 dotted quad, or a hostname that resolves to this host).
    case address(String)

    /// The device for a group whose rendezvous is served at `master`:`port`.
    /// - Parameter environment: where `GLOO_SOCKET_IFNAME` is read (the process environment by default).
    /// - Throws: ``ModelError/invalidArgument(_:)`` when the master does not resolve or no route reaches it,
    ///   naming it.
    public static func choose(master: String, port: Int,
                              environment: [String: String] = ProcessInfo.processInfo.environment) throws(ModelError) -> GlooDevice {
        if let name = environment["GLOO_SOCKET_IFNAME"], !name.isEmpty {
            // PyTorch takes a comma-separated list; one device per rank here, so the first.
            return .interface(String(name.split(separator: ",").first ?? Substring(name)))
        }
        return .address(try sourceAddress(toward: master, port: port))
    }

    /// The local IPv4 address the kernel picks to reach `host` (a UDP socket connected to it sends
    /// nothing; `getsockname` tells the route's source address). Loopback for this host itself.
    public static func sourceAddress(toward host: String, port: Int) throws(ModelError) -> String {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let info = result else {
            let why = status == 0 ? "no address" : String(cString: gai_strerror(status))
            throw .invalidArgument("MASTER_ADDR \(host) does not resolve to an IPv4 address (\(why))")
        }
        defer { freeaddrinfo(result) }
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw .invalidArgument("cannot open a socket to find the route to \(host): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            throw .invalidArgument("no route to MASTER_ADDR \(host): \(String(cString: strerror(errno)))")
        }
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw .invalidArgument("cannot read the route's source address toward \(host)") }
        var buffer = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        var address = local.sin_addr
        guard inet_ntop(AF_INET, &address, &buffer, socklen_t(buffer.count)) != nil else {
            throw .invalidArgument("cannot format the route's source address toward \(host)")
        }
        return String(cString: buffer)
    }

    /// `interface eth0` or `address 10.0.0.2`.
    public var description: String {
        switch self {
        case .interface(let name): return "interface \(name) (GLOO_SOCKET_IFNAME)"
        case .address(let address): return "address \(address)"
        }
    }
}
