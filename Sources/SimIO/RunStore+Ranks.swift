import Foundation
import SimCore
import SimEngine

/// The observer of a distributed run's ranks other than 0: at each checkpoint it writes the rank's part of every
/// distributed domain (`checkpointPart`) as `ckpt-<ms>.rank<r>.h5` beside rank 0's file, through an exclusive
/// temporary. Rank 0 writes its file (which makes the checkpoint complete and prunes old ones) only after every
/// part is in place (`Simulation.checkpoint`).
public final class RankCheckpointWriter: SimulationObserver {
    let checkpointsDir: String
    let jobHash: String
    let rank: Int

    public init(workDir: String, jobHash: String, rank: Int) {
        checkpointsDir = workDir + "/checkpoints"
        self.jobHash = jobHash
        self.rank = rank
    }

    public func didTick(_ sim: Simulation, diagnostics: [[Double]]) throws {}
    public func didReachOutput(_ sim: Simulation, snapshots: [[ArrayData]]) throws {}

    public func didReachCheckpoint(_ sim: Simulation) throws {
        let main = checkpointsDir + "/" + RunStore.checkpointName(sim.clock.milliseconds)
        let path = RunStore.partPath(main, rank: rank)
        let tmp = SafeFile.temporaryPath(for: path)
        do {
            let f = try H5File.create(tmp, overwrite: false)
            let root = try f.root
            try root.setAttribute("format", "citytwin-checkpoint-part")
            try root.setAttribute("job_hash", jobHash)
            try root.setAttribute("clock_ms", sim.clock.milliseconds)
            try root.setAttribute("rank", Int64(rank))
            for (k, d) in sim.domains.enumerated() where sim.isDistributed(k) {
                let g = try root.createGroup(d.name)
                for a in d.checkpointPart() { try g.write(a.name, a.data, shape: a.shape) }
            }
            try root.setAttribute("complete", Int64(1))
            try f.flush()
        } catch {
            unlink(tmp)
            throw RunError(
                "rank \(rank) cannot write its part of checkpoint '\(path)': \(error)",
                hint: "is the disk full or the folder read-only? Earlier checkpoints are kept")
        }
        try SafeFile.commit(tmp, to: path, overwrite: true)
    }
}
