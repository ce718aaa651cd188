import DetCore
import Foundation
import Images
import Store

/// `inspect --report`: one self-contained HTML page about a store: its metadata and size against the
/// reference, the probability histograms, replayed samples with the stored top-3 and class names, the
/// class-correlation heatmap with the most confused pairs, and the label-noise suspects with their
/// images. Pictures are inlined as PNG data URLs; no script, no network, no framework.
public enum ReportPage {
    /// The page for `paths` (a store or its shards) against `data`, the dataset it indexes; with
    /// `classMap` (``ClassMap``) the relations and suspects are in the dataset's classes.
    public static func html(paths: [String], data: String, minConfidence: Double = 0.9, suspects: Int = 24,
                            gridCount: Int = 16, classMap: String? = nil) throws(PipelineError) -> String {
        let source = try DataSource.open(data)
        let names = source.classNames
        let report: InspectReport
        do { report = try InspectReport.make(paths: paths, classMap: classMap, datasetNames: names) } catch let e as StoreError {
            throw .store(e)
        } catch let e as PipelineError {
            throw e
        } catch {
            throw .failed("\(paths.joined(separator: " ")): \(error)")
        }
        func name(_ c: Int) -> String { c < names.count ? names[c] : "class \(c)" }
        let teacherNames = report.metadata.teacher.classNames ?? names
        func teacherName(_ c: Int) -> String { c < teacherNames.count ? teacherNames[c] : "class \(c)" }
        let meta = report.metadata
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>TinyDistill store report: \(escape(report.path))</title>
            <style>
            body { font-family: sans-serif; margin: 2em; color: #222; max-width: 1100px; }
            table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
            td, th { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; font-size: 0.9em; }
            img.px { image-rendering: pixelated; }
            .tiles { display: flex; flex-wrap: wrap; gap: 10px; }
            .tile { width: 120px; font-size: 0.75em; }
            h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
            </style></head><body>
            <h1>Store report</h1>
            <p>\(escape(paths.joined(separator: " "))), against <code>\(escape(data))</code></p>
            <h2>Metadata and size</h2>
            <table>
            <tr><th>records</th><td>\(report.records) in \(report.chunks) chunks, epochs \(report.epochs.map { String($0.epoch) }.joined(separator: ", "))</td></tr>
            <tr><th>classes C, entries K</th><td>\(meta.numClasses), \(meta.topK) (\(meta.valueCodec.rawValue))</td></tr>
            <tr><th>teacher</th><td>\(escape(shortTeacher(meta.teacher.architecture))) (\(escape(meta.teacher.weightsHash)))</td></tr>
            <tr><th>dataset</th><td>\(escape(meta.dataset.source)), \(meta.dataset.sampleCount) samples\(meta.exclusion.map { ", \($0.samples) excluded (\(escape($0.file)))" } ?? "")</td></tr>
            <tr><th>bytes / record</th><td>\(String(format: "%.2f", report.bytesPerRecord)) (file), \(String(format: "%.2f", report.payloadBytesPerRecord)) (payload); the reference stores \(report.referenceBytesPerRecord): \(String(format: "%.3f", report.ratioToReference))×</td></tr>
            <tr><th>teacher top-1 vs labels</th><td>\(report.teacherAccuracy.map { String(format: "%.2f %%", $0 * 100) } ?? "no labels")</td></tr>
            <tr><th>digest</th><td><code>\(report.digest)</code></td></tr>
            </table>
            <h2>Probabilities</h2>
            \(histogram("top-1 probability", report.top1Probability))
            \(histogram("top-K mass", report.topKMass))

            """
        // Replayed samples with their stored top-3, names as text.
        let (grid, tiles) = try StoreGrid.render(storePaths: paths, data: data, count: gridCount)
        page += "<h2>Replayed samples</h2>\n<p>What the teacher saw, replayed from each record's seed, with the stored top-3.</p>\n"
        page += "<p><img class=\"px\" alt=\"replayed grid\" src=\"\(try dataURL(grid))\"></p>\n<table><tr><th>tile</th><th>sample</th><th>label</th><th>stored top-3</th></tr>\n"
        for (i, t) in tiles.enumerated() {
            let top = t.top.map { "\(escape(teacherName($0.0))) \(String(format: "%.0f %%", $0.1 * 100))" }.joined(separator: ", ")
            page += "<tr><td>\(i)</td><td>\(t.sample)</td><td>\(escape(name(t.label)))</td><td>\(top)</td></tr>\n"
        }
        page += "</table>\n"
        // Class relations.
        if meta.numClasses <= ClassRelations.maxClasses {
            let relations = try ClassRelations.make(paths: paths, classNames: names, pairs: 10, classMap: classMap)
            let cell = max(1, 480 / relations.numClasses)
            page += "<h2>Class relations</h2>\n<p>Pearson correlation between classes of the stored probability vectors (blue −1, white 0, red +1), classes in label order: "
            page += relations.classNames.enumerated().map { "\($0.offset) \(escape($0.element))" }.joined(separator: ", ") + ".</p>\n"
            page += "<p><img class=\"px\" alt=\"class correlation\" src=\"\(try dataURL(relations.heatmap(cell: cell)))\"></p>\n"
            page += "<table><tr><th>most confused pair</th><th>mean probability given to the other</th><th>correlation</th></tr>\n"
            for p in relations.confusedPairs {
                page += "<tr><td>\(escape(p.nameA)) / \(escape(p.nameB))</td><td>\(String(format: "%.4f", p.mass))</td><td>\(p.correlation.map { String(format: "%+.3f", $0) } ?? "–")</td></tr>\n"
            }
            page += "</table>\n"
        }
        // Label-noise suspects with their images.
        if let noise = try? LabelNoise.make(paths: paths, minConfidence: minConfidence, classNames: names, classMap: classMap) {
            page += "<h2>Label-noise suspects</h2>\n<p>\(noise.suspects.count) of \(noise.samples) samples: the teacher gives another class than the label a mean probability ≥ \(minConfidence) over every view. The first \(min(suspects, noise.suspects.count)):</p>\n<div class=\"tiles\">\n"
            for s in noise.suspects.prefix(suspects) {
                let picture = (try? source.image(s.sample)).flatMap { try? dataURL(enlarged($0, to: 112)) }
                page += "<div class=\"tile\">" + (picture.map { "<img class=\"px\" width=\"112\" alt=\"\(escape(s.key))\" src=\"\($0)\"><br>" } ?? "")
                page += "\(escape(s.key))<br>label <b>\(escape(s.labelName))</b><br>teacher <b>\(escape(s.teacherName))</b> \(String(format: "%.2f", s.meanProbability))</div>\n"
            }
            page += "</div>\n"
        }
        page += "</body></html>\n"
        return page
    }

    /// A bar chart of a distribution's 20 bins over [0, 1], as inline SVG.
    static func histogram(_ title: String, _ d: InspectReport.Distribution) -> String {
        let top = max(1, d.bins.max() ?? 1)
        var svg = "<figure><figcaption>\(title): mean \(String(format: "%.3f", d.mean)), p10 \(String(format: "%.3f", d.p10)), p50 \(String(format: "%.3f", d.p50)), p90 \(String(format: "%.3f", d.p90))</figcaption>"
        svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"420\" height=\"130\" role=\"img\">"
        for (i, n) in d.bins.enumerated() {
            let h = Double(n) / Double(top) * 100
            svg += "<rect x=\"\(10 + i * 20)\" y=\(String(format: "\"%.1f\"", 110 - h)) width=\"18\" height=\(String(format: "\"%.1f\"", h)) fill=\"#4a78b5\"><title>\(Double(i) / 20)–\(Double(i + 1) / 20): \(n)</title></rect>"
        }
        svg += "<text x=\"10\" y=\"126\" font-size=\"10\">0</text><text x=\"400\" y=\"126\" font-size=\"10\">1</text></svg></figure>"
        return svg
    }

    /// `image` scaled up (nearest) so its longer side is at least `side` pixels.
    static func enlarged(_ image: Image, to side: Int) -> Image {
        let f = max(1, side / max(image.width, image.height))
        guard f > 1 else { return image }
        var px = [UInt8](repeating: 0, count: image.width * f * image.height * f * image.channels)
        for y in 0..<(image.height * f) {
            for x in 0..<(image.width * f) {
                for c in 0..<image.channels {
                    px[(y * image.width * f + x) * image.channels + c] = image.pixel(x / f, y / f, c)
                }
            }
        }
        return Image(width: image.width * f, height: image.height * f, channels: image.channels, pixels: px)
    }

    /// A PNG data URL of `image`.
    static func dataURL(_ image: Image) throws(PipelineError) -> String {
        do { return "data:image/png;base64," + Data(try PNG.encode(image)).base64EncodedString() } catch {
            throw .failed("encoding a picture for the report: \(error.description)")
        }
    }

    /// The architecture's name, not its whole JSON.
    static func shortTeacher(_ architecture: String) -> String {
        if let d = architecture.data(using: .utf8), let o = (try? JSONSerialization.jsonObject(with: d)) as? [String: Any],
           let arch = o["arch"] as? String { return arch }
        return architecture
    }

    /// Text made safe for HTML.
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
