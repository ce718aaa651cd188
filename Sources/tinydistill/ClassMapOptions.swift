import ArgumentParser

/// `--class-map FILE`: how the store teacher's classes map onto the dataset's (``DataPipeline/ClassMap``).
/// precompute and verify check it; stream, train, inspect and evaluate read targets through it.
struct ClassMapOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "A class map: one TEACHER<TAB>STUDENT line per teacher class kept (docs/cli.md, \"Class maps\").",
        discussion: "TEACHER is a teacher class name (its index when the store does not know the names), STUDENT a class of the dataset. Many teacher classes may map onto one student class; unmapped ones are dropped and each target renormalised."))
    var classMap: String?
}
