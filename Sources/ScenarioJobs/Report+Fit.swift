import Foundation

extension ResultReport {
    /// The fit of the result to observations (`citytwin fit … --h5`, `citytwin report --fit`): per kind of sensor
    /// its overall measures (for counts with the FHWA TAT III verdict), then its sensors worst first (counts by
    /// mean GEH, the others by |RMSE|), at most `hotspots` of them, and how many observations were left out.
    func fitSection(_ fit: FitReport) -> String {
        var s = "<section id=\"fit\"><h2>Fit to observations</h2>"
        for kind in FitReport.Source.Kind.allCases {
            let rows = fit.sensors.filter { $0.kind == kind }
            let all = fit.overall.filter { $0.kind == kind }.map(\.measure)
            guard !rows.isEmpty || !all.isEmpty else { continue }
            s += "<h3>\(kind.rawValue)</h3>"
            s += Self.table(
                "fit-\(kind.rawValue)-overall", "over all \(rows.count) sensors", ["measure", "value", "units"],
                all.map { [$0.name, Self.num($0.value), $0.units] })
            if kind == .counts, let met = all.first(where: { $0.name == "fhwa_met" })?.value {
                let share = all.first { $0.name == "geh_below_5" }.map { String(format: "%.1f %%", 100 * $0.value) }
                s += "<p id=\"fit-fhwa\">FHWA TAT III acceptance (GEH &lt; 5 on more than 85 % of hourly flows, "
                s += "flows within their bands, sum within 5 %): <b>\(met == 1 ? "met" : "not met")</b>"
                s += share.map { " (GEH &lt; 5 on \($0))" } ?? ""
                s += "</p>"
            }
            let main = kind == .counts ? "geh_mean" : "rmse"
            let worst = rows.sorted {
                let a = abs($0.value(main) ?? 0)
                let b = abs($1.value(main) ?? 0)
                return a > b || (a == b && $0.name < $1.name)
            }.prefix(hotspots)
            let names = rows.first?.measures.map(\.name) ?? []
            s += Self.table(
                "fit-\(kind.rawValue)", "\(worst.count) of \(rows.count) sensors, worst first by \(main)",
                ["sensor", "matched to", "n"] + names,
                worst.map { r in [r.name, r.matched, "\(r.n)"] + r.measures.map { Self.num($0.value) } })
        }
        if !fit.unmatched.isEmpty {
            s += "<p class=\"note\" id=\"fit-unmatched\">\(fit.unmatched.count) observations could not be matched to "
            s += "the model (listed by citytwin fit's CSV and HDF5 output).</p>"
        }
        return s + "</section>"
    }
}
