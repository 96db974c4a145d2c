#ifndef CITYTWIN_CGDAL_SHIM_H
#define CITYTWIN_CGDAL_SHIM_H
// GDAL/OGR C API (Debian libgdal-dev): rasters, vector layers and coordinate reference systems for
// `citytwin export` and the CF georeferencing of results. Only SimIO/GDAL.swift calls into it.
#include <gdal.h>
#include <gdal_alg.h>
#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#endif
