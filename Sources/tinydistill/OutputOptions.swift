import ArgumentParser
import Foundation

/// `--json`: the command's result as JSON on stdout instead of text (each command's help describes its
/// document).
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print the result as JSON (see above) instead of text.")
    var json = false

    /// Prints `value` as the command's JSON document: sorted keys, indented, slashes unescaped.
    static func print(_ value: some Encodable) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        Swift.print(String(decoding: try enc.encode(value), as: UTF8.self))
    }
}
