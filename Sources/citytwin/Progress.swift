import Foundation
import SimCore

/// A progress bar on a terminal (simulated time, speed, ETA); plain lines every 10 s otherwise.
final class Progress {
    let quiet: Bool
    let tty: Bool
    let t0 = Date()
    var lastDraw = Date.distantPast
    var drewBar = false
    init(quiet: Bool) {
        self.quiet = quiet
        tty = isatty(2) == 1
    }

    func update(_ now: SimTime, _ end: SimTime) {
        if quiet { return }
        let wall = Date()
        let interval = tty ? 0.2 : 10.0
        if wall.timeIntervalSince(lastDraw) < interval && now < end { return }
        lastDraw = wall
        let frac = end.milliseconds > 0 ? Double(now.milliseconds) / Double(end.milliseconds) : 1
        let el = wall.timeIntervalSince(t0)
        let speed = el > 0 ? now.seconds / el : 0
        let eta = frac > 0 ? el * (1 - frac) / frac : 0
        let etaS = SimDuration(milliseconds: Int64(eta * 1000) / 1000 * 1000).clockString
        if tty {
            let width = 30
            let filled = Int(frac * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            FileHandle.standardError.write(
                "\r\(bar) \(String(format: "%5.1f", frac * 100))%  sim \(now)/\(end)  \(String(format: "%.0f", speed))x real time  ETA \(etaS) "
                    .data(using: .utf8)!)
            drewBar = true
        } else {
            FileHandle.standardError.write(
                "progress \(String(format: "%.1f", frac * 100))% sim \(now) of \(end), \(String(format: "%.0f", speed))x real time, ETA \(etaS)\n"
                    .data(using: .utf8)!)
        }
    }
    func message(_ s: String) {
        if quiet { return }
        if drewBar {
            FileHandle.standardError.write("\n".data(using: .utf8)!)
            drewBar = false
        }
        FileHandle.standardError.write((s + "\n").data(using: .utf8)!)
    }
    func finish() {
        if drewBar {
            FileHandle.standardError.write("\n".data(using: .utf8)!)
            drewBar = false
        }
    }
}

/// Set by SIGINT/SIGTERM: the run stops after the current step and writes a checkpoint.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    private var sources: [DispatchSourceSignal] = []
    var requested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return flag
    }
    func install() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.lock()
                self.flag = true
                self.lock.unlock()
            }
            s.resume()
            sources.append(s)
        }
    }
}
