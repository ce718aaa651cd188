import Foundation
import Testing

/// `--help` of the root command and of every subcommand, rendered by the binary at a wide terminal.
///
/// ArgumentParser wraps the overview (abstract and discussion) to the width it reads from `COLUMNS`.
/// At 200 columns a paragraph written as one logical line comes out as lines of nearly 200
/// characters; a paragraph hard-wrapped in the source comes out broken at the source's line ends.
/// The check finds those breaks: two consecutive prose lines where the second line's first word
/// would still have fitted on the first, a break ArgumentParser would not have made.
@Suite struct HelpTests {
    /// The width the help is rendered at.
    static let columns = 200

    /// Every subcommand of `tinydistill` (the root's SUBCOMMANDS section must list exactly these).
    static let subcommands = ["precompute", "inspect", "merge", "stream", "train", "evaluate", "verify", "augment", "predict", "pack"]

    /// `tinydistill <command> --help` at ``columns`` columns.
    static func help(_ command: [String]) throws -> CLI.Result {
        try CLI.run(command + ["--help"], environment: ["COLUMNS": String(columns)])
    }

    /// The OVERVIEW part of a help text (abstract and discussion), up to the USAGE line.
    static func overview(_ help: String) -> [Substring] {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
        return Array(lines.prefix { !$0.hasPrefix("USAGE:") })
    }

    /// Line breaks in the overview that ArgumentParser did not make, as "line ⏎ next line" strings.
    ///
    /// Prose starts in column 0; indented lines (examples, lists) are kept as written and not checked.
    static func hardWraps(in overview: [Substring], columns: Int) -> [String] {
        func isProse(_ line: Substring) -> Bool { !line.isEmpty && line.first != " " }
        return zip(overview, overview.dropFirst()).compactMap { line, next in
            guard isProse(line), isProse(next) else { return nil }
            let word = next.prefix { $0 != " " }
            // ArgumentParser breaks at the last space within `columns` characters.
            guard line.count + 1 + word.count < columns else { return nil }
            return "\(line) ⏎ \(next)"
        }
    }

    @Test func theRootListsEverySubcommand() throws {
        let r = try Self.help([])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let listed = lines.drop { $0 != "SUBCOMMANDS:" }.dropFirst().prefix { !$0.isEmpty }
            .map { $0.split(separator: " ").first.map(String.init) ?? "" }
            .filter { $0 != "help" }
        #expect(listed == Self.subcommands)
    }

    @Test func theRootStatesEveryExitStatus() throws {
        // Words, whatever the line breaks.
        let text = try Self.help([]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for status in ["0 ok", "1 failure", "2 usage", "130 interrupted"] {
            #expect(text.contains(status), "root help does not state exit status \(status)")
        }
    }

    @Test(arguments: [[]] + subcommands.map { [$0] })
    func helpHasAnExampleOfItsCommand(_ command: [String]) throws {
        let r = try Self.help(command)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Example"))
        let overview = Self.overview(r.stdout)
        guard let heading = overview.firstIndex(where: { $0 == "Example:" || $0 == "Examples:" }) else {
            Issue.record("no line \"Example:\" or \"Examples:\" in the help of \(command)")
            return
        }
        let lines = overview[(heading + 1)...].prefix { $0.hasPrefix(" ") }
        #expect(!lines.isEmpty, "no example under \"\(overview[heading])\" in the help of \(command)")
        // Command lines fit a terminal, long ones continued with a trailing backslash.
        for line in lines {
            #expect(line.count < 80, "example line of \(command) too wide for 80 columns: \(line)")
        }
        let commands = zip([nil] + lines.map(Optional.some), lines).filter { previous, _ in previous?.hasSuffix("\\") != true }
        // An example may set environment variables first (RANK=1 tinydistill train …).
        func invocation(_ line: Substring) -> String {
            line.split(separator: " ").drop { $0.contains("=") && !$0.hasPrefix("-") }.joined(separator: " ") + " "
        }
        let expected = (["tinydistill"] + command).joined(separator: " ") + " "
        for (_, line) in commands {
            #expect(invocation(line).hasPrefix(expected), "an example of \(command) that does not run \"\(expected)\": \(line)")
        }
    }

    @Test(arguments: [[]] + subcommands.map { [$0] })
    func helpParagraphsAreNotHardWrapped(_ command: [String]) throws {
        let r = try Self.help(command)
        #expect(r.status == 0, "\(r.stderr)")
        let overview = Self.overview(r.stdout)
        #expect(overview.count > 2, "no overview in the help of \(command)")
        let wraps = Self.hardWraps(in: overview, columns: Self.columns)
        #expect(wraps.isEmpty, "help of \(command) is hard-wrapped:\n\(wraps.joined(separator: "\n"))")
    }

    /// The check itself: it finds a paragraph broken in the source and accepts one ArgumentParser wrapped.
    @Test func theHardWrapCheckTellsSourceBreaksFromWrapping() {
        let broken: [Substring] = ["Re-running the same command on an existing store resumes it; a store made with another teacher,",
                                   "K, codec, seed or dataset is refused."]
        #expect(Self.hardWraps(in: broken, columns: 200).count == 1)
        let wrapped: [Substring] = [Substring(String(repeating: "word ", count: 39) + "word"), "next words"]
        #expect(wrapped[0].count == 199)
        #expect(Self.hardWraps(in: wrapped, columns: 200).isEmpty)
        let examples: [Substring] = ["Examples:", "  tinydistill inspect a.tdstore", "  tinydistill inspect b.tdstore"]
        #expect(Self.hardWraps(in: examples, columns: 200).isEmpty)
    }
}
