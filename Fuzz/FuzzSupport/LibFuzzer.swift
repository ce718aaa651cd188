#if FUZZING
// libFuzzer supplies the program's main, but a SwiftPM debug build links every executable target with
// `--defsym main=<Target>_main` (its entry point renamed so tests can link the target). So under FUZZING
// each target's FuzzerMain.swift defines `<Target>_main`, which calls `runLibFuzzer` as libFuzzer's own
// main does. (`@_extern(c)` needs `-enable-experimental-feature Extern`; scripts/fuzz passes it.)

/// libFuzzer's driver entry point (compiler-rt, FuzzerDriver.cpp).
@_extern(c, "LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// Hands the command line and the fuzz callback to libFuzzer's driver (its options and loop).
public func runLibFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, callback)
}
#endif
