#!/usr/bin/env python3
"""Writes a SimBench grid's relative profiles in the reference layout (profiles_load_relative.csv with
<type>_pload/<type>_qload columns, profiles_sgen_relative.csv with one column per generation profile) for the
first N steps, and pandapower's voltages at a few check steps, so scripts/bench-energy can run CityTwin on exactly
the work the peers do. Derived SimBench data (ODbL): written to a scratch folder, never committed.

usage: energy_profiles.py GRID STEPS OUTDIR [CHECK_STEP ...]
"""
import json
import sys
import warnings

import numpy as np

warnings.filterwarnings("ignore")
import logging
logging.disable(logging.WARNING)
import pandapower as pp
import simbench as sb

grid, steps, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
checks = [int(s) for s in sys.argv[4:]]
net = sb.get_simbench_net(grid)
lp = net.profiles["load"].iloc[:steps]
cols = ["time"] + [c for c in lp.columns if c.endswith("_pload") or c.endswith("_qload")]
lp[cols].to_csv(f"{out}/profiles_load_relative.csv", index=False, float_format="%.10g")
gens = [net.profiles[k].iloc[:steps] for k in ("renewables", "powerplants") if k in net.profiles and len(net.profiles[k])]
g = gens[0]
for extra in gens[1:]:
    g = g.join(extra.drop(columns=["time"]), rsuffix="_pp")
g.to_csv(f"{out}/profiles_sgen_relative.csv", index=False, float_format="%.10g")
# pandapower at the check steps (DC start, 1e-11 MVA, as the reference data)
absv = sb.get_absolute_values(net, profiles_instead_of_study_cases=True)
ref = {}
for t in checks:
    net.load["p_mw"] = absv[("load", "p_mw")].values[t]
    net.load["q_mvar"] = absv[("load", "q_mvar")].values[t]
    if len(net.sgen):
        net.sgen["p_mw"] = absv[("sgen", "p_mw")].values[t]
    pp.runpp(net, init="dc", tolerance_mva=1e-11, calculate_voltage_angles=True, numba=True)
    ref[str(t)] = {str(b): float(v) for b, v in zip(net.res_bus.index, net.res_bus.vm_pu.values)}
json.dump(ref, open(f"{out}/pandapower_check_vm.json", "w"))
