#ifndef CITYTWIN_COSM_H
#define CITYTWIN_COSM_H
// C interface to libosmium (header-only C++, Debian libosmium2-dev): reads an OSM PBF file once and hands back
// flat arrays — the road ways (with node ids, coordinates and the tags the importer uses) and the buildings
// (centroid, footprint area, tags). Everything else of libosmium stays inside cosm.cpp.
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

typedef struct cosm_data cosm_data;

enum cosm_way_tag { COSM_HIGHWAY = 0, COSM_ONEWAY, COSM_LANES, COSM_MAXSPEED, COSM_JUNCTION, COSM_NAME, COSM_ACCESS, COSM_LANES_FORWARD, COSM_LANES_BACKWARD, COSM_WAY_TAGS };
enum cosm_building_tag { COSM_BUILDING = 0, COSM_LEVELS, COSM_AMENITY, COSM_SHOP, COSM_BUILDING_TAGS };
enum cosm_power_tag { COSM_POWER = 0, COSM_SUBSTATION, COSM_VOLTAGE, COSM_POWER_NAME, COSM_POWER_TAGS };

/// Reads `path`; on failure returns NULL and writes a message into err (errlen bytes).
cosm_data *cosm_read(const char *path, char *err, size_t errlen);
void cosm_free(cosm_data *d);

size_t cosm_way_count(const cosm_data *d);
int64_t cosm_way_id(const cosm_data *d, size_t way);
/// Node refs of way `way` are entries [start[way], start[way + 1]) of the node arrays.
const uint32_t *cosm_way_node_start(const cosm_data *d);
const int64_t *cosm_way_node_ids(const cosm_data *d);
const double *cosm_way_node_lon(const cosm_data *d);
const double *cosm_way_node_lat(const cosm_data *d);
/// A tag value of a way ("" when absent). Valid until cosm_free.
const char *cosm_way_tag(const cosm_data *d, size_t way, int tag);

size_t cosm_building_count(const cosm_data *d);
const double *cosm_building_lon(const cosm_data *d);
const double *cosm_building_lat(const cosm_data *d);
/// Footprint area in square metres (equirectangular approximation around the centroid).
const double *cosm_building_area(const cosm_data *d);
const char *cosm_building_tag(const cosm_data *d, size_t building, int tag);

/// Area rings (closed ways): kind 2 = building, 3 = green (parks, gardens, grass, woods, …), 4 = water. Ring r's
/// vertices are entries [start[r], start[r + 1]) of the lon/lat arrays.
size_t cosm_area_count(const cosm_data *d);
const int32_t *cosm_area_kind(const cosm_data *d);
const uint32_t *cosm_area_start(const cosm_data *d);
const double *cosm_area_lon(const cosm_data *d);
const double *cosm_area_lat(const cosm_data *d);

/// Turn restrictions (relations type=restriction with a via node): the restriction value ("no_left_turn",
/// "only_straight_on", …) and the from way, via node and to way ids.
size_t cosm_restriction_count(const cosm_data *d);
const char *cosm_restriction_kind(const cosm_data *d, size_t r);
int64_t cosm_restriction_from(const cosm_data *d, size_t r);
int64_t cosm_restriction_via(const cosm_data *d, size_t r);
int64_t cosm_restriction_to(const cosm_data *d, size_t r);

/// Power features (nodes and closed ways tagged power=substation or power=transformer): position (centroid for
/// ways) and the tags power, substation, voltage, name.
size_t cosm_power_count(const cosm_data *d);
const double *cosm_power_lon(const cosm_data *d);
const double *cosm_power_lat(const cosm_data *d);
const char *cosm_power_tag(const cosm_data *d, size_t i, int tag);

/// Node ids tagged highway=traffic_signals (signalised junctions and signals on a way).
size_t cosm_signal_count(const cosm_data *d);
const int64_t *cosm_signal_ids(const cosm_data *d);

#ifdef __cplusplus
}
#endif
#endif
