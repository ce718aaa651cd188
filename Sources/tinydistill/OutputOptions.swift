import ArgumentParser

/// `--json`: the command's result as JSON on stdout instead of text (each command's help describes its
/// document).
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print the result as JSON (see above) instead of text.")
    var json = false
}
