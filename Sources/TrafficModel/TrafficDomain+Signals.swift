import SimCore

// MARK: the energy → traffic coupling

extension TrafficDomain {
    /// The supply at every signalised junction (when the domain responds to power cuts and the model has signals),
    /// refreshed every `SignalResponse.interval`.
    var signalRequirement: [ExchangeField] {
        guard let s = signalResponse else { return [] }
        return [
            ExchangeField(
                "energy.supply", units: "1",
                site: .points(
                    ids: signalNodes.map { network.nodeIDs[Int($0)] }, x: signalNodes.map { network.nodeX[Int($0)] },
                    y: signalNodes.map { network.nodeY[Int($0)] }),
                interval: s.interval)
        ]
    }

    /// New supply at the signals: a junction without it goes dark (all-way stop: its incoming links discharge at the
    /// capacity factor, crossing vehicles are delayed) and back to normal when supply returns. The flow accumulators
    /// of the affected links are first brought up to the last tick at the old rate, so the change takes effect
    /// exactly from the next tick.
    func receiveSupply(_ values: [Double]) {
        guard let s = signalResponse, values.count == signalNodes.count else { return }
        let last = (clockAfterTick + tickMs - 1) / tickMs - 1  // index of the last tick that ran
        for (k, v32) in signalNodes.enumerated() {
            let v = Int(v32)
            let off: UInt8 = values[k] < 0.5 ? 1 : 0
            guard off != dark[v] else { continue }
            dark[v] = off
            darkCount += off == 1 ? 1 : -1
            for e in Int(inStart[v])..<Int(inStart[v + 1]) {
                let a = Int(inLinks[e])
                refill(a, upTo: last)
                flowAdd[a] =
                    off == 1 ? max(1, Int64((Double(litFlowAdd[a]) * s.capacityFactor).rounded())) : litFlowAdd[a]
            }
        }
        darkPeak = max(darkPeak, darkCount)
    }

    /// The flow accumulator of link a refilled for every tick up to `tick` (as the junction pass does lazily).
    func refill(_ a: Int, upTo tick: Int64) {
        let since = tick - refilled[a]
        guard since > 0 else { return }
        let add = flowAdd[a]
        let cap = flowCap[a]
        flowAcc[a] = since >= cap / add + 1 ? cap : min(flowAcc[a] + add * since, cap)
        refilled[a] = tick
    }

    var signalCoordinates: [Coordinate] {
        guard signalResponse != nil else { return [] }
        return [
            Coordinate(
                "signal", units: "1", longName: "signalised junction (node of network/nodes.csv with signal = 1)",
                values: (0..<signalNodes.count).map(Double.init), labels: signalNodes.map { network.nodeIDs[Int($0)] })
        ]
    }

    var signalFinalVariables: [Variable] {
        guard signalResponse != nil else { return [] }
        return [
            Variable(
                "signal_dark_time", units: "h", longName: "time the junction's signals were without power",
                dims: ["signal"], type: .float64),
            Variable("signal_x", units: "m", longName: "easting of the junction", dims: ["signal"], type: .float64),
            Variable("signal_y", units: "m", longName: "northing of the junction", dims: ["signal"], type: .float64),
        ]
    }

    var signalFinals: [ArrayData] {
        guard signalResponse != nil else { return [] }
        return [
            .float64(signalDarkMs.map { Double($0) / 3_600_000 }),
            .float64(signalNodes.map { network.nodeX[Int($0)] }), .float64(signalNodes.map { network.nodeY[Int($0)] }),
        ]
    }

    var signalDiagnosticVariables: [Variable] {
        guard signalResponse != nil else { return [] }
        return [
            Variable(
                "signals_dark", units: "1", longName: "signalised junctions without power after the tick",
                dims: ["step"], type: .float64)
        ]
    }

    var signalKPIs: [KPI] {
        guard signalResponse != nil else { return [] }
        return [
            KPI("junction_hours_dark", Double(signalDarkMs.reduce(0, +)) / 3_600_000, "h"),
            KPI("signals_dark_max", Double(darkPeak), "1"),
        ]
    }

    var signalState: [NamedArray] {
        guard signalResponse != nil else { return [] }
        return [
            NamedArray("signal_dark", .uint8(signalNodes.map { dark[Int($0)] })),
            NamedArray("signal_dark_ms", .int64(signalDarkMs)),
            NamedArray("signal_counters", .int64([Int64(darkPeak), clockAfterTick])),
        ]
    }

    func restoreSignals(from state: [NamedArray]) throws {
        guard let s = signalResponse else { return }
        let c = signalNodes.count
        func find(_ name: String, _ count: Int) throws -> ArrayData {
            try state.checkpointArray(name, count: count, domain: "traffic", mismatch: "another job")
        }
        guard case .uint8(let d) = try find("signal_dark", c), case .int64(let ms) = try find("signal_dark_ms", c),
            case .int64(let k) = try find("signal_counters", 2)
        else { throw RunError("checkpoint traffic signal state has the wrong type", hint: "start the run afresh") }
        darkCount = 0
        for (i, v32) in signalNodes.enumerated() {
            let v = Int(v32)
            dark[v] = d[i] != 0 ? 1 : 0
            darkCount += Int(dark[v])
            for e in Int(inStart[v])..<Int(inStart[v + 1]) {
                let a = Int(inLinks[e])
                flowAdd[a] =
                    dark[v] != 0 ? max(1, Int64((Double(litFlowAdd[a]) * s.capacityFactor).rounded())) : litFlowAdd[a]
            }
        }
        signalDarkMs = ms
        darkPeak = Int(k[0])
        clockAfterTick = k[1]
    }
}
