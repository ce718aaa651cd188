/// Maps the library's option fields (`topK`, `onlineTeacher`) to this tool's flags (`--topk`,
/// `--online-teacher`), so that errors raised by DataPipeline and ModelJobs name what the user typed.
enum FlagName {
    /// Fields whose flag is not their kebab-cased name.
    static let exceptions: [String: String] = [
        "topK": "--topk", "targets": "--targets",
        "compressionLevel": "--level",
        "fusedTeacher": "--unfused",
        "onlineTeacherArch": "--online-teacher-arch",
        "storePaths": "--store",
        "agreementModel": "--agreement-with",
        "input": "input",
        "SRC": "SRC",
        "max_side": "--max-side",
    ]

    /// The flag for `field`: an exception, else `--` and the field in kebab case.
    static func of(_ field: String) -> String {
        if let flag = exceptions[field] { return flag }
        var out = "--"
        for ch in field {
            if ch.isUppercase {
                out += "-" + ch.lowercased()
            } else {
                out.append(ch)
            }
        }
        return out
    }
}
