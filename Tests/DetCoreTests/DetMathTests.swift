import DetCore
import Foundation
import Testing

@Suite struct DetMathTests {
    @Test func logAndExpAgreeWithLibm() {
        var worst = 0.0
        var x = 1e-6
        while x < 1e6 {
            worst = max(worst, abs(DetMath.log(x) - Foundation.log(x)) / max(1, abs(Foundation.log(x))))
            x *= 1.0137
        }
        #expect(worst < 1e-15)
        var y = -30.0
        while y < 30 {
            #expect(abs(DetMath.exp(y) - Foundation.exp(y)) / Foundation.exp(y) < 1e-14)
            y += 0.0731
        }
    }
}
