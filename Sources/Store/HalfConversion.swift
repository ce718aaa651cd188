/// Float → IEEE half conversion with round-to-nearest-even, exact for every finite Float ≥ 0,
/// without the software library call that baseline x86-64 code makes for `Float16(_:)`.
///
/// Normal halves: shift the mantissa by 13 bits, adding 0xFFF plus the lowest kept bit first so that
/// ties round to even, and rebias the exponent by adding (15 − 127) << 23. Subnormal halves
/// (|x| < 2⁻¹⁴): adding 0.5 lets the FPU's own round-to-nearest-even align the bits, then
/// subtracting 0.5's bit pattern leaves the half's bits. Checked against `Float16(_:)` by
/// `HalfConversionTests`.
enum HalfConversion {
    @inline(__always) static func bits(_ x: Float) -> UInt16 {
        let u = x.bitPattern
        guard u < 0x4780_0000 else {
            // ≥ 65520 rounds to infinity; NaN and negatives take the library path.
            return Float16(x).bitPattern
        }
        if u < 0x3880_0000 {
            let magic = Float(bitPattern: 0x3F00_0000)  // 0.5
            return UInt16(truncatingIfNeeded: (x + magic).bitPattern &- magic.bitPattern)
        }
        let odd = (u >> 13) & 1
        let rebased = u &+ 0xC800_0000 &+ 0xFFF &+ odd  // (15 − 127) << 23 wraps to 0xC8000000
        return UInt16(truncatingIfNeeded: rebased >> 13)
    }
}
