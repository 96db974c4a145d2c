#ifndef CITYTWIN_CHDF5_SHIM_H
#define CITYTWIN_CHDF5_SHIM_H
// libhdf5 exposes its constants as macros over globals that need H5open() first; Swift cannot import them.
// Each gets a static-inline function here. Nothing else lives in this file.
#include <stdio.h>
#include <string.h>
#include <hdf5.h>
#include <hdf5_hl.h>

static inline hid_t ct_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t ct_H5S_ALL(void) { return H5S_ALL; }
static inline hsize_t ct_H5S_UNLIMITED(void) { return H5S_UNLIMITED; }
static inline hid_t ct_H5P_FILE_ACCESS(void) { H5open(); return H5P_FILE_ACCESS; }
static inline hid_t ct_H5P_DATASET_CREATE(void) { H5open(); return H5P_DATASET_CREATE; }
static inline hid_t ct_H5P_LINK_CREATE(void) { H5open(); return H5P_LINK_CREATE; }
static inline hid_t ct_H5T_NATIVE_FLOAT(void) { H5open(); return H5T_NATIVE_FLOAT; }
static inline hid_t ct_H5T_NATIVE_DOUBLE(void) { H5open(); return H5T_NATIVE_DOUBLE; }
static inline hid_t ct_H5T_NATIVE_INT32(void) { H5open(); return H5T_NATIVE_INT32; }
static inline hid_t ct_H5T_NATIVE_INT64(void) { H5open(); return H5T_NATIVE_INT64; }
static inline hid_t ct_H5T_NATIVE_UINT8(void) { H5open(); return H5T_NATIVE_UINT8; }
static inline hid_t ct_H5T_NATIVE_UINT64(void) { H5open(); return H5T_NATIVE_UINT64; }
static inline hid_t ct_H5T_C_S1(void) { H5open(); return H5T_C_S1; }
static inline hid_t ct_H5E_DEFAULT(void) { return H5E_DEFAULT; }
static inline unsigned ct_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned ct_H5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }
static inline unsigned ct_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned ct_H5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
static inline size_t ct_H5T_VARIABLE(void) { return H5T_VARIABLE; }

/// Walks the thread's HDF5 error stack and copies the innermost messages into buf (newline separated).
static inline herr_t ct_error_walk_cb(unsigned n, const H5E_error2_t *e, void *data) {
    char *buf = (char *)data;
    size_t used = strlen(buf);
    if (used + 4 >= 1024) return 0;
    snprintf(buf + used, 1024 - used, "%s%s: %s", used ? "; " : "", e->func_name ? e->func_name : "?", e->desc ? e->desc : "?");
    return 0;
}
static inline void ct_error_message(char *buf /* 1024 bytes */) {
    buf[0] = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, ct_error_walk_cb, buf);
    H5Eclear2(H5E_DEFAULT);
}
/// Silence libhdf5's automatic printing of the error stack; errors are captured and thrown instead.
static inline void ct_silence_errors(void) { H5open(); H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
/// Before the library is first used: do not close files at process exit. A file whose flush failed (a full disk)
/// stays open in the library, and its clean-up at exit would crash inside libhdf5 instead of letting us exit 1.
static inline void ct_dont_atexit(void) { H5dont_atexit(); }
#endif
