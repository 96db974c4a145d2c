// METIS 5 (Debian libmetis-dev): graph partitioning for the traffic domain's node partitions. idx_t is 32-bit
// in Debian's build (IDXTYPEWIDTH 32); the option indices are enum constants Swift imports directly.
#ifndef CITYTWIN_CMETIS_SHIM_H
#define CITYTWIN_CMETIS_SHIM_H
#include <metis.h>

static inline int ct_metis_idx_width(void) { return IDXTYPEWIDTH; }

#endif
