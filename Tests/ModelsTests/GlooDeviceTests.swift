import Models
import Testing

@Suite struct GlooDeviceTests {
    @Test func theInterfaceVariableWinsAsInPyTorch() throws {
        let device = try GlooDevice.choose(master: "10.9.8.7", port: 29500, environment: ["GLOO_SOCKET_IFNAME": "eth7,eth8"])
        #expect(device == .interface("eth7"))
    }

    @Test func aMasterOnThisHostGivesLoopback() throws {
        #expect(try GlooDevice.choose(master: "127.0.0.1", port: 29500, environment: [:]) == .address("127.0.0.1"))
        #expect(try GlooDevice.choose(master: "localhost", port: 29500, environment: [:]) == .address("127.0.0.1"))
    }

    @Test func aRemoteMasterGivesTheRoutesSourceAddressNotLoopback() throws {
        // The route to any address outside 127/8 leaves through a real interface when the host has a
        // default route; on a host without one the lookup fails with a message naming the master.
        do {
            let address = try GlooDevice.sourceAddress(toward: "192.0.2.1", port: 9)   // TEST-NET-1, never dialled
            #expect(!address.hasPrefix("127."))
            #expect(address.split(separator: ".").count == 4)
        } catch {
            #expect(error.description.contains("192.0.2.1"))
        }
    }

    @Test func aMasterThatDoesNotResolveIsNamed() {
        #expect { _ = try GlooDevice.choose(master: "no-such-host.invalid", port: 29500, environment: [:]) } throws: {
            "\($0)".contains("no-such-host.invalid")
        }
    }
}
