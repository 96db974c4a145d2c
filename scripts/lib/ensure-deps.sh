# Sourced by scripts/*: installs what the build and tests need, only when missing.
# The Debian packages the build needs that are missing, one a line.
system_needs() {
    pkg-config --exists hdf5-serial 2>/dev/null || echo libhdf5-dev
    command -v pkg-config >/dev/null || echo pkg-config
    [ -f /usr/include/zlib.h ] || echo zlib1g-dev
    # libosmium (header-only C++) reads OpenStreetMap PBF for the OSM importer
    [ -f /usr/include/osmium/osm.hpp ] || echo libosmium2-dev
    # SuiteSparse KLU: the sparse LU of the power-flow solver
    [ -f /usr/include/suitesparse/klu.h ] || echo libsuitesparse-dev
    # FoundationXML (the SUMO/MATSim readers) loads libxml2 at run time
    ldconfig -p 2>/dev/null | grep -q 'libxml2\.so\.2' || echo libxml2
    # GDAL (C API for `citytwin export`, gdalinfo/ogrinfo for the tests of what it writes)
    pkg-config --exists gdal 2>/dev/null || echo libgdal-dev
    command -v gdalinfo >/dev/null || echo gdal-bin
    # Open MPI (one scenario over many processes: `mpirun -np R citytwin run`) and METIS (traffic partitions)
    pkg-config --exists ompi-c 2>/dev/null || echo libopenmpi-dev
    command -v mpirun >/dev/null || echo openmpi-bin
    [ -f /usr/include/metis.h ] || echo libmetis-dev
}
# Chromium, for the report tests (a real headless browser).
browser_needs() {
    command -v chromium >/dev/null || command -v chromium-headless-shell >/dev/null || echo chromium
}
# slurm-wlm and munge, for the Slurm tests.
slurm_needs() {
    command -v slurmctld >/dev/null || echo slurm-wlm
    command -v munged >/dev/null || echo munge
}
# apt-get update once and install the given packages (nothing when none are given).
apt_install() {
    [ $# -gt 0 ] || return 0
    echo "installing: $*" >&2
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}
# Installs the build's missing packages.
ensure_system_packages() {
    # shellcheck disable=SC2046
    apt_install $(system_needs)
}
# Everything the test suite needs from Debian, in one apt-get run (a fresh CI machine updates the lists once).
ensure_test_packages() {
    # shellcheck disable=SC2046
    apt_install $(system_needs) $(browser_needs) $(slurm_needs)
}
# pip install, also where the system Python is externally managed.
pip_install() {
    python3 -m pip install -q "$@" >/dev/null 2>&1 || python3 -m pip install -q --break-system-packages "$@" >/dev/null
}
# h5py/xarray/h5netcdf/numpy: the tests read our results the way an analyst would.
ensure_python_readers() {
    if ! python3 -c 'import h5py, xarray, h5netcdf, numpy, scipy' 2>/dev/null; then
        echo "installing python readers: h5py xarray h5netcdf numpy scipy" >&2
        pip_install h5py xarray h5netcdf numpy scipy
    fi
}
# rasterio/geopandas/rioxarray: the export tests open GeoTIFF, GeoPackage and the HDF5 as GIS users do.
ensure_python_gis() {
    if ! python3 -c 'import rasterio, geopandas, rioxarray, pyogrio' 2>/dev/null; then
        echo "installing python GIS readers: rasterio geopandas rioxarray pyogrio" >&2
        pip_install rasterio geopandas rioxarray pyogrio
    fi
}
# Both, in one pip run when both are missing (a fresh machine resolves once).
ensure_python_test_packages() {
    if ! python3 -c 'import h5py, xarray, h5netcdf, numpy, scipy, rasterio, geopandas, rioxarray, pyogrio' \
        2>/dev/null; then
        echo "installing python readers: h5py xarray h5netcdf numpy scipy rasterio geopandas rioxarray pyogrio" >&2
        pip_install h5py xarray h5netcdf numpy scipy rasterio geopandas rioxarray pyogrio
    fi
}
# Chromium: the report tests open the HTML in a real headless browser.
ensure_browser() {
    # shellcheck disable=SC2046
    apt_install $(browser_needs)
}
# A single-node Slurm (slurm-wlm + munge from Debian) on this machine for the Slurm tests: installed, configured
# (/etc/slurm/slurm.conf for this host: its cores and memory, one partition) and started once; kept running.
ensure_slurm() {
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    # shellcheck disable=SC2046
    apt_install $(slurm_needs)
    if sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then return 0; fi
    local host mem
    host=$(hostname -s)
    mem=$(( $(free -m | awk '/Mem:/{print $2}') - 1024 ))
    $sudo mkdir -p /run/munge /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /etc/slurm
    $sudo chown munge:munge /run/munge
    [ -f /etc/munge/munge.key ] || $sudo mungekey --create >/dev/null 2>&1 \
        || $sudo dd if=/dev/urandom of=/etc/munge/munge.key bs=128 count=1 status=none
    $sudo chown munge:munge /etc/munge/munge.key
    $sudo chmod 400 /etc/munge/munge.key
    pgrep -x munged >/dev/null || $sudo su -s /bin/sh munge -c /usr/sbin/munged
    $sudo tee /etc/slurm/slurm.conf >/dev/null <<CONF
ClusterName=citytwin
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
KillWait=30
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
NodeName=$host CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
    pgrep -x slurmctld >/dev/null || $sudo slurmctld
    pgrep -x slurmd >/dev/null || $sudo slurmd
    for _ in $(seq 1 30); do
        sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)' && return 0
        sleep 1
    done
    echo "Slurm did not come up: see /var/log/slurm/slurmctld.log and slurmd.log" >&2
    return 1
}
