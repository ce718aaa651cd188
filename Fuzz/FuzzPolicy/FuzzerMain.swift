#if FUZZING
// libFuzzer supplies the program's main, but a SwiftPM debug build links every executable target with
// `--defsym main=FuzzPolicy_main` (its entry point renamed so tests can link the target). So under FUZZING
// this file defines `FuzzPolicy_main` as libFuzzer's own main does: hand argc/argv and the fuzz callback to
// libFuzzer's driver. (`@_extern(c)` needs `-enable-experimental-feature Extern`; scripts/fuzz passes it.)

/// libFuzzer's driver entry point (compiler-rt, FuzzerDriver.cpp).
@_extern(c, "LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The program's entry point in a fuzzing build: libFuzzer's command line and loop.
@_cdecl("FuzzPolicy_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzPolicy(data, size) }
}
#endif
