#if FUZZING
import FuzzSupport

/// The program's entry point in a fuzzing build (see FuzzSupport/LibFuzzer.swift for why it is named so).
@_cdecl("FuzzPolicy_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzzPolicy(data, size) }
}
#endif
