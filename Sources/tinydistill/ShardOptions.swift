import ArgumentParser
import Foundation

/// `--rank R` and `--world W`: this process takes the share R of W of every epoch. Each option not given
/// comes from the first of the command's environment variables that is set (``ShardDefaults``), else
/// rank 0 of world 1; either way 0 ≤ R < W.
struct ShardOptions<Command: ShardDefaults>: ParsableArguments {
    @Option(help: ArgumentHelp("This process's rank (default: \(Self.fallback(Command.rankVariables, 0)))."))
    var rank: Int?

    @Option(help: ArgumentHelp("Number of processes (default: \(Self.fallback(Command.worldVariables, 1)))."))
    var world: Int?

    func validate() throws {
        _ = try resolve()
    }

    /// The rank and world: the options, else the command's variables in `environment`, else 0 of 1.
    /// Errors name where each value came from (`--rank 3`, `RANK=3`, `default`).
    func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (rank: Int, world: Int) {
        let (r, rankSource) = try Self.value(rank, "--rank", Command.rankVariables, environment) ?? (0, "default")
        let (w, worldSource) = try Self.value(world, "--world", Command.worldVariables, environment) ?? (1, "default")
        guard w >= 1 else { throw ValidationError("world \(w) (\(worldSource)): --world must be ≥ 1") }
        guard r >= 0 else { throw ValidationError("rank \(r) (\(rankSource)): --rank must be ≥ 0") }
        guard r < w else {
            throw ValidationError("rank \(r) of world \(w) (\(rankSource), \(worldSource)): need 0 ≤ --rank < --world")
        }
        return (r, w)
    }

    /// The option's value, else the first variable of `names` that is set, with how to name its source.
    private static func value(_ option: Int?, _ flag: String, _ names: [String],
                              _ environment: [String: String]) throws -> (Int, String)? {
        if let option { return (option, "\(flag) \(option)") }
        for name in names {
            guard let text = environment[name] else { continue }
            guard let v = Int(text) else { throw ValidationError("\(name)=\(text) is not an integer (it stands in for \(flag))") }
            return (v, "\(name)=\(v)")
        }
        return nil
    }

    /// "RANK or SLURM_PROCID, else 0"; "0" without variables.
    private static func fallback(_ names: [String], _ value: Int) -> String {
        names.isEmpty ? "\(value)" : "\(names.joined(separator: " or ")), else \(value)"
    }
}
