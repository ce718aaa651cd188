import Foundation

/// What a teacher's top-1 agreement with the dataset's labels says about its label space: a teacher whose
/// class names are unknown and that agrees with the labels about as often as chance, or far less often
/// than its own recorded accuracy, most likely reads a dataset whose class order is not its own.
public enum TeacherAgreement {
    /// The warning for `agreement` (top-1 = label, over labelled records; nil: no labels) of a teacher of
    /// `classes` classes, or nil. Warned: agreement at most twice chance (2/C), or below half of
    /// `recordedTop1` (the teacher's own top-1, measured on `recordedOn`) when that is known. Never when
    /// `named` (its names were compared with the dataset's; callers pass true for the synthetic teacher,
    /// whose agreement is chance by design).
    public static func warning(agreement: Double?, classes: Int, named: Bool, recordedTop1: Double? = nil,
                               recordedOn: String? = nil) -> String? {
        guard let agreement, !named, classes >= 2 else { return nil }
        let nearChance = agreement <= 2 / Double(classes)
        let farBelow = recordedTop1.map { agreement < $0 / 2 } ?? false
        guard nearChance || farBelow else { return nil }
        var text = String(format: "the teacher agrees with the labels on %.2f %% of records", 100 * agreement)
        if nearChance { text += String(format: ", near chance (1/C = %.2f %%)", 100 / Double(classes)) }
        if let recordedTop1 {
            text += String(format: ", %.1f points below its recorded top-1 of %.2f %%", 100 * (recordedTop1 - agreement), 100 * recordedTop1)
                + (recordedOn.map { " (on \($0))" } ?? "")
        }
        return text + ": the dataset's class order may not be the teacher's; give the teacher's class names "
            + "(precompute --teacher-classes) so that precompute can check them, or a class map (--class-map)"
    }
}
