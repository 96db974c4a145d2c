import FloodModel
import Foundation
import SimCore
import SimEngine

/// Runs a setup for `seconds` and returns the domain.
func simulate(
    _ setup: FloodSetup, seconds: Double, workers: Int = 2, partitions: Int = 8,
    output: SimDuration = .seconds(60)
) -> any DomainModel & FloodInspectable {
    let d = makeFloodDomain(setup, partitions: partitions)
    let sim = Simulation(
        domains: [d], schedule: RunSchedule(end: SimTime(milliseconds: Int64(seconds * 1000)), outputInterval: output),
        workers: workers)
    _ = try? sim.run(observer: nil)
    return d
}

/// Where the shared validation data lives (../shared next to the repository).
let sharedData: String = {
    let here = URL(fileURLWithPath: #filePath)
    let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.deletingLastPathComponent().appendingPathComponent("shared/data").path
}()
let packageRoot: String = {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .path
}()
