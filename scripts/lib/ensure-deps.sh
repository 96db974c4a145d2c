# Sourced by scripts/*: installs what the build and tests need, only when missing.
ensure_system_packages() {
    local need=()
    pkg-config --exists hdf5-serial 2>/dev/null || need+=(libhdf5-dev)
    command -v pkg-config >/dev/null || need+=(pkg-config)
    [ -f /usr/include/zlib.h ] || need+=(zlib1g-dev)
    # libosmium (header-only C++) reads OpenStreetMap PBF for the OSM importer
    [ -f /usr/include/osmium/osm.hpp ] || need+=(libosmium2-dev)
    # SuiteSparse KLU: the sparse LU of the power-flow solver
    [ -f /usr/include/suitesparse/klu.h ] || need+=(libsuitesparse-dev)
    # FoundationXML (the SUMO/MATSim readers) loads libxml2 at run time
    ldconfig -p 2>/dev/null | grep -q 'libxml2\.so\.2' || need+=(libxml2)
    # GDAL (C API for `citytwin export`, gdalinfo/ogrinfo for the tests of what it writes)
    pkg-config --exists gdal 2>/dev/null || need+=(libgdal-dev)
    command -v gdalinfo >/dev/null || need+=(gdal-bin)
    # Open MPI (one scenario over many processes: `mpirun -np R citytwin run`) and METIS (traffic partitions)
    pkg-config --exists ompi-c 2>/dev/null || need+=(libopenmpi-dev)
    command -v mpirun >/dev/null || need+=(openmpi-bin)
    [ -f /usr/include/metis.h ] || need+=(libmetis-dev)
    if [ ${#need[@]} -gt 0 ]; then
        echo "installing: ${need[*]}" >&2
        local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
    fi
}
# h5py/xarray/h5netcdf/numpy: the tests read our results the way an analyst would.
ensure_python_readers() {
    if ! python3 -c 'import h5py, xarray, h5netcdf, numpy, scipy' 2>/dev/null; then
        echo "installing python readers: h5py xarray h5netcdf numpy scipy" >&2
        python3 -m pip install -q h5py xarray h5netcdf numpy scipy >/dev/null 2>&1 \
          || python3 -m pip install -q --break-system-packages h5py xarray h5netcdf numpy scipy >/dev/null
    fi
}
# rasterio/geopandas/rioxarray: the export tests open GeoTIFF, GeoPackage and the HDF5 as GIS users do.
ensure_python_gis() {
    if ! python3 -c 'import rasterio, geopandas, rioxarray, pyogrio' 2>/dev/null; then
        echo "installing python GIS readers: rasterio geopandas rioxarray pyogrio" >&2
        python3 -m pip install -q rasterio geopandas rioxarray pyogrio >/dev/null 2>&1 \
          || python3 -m pip install -q --break-system-packages rasterio geopandas rioxarray pyogrio >/dev/null
    fi
}
# Chromium: the report tests open the HTML in a real headless browser.
ensure_browser() {
    if ! command -v chromium >/dev/null && ! command -v chromium-headless-shell >/dev/null; then
        echo "installing: chromium" >&2
        local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
    fi
}
# A single-node Slurm (slurm-wlm + munge from Debian) on this machine for the Slurm tests: installed, configured
# (/etc/slurm/slurm.conf for this host: its cores and memory, one partition) and started once; kept running.
ensure_slurm() {
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
        echo "installing: slurm-wlm munge" >&2
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq slurm-wlm munge >/dev/null
    fi
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
