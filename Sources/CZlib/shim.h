#ifndef CITYTWIN_CZLIB_SHIM_H
#define CITYTWIN_CZLIB_SHIM_H
#include <zlib.h>
/// inflateInit2 is a macro; Swift cannot call it.
static inline int ct_inflate_init_raw(z_stream *s) { return inflateInit2(s, -15); }
/// A gzip (or zlib) stream, header detected automatically.
static inline int ct_inflate_init_gzip(z_stream *s) { return inflateInit2(s, 15 + 32); }
#endif
