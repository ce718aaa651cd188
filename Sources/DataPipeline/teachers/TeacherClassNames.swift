import Foundation
import Images

/// A teacher's class names: read from a file (`precompute --teacher-classes`), checked, and compared
/// with a dataset's. Class i is the name at index i. Errors name the options field and the file's line.
public enum TeacherClassNames {
    /// The names in the file at `path`: a JSON array of strings, or one name per line (a final newline
    /// allowed, no empty line). Refused, naming the file and line: an unreadable file, an empty name,
    /// a name twice, a count other than `count` when given.
    public static func load(path: String, count: Int? = nil, field: String = "teacherClasses") throws(PipelineError) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalid(field: field, value: path, why: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .invalid(field: field, value: path, why: "the file is not UTF-8 text")
        }
        let names: [String]
        if text.drop(while: { $0.isWhitespace }).first == "[" {
            guard let array = try? JSONSerialization.jsonObject(with: data) as? [Any] else {
                throw .invalid(field: field, value: path, why: "it starts like a JSON array but does not parse as one")
            }
            var out: [String] = []
            for (i, item) in array.enumerated() {
                guard let name = item as? String else {
                    throw .invalid(field: field, value: path, why: "element \(i) of the JSON array is not a string")
                }
                out.append(name)
            }
            names = out
        } else {
            // "\r\n" is one Character to Swift: split on scalars so that CRLF files read line by line.
            var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { String(String.UnicodeScalarView($0)) }
            if lines.last == "" { lines.removeLast() }
            if let i = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                throw .invalid(field: field, value: "\(path):\(i + 1)", why: "line \(i + 1) is empty; give one class name per line")
            }
            names = lines.map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
        }
        try check(names, field: field, value: path, count: count)
        return names
    }

    /// Refuses an empty list, an empty or over-long name, a name twice, or a count other than `count`.
    public static func check(_ names: [String], field: String, value: String, count: Int? = nil) throws(PipelineError) {
        guard !names.isEmpty else { throw .invalid(field: field, value: value, why: "no class names") }
        if let count, names.count != count {
            throw .invalid(field: field, value: value, why: "\(names.count) class names for a teacher of \(count) classes")
        }
        var seen: [String: Int] = [:]
        for (i, name) in names.enumerated() {
            guard !name.isEmpty, name.utf8.count <= 256, !name.contains("\n") else {
                throw .invalid(field: field, value: value, why: "class \(i): a name must be 1…256 bytes on one line")
            }
            if let first = seen[name] {
                throw .invalid(field: field, value: value, why: "class \(i) is named \"\(name)\" like class \(first); names must differ")
            }
            seen[name] = i
        }
    }

    /// The class names the dataset `data` (opened as `source`) really has: nil for the synthetic sources,
    /// whose names are only their class numbers, and for a source without names.
    public static func datasetNames(_ source: any ImageSource, data: String) -> [String]? {
        let names = source.classNames
        return names.isEmpty || data.hasPrefix("synthetic") ? nil : names
    }

    /// Refuses a dataset whose class names (``datasetNames(_:data:)``) are not the teacher's in the
    /// teacher's order: the same names in another order (the student would learn the teacher's classes
    /// under the dataset's labels), or another set. A dataset without names is not compared. The message
    /// names the first classes that differ and the remedy.
    public static func compare(teacher: [String], source: any ImageSource, data: String) throws(PipelineError) {
        guard let dataset = datasetNames(source, data: data), dataset != teacher else { return }
        let datasetSet = Set(dataset), teacherSet = Set(teacher)
        if datasetSet == teacherSet {
            let differ = (0..<teacher.count).filter { dataset[$0] != teacher[$0] }
            let shown = differ.prefix(3).map { "class \($0) is \"\(dataset[$0])\" here but \"\(teacher[$0])\" to the teacher" }
            throw .invalid(field: "data", value: data,
                           why: "the dataset has the teacher's classes in another order (\(differ.count) of \(teacher.count) differ: "
                               + shown.joined(separator: "; ")
                               + "), so its labels would not mean the teacher's classes; give a class map that pairs each teacher "
                               + "class with its dataset class (--class-map FILE, TEACHER<TAB>DATASET lines; class_map= in Python), "
                               + "or rename the class folders so that they sort into the teacher's order (a numeric prefix: 00-…, 01-…)")
        }
        let missing = dataset.filter { !teacherSet.contains($0) }, extra = teacher.filter { !datasetSet.contains($0) }
        throw .invalid(field: "data", value: data,
                       why: "the dataset's classes are not the teacher's: \(missing.count) of the dataset's \(dataset.count) are not among "
                           + "the teacher's \(teacher.count)" + (missing.isEmpty ? "" : " (first: \"\(missing.prefix(3).joined(separator: "\", \""))\")")
                           + (extra.isEmpty ? "" : ", and the teacher has \(extra.count) the dataset lacks (first: \"\(extra.prefix(3).joined(separator: "\", \""))\")")
                           + "; give a class map from the teacher's classes onto the dataset's (--class-map FILE, TEACHER<TAB>DATASET "
                           + "lines; class_map= in Python), or use data with the teacher's classes")
    }
}
