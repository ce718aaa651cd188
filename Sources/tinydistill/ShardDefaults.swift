/// A command with `--rank` and `--world` (``ShardOptions``): the environment variables that stand in for
/// them, as launchers set them (torchrun's RANK/WORLD_SIZE, Slurm's SLURM_PROCID/SLURM_NTASKS).
protocol ShardDefaults {
    /// Variables read, in order, when `--rank` is not given (none: rank 0).
    static var rankVariables: [String] { get }
    /// Variables read, in order, when `--world` is not given (none: world 1).
    static var worldVariables: [String] { get }
}
