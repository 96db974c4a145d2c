// swift-tools-version: 6.0
// CityTwin: a city-scale, agent-based simulation batch engine.
// Layers (imports only point down):
// C shims -> SimCore -> domain models -> SimEngine -> SimIO -> ScenarioJobs -> citytwin.
import PackageDescription

// The flood kernels are bandwidth-bound loops that LLVM vectorises; AVX2 (x86-64-v3) doubles their width.
// Element-wise vectorisation does not change results (no fast-math, no FMA contraction in Swift).
#if arch(x86_64)
    let kernelFlags = ["-Ounchecked", "-target-cpu", "haswell"]
#else
    let kernelFlags = ["-Ounchecked"]
#endif
let strict: [SwiftSetting] = [
    .unsafeFlags(kernelFlags, .when(configuration: .release))
]
// The traffic step touches per-partition work lists through class references: dynamic exclusivity checks cost
// ~10 % there, and the two-phase ownership rule (not the runtime) is what keeps partitions apart.
let trafficFlags: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))
]

let package = Package(
    name: "CityTwin",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "citytwin", targets: ["citytwin"]),
        .library(name: "ScenarioJobs", targets: ["ScenarioJobs"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // L0: C libraries behind system-library targets with static-inline shims.
        .systemLibrary(
            name: "CHDF5", pkgConfig: "hdf5-serial",
            providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CGDAL", pkgConfig: "gdal", providers: [.apt(["libgdal-dev"])]),
        .systemLibrary(name: "CKLU", providers: [.apt(["libsuitesparse-dev"])]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(name: "CMETIS", providers: [.apt(["libmetis-dev"])]),
        // libosmium (header-only C++, Debian libosmium2-dev) behind a small C interface
        .target(
            name: "COSM", cxxSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [.linkedLibrary("z"), .linkedLibrary("pthread")]),
        // L1
        .target(name: "SimCore"),
        // L2 domain models (never import each other)
        .target(name: "FloodModel", dependencies: ["SimCore"], swiftSettings: strict),
        .target(name: "TrafficModel", dependencies: ["CMETIS", "SimCore"], swiftSettings: trafficFlags),
        .target(name: "EnergyModel", dependencies: ["CKLU", "SimCore"], swiftSettings: strict),
        // L3
        .target(name: "SimEngine", dependencies: ["CMPI", "SimCore"]),
        // L4
        .target(name: "SimIO", dependencies: ["CHDF5", "CGDAL", "CZlib", "SimCore", "SimEngine"]),
        // L5
        .target(name: "CityImport", dependencies: ["CZlib", "COSM", "SimCore", "TrafficModel", "EnergyModel"]),
        .target(
            name: "ScenarioJobs",
            dependencies: [
                "SimCore", "FloodModel", "TrafficModel", "EnergyModel", "SimEngine", "SimIO", "CityImport",
                .product(name: "Yams", package: "Yams"),
            ]),
        // L6
        .executableTarget(
            name: "citytwin",
            dependencies: [
                "ScenarioJobs", "CityImport", "SimIO", "SimCore", "SimEngine", "FloodModel", "TrafficModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "SimCoreTests", dependencies: ["SimCore"]),
        .testTarget(name: "FloodModelTests", dependencies: ["FloodModel", "SimCore", "SimEngine", "ScenarioJobs"]),
        .testTarget(name: "TrafficModelTests", dependencies: ["TrafficModel", "CityImport", "SimCore", "SimEngine"]),
        .testTarget(
            name: "EnergyModelTests", dependencies: ["EnergyModel", "CityImport", "SimCore", "ScenarioJobs", "SimIO"]),
        .testTarget(name: "SimIOTests", dependencies: ["SimIO", "SimCore"]),
        .testTarget(name: "SimEngineTests", dependencies: ["SimEngine", "SimCore"]),
        .testTarget(
            name: "ScenarioJobsTests",
            dependencies: ["ScenarioJobs", "SimCore", "CityImport", "EnergyModel", "TrafficModel"]),
        .testTarget(name: "CLITests", dependencies: ["SimIO", "SimCore", "ScenarioJobs"]),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
