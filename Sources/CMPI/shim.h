// Open MPI (Debian libopenmpi-dev, pkg-config "ompi-c"). Its handles and constants are macros over global
// objects that Swift cannot import; these static-inline functions return them.
#ifndef CITYTWIN_CMPI_SHIM_H
#define CITYTWIN_CMPI_SHIM_H
#include <mpi.h>

static inline MPI_Comm ct_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype ct_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype ct_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype ct_mpi_int(void) { return MPI_INT; }
static inline MPI_Datatype ct_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Op ct_mpi_max(void) { return MPI_MAX; }
static inline MPI_Op ct_mpi_min(void) { return MPI_MIN; }
static inline MPI_Op ct_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Errhandler ct_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline void *ct_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *ct_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline int ct_mpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline MPI_Info ct_mpi_info_null(void) { return MPI_INFO_NULL; }
static inline int ct_mpi_proc_null(void) { return MPI_PROC_NULL; }
static inline int ct_mpi_success(void) { return MPI_SUCCESS; }
static inline int ct_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int ct_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }

#endif
