// libosmium reader behind the C interface of cosm.h. One pass over the PBF with node locations kept in memory
// (the flex index), so ways arrive with coordinates.
#include "cosm.h"

#include <osmium/handler.hpp>
#include <osmium/handler/node_locations_for_ways.hpp>
#include <osmium/index/map/flex_mem.hpp>
#include <osmium/io/pbf_input.hpp>
#include <osmium/osm/relation.hpp>
#include <osmium/osm/way.hpp>
#include <osmium/visitor.hpp>

#include <cmath>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

struct cosm_data {
    std::vector<int64_t> way_ids;
    std::vector<uint32_t> way_start{0};
    std::vector<int64_t> node_ids;
    std::vector<double> lon, lat;
    std::vector<std::string> way_tags;          // COSM_WAY_TAGS per way
    std::vector<double> b_lon, b_lat, b_area;
    std::vector<std::string> b_tags;            // COSM_BUILDING_TAGS per building
    std::vector<double> p_lon, p_lat;           // power features (substations, transformers): position
    std::vector<std::string> p_tags;            // COSM_POWER_TAGS per feature
    std::vector<int32_t> a_kind;
    std::vector<uint32_t> a_start{0};
    std::vector<double> a_lon, a_lat;
    std::vector<std::string> r_kind;
    std::vector<int64_t> r_from, r_via, r_to;
    std::vector<int64_t> signal_ids;            // nodes tagged highway=traffic_signals
};

namespace {

const char *way_keys[COSM_WAY_TAGS] = {"highway", "oneway", "lanes", "maxspeed", "junction", "name", "access", "lanes:forward", "lanes:backward"};
const char *building_keys[COSM_BUILDING_TAGS] = {"building", "building:levels", "amenity", "shop"};
const char *power_keys[COSM_POWER_TAGS] = {"power", "substation", "voltage", "name"};

class Collector : public osmium::handler::Handler {
public:
    explicit Collector(cosm_data &d) : d_(d) {}

    static bool any(const char *v, std::initializer_list<const char *> set) {
        if (!v) return false;
        for (const char *s : set) if (std::strcmp(v, s) == 0) return true;
        return false;
    }

    void ring(const osmium::Way &w, int32_t kind) {
        if (!w.is_closed() || w.nodes().size() < 4) return;
        size_t n = 0;
        for (const auto &nr : w.nodes()) {
            if (!nr.location().valid()) continue;
            d_.a_lon.push_back(nr.location().lon()); d_.a_lat.push_back(nr.location().lat()); ++n;
        }
        if (n < 3) { d_.a_lon.resize(d_.a_lon.size() - n); d_.a_lat.resize(d_.a_lat.size() - n); return; }
        d_.a_kind.push_back(kind);
        d_.a_start.push_back(static_cast<uint32_t>(d_.a_lon.size()));
    }

    void power(const osmium::TagList &tags, double lon, double lat) {
        d_.p_lon.push_back(lon); d_.p_lat.push_back(lat);
        for (const char *k : power_keys) { const char *v = tags[k]; d_.p_tags.emplace_back(v ? v : ""); }
    }

    void node(const osmium::Node &n) {
        if (any(n.tags()["highway"], {"traffic_signals"})) d_.signal_ids.push_back(n.id());
        if (any(n.tags()["power"], {"substation", "transformer"}) && n.location().valid()) power(n.tags(), n.location().lon(), n.location().lat());
    }

    void way(const osmium::Way &w) {
        if (any(w.tags()["power"], {"substation", "transformer"}) && w.is_closed()) {
            double lon = 0, lat = 0; size_t n = 0;
            for (const auto &nr : w.nodes()) { if (nr.location().valid() && &nr != &w.nodes().back()) { lon += nr.location().lon(); lat += nr.location().lat(); ++n; } }
            if (n > 0) power(w.tags(), lon / n, lat / n);
        }
        const char *hw = w.tags()["highway"];
        const char *bld = w.tags()["building"];
        if (bld) ring(w, 2);
        else if (any(w.tags()["natural"], {"water", "bay"}) || w.tags()["water"] || any(w.tags()["landuse"], {"reservoir", "basin"})
                 || any(w.tags()["leisure"], {"swimming_pool"}))
            ring(w, 4);
        else if (any(w.tags()["leisure"], {"park", "garden", "pitch", "playground", "golf_course", "nature_reserve"})
                 || any(w.tags()["landuse"], {"grass", "forest", "meadow", "recreation_ground", "village_green", "cemetery", "orchard", "vineyard", "allotments"})
                 || any(w.tags()["natural"], {"wood", "scrub", "grassland", "heath"}))
            ring(w, 3);
        if (hw) {
            d_.way_ids.push_back(w.id());
            for (const auto &nr : w.nodes()) {
                if (!nr.location().valid()) continue;   // node outside the extract
                d_.node_ids.push_back(nr.ref());
                d_.lon.push_back(nr.location().lon());
                d_.lat.push_back(nr.location().lat());
            }
            d_.way_start.push_back(static_cast<uint32_t>(d_.node_ids.size()));
            for (const char *k : way_keys) { const char *v = w.tags()[k]; d_.way_tags.emplace_back(v ? v : ""); }
        } else if (bld && w.is_closed() && w.nodes().size() >= 4) {
            // centroid and area of the ring on a local equirectangular plane (metres)
            double lon0 = 0, lat0 = 0; size_t n = 0;
            for (const auto &nr : w.nodes()) { if (nr.location().valid()) { lon0 += nr.location().lon(); lat0 += nr.location().lat(); ++n; } }
            if (n < 3) return;
            lon0 /= n; lat0 /= n;
            const double R = 6371008.8, kx = R * std::cos(lat0 * M_PI / 180) * M_PI / 180, ky = R * M_PI / 180;
            double a2 = 0, cx = 0, cy = 0;
            const auto &nodes = w.nodes();
            for (size_t i = 0; i + 1 < nodes.size(); ++i) {
                if (!nodes[i].location().valid() || !nodes[i + 1].location().valid()) continue;
                double x0 = (nodes[i].location().lon() - lon0) * kx, y0 = (nodes[i].location().lat() - lat0) * ky;
                double x1 = (nodes[i + 1].location().lon() - lon0) * kx, y1 = (nodes[i + 1].location().lat() - lat0) * ky;
                double c = x0 * y1 - x1 * y0;
                a2 += c; cx += (x0 + x1) * c; cy += (y0 + y1) * c;
            }
            double area = std::fabs(a2) / 2;
            double clon = lon0, clat = lat0;
            if (std::fabs(a2) > 1e-9) { clon = lon0 + cx / (3 * a2) / kx; clat = lat0 + cy / (3 * a2) / ky; }
            d_.b_lon.push_back(clon); d_.b_lat.push_back(clat); d_.b_area.push_back(area);
            for (const char *k : building_keys) { const char *v = w.tags()[k]; d_.b_tags.emplace_back(v ? v : ""); }
        }
    }

    void relation(const osmium::Relation &r) {
        const char *type = r.tags()["type"];
        const char *kind = r.tags()["restriction"];
        if (!type || std::strcmp(type, "restriction") != 0 || !kind) return;
        int64_t from = 0, via = 0, to = 0;
        for (const auto &m : r.members()) {
            if (std::strcmp(m.role(), "from") == 0 && m.type() == osmium::item_type::way) from = m.ref();
            else if (std::strcmp(m.role(), "via") == 0 && m.type() == osmium::item_type::node) via = m.ref();
            else if (std::strcmp(m.role(), "to") == 0 && m.type() == osmium::item_type::way) to = m.ref();
        }
        if (!from || !via || !to) return;   // via ways are not supported
        d_.r_kind.emplace_back(kind); d_.r_from.push_back(from); d_.r_via.push_back(via); d_.r_to.push_back(to);
    }

private:
    cosm_data &d_;
};

}  // namespace

extern "C" cosm_data *cosm_read(const char *path, char *err, size_t errlen) {
    try {
        auto *d = new cosm_data();
        osmium::io::Reader reader{path, osmium::osm_entity_bits::node | osmium::osm_entity_bits::way | osmium::osm_entity_bits::relation};
        osmium::index::map::FlexMem<osmium::unsigned_object_id_type, osmium::Location> index;
        osmium::handler::NodeLocationsForWays<decltype(index)> locations{index};
        locations.ignore_errors();
        Collector collector{*d};
        osmium::apply(reader, locations, collector);
        reader.close();
        return d;
    } catch (const std::exception &e) {
        if (err && errlen) { std::strncpy(err, e.what(), errlen - 1); err[errlen - 1] = 0; }
        return nullptr;
    }
}

extern "C" void cosm_free(cosm_data *d) { delete d; }
extern "C" size_t cosm_way_count(const cosm_data *d) { return d->way_ids.size(); }
extern "C" int64_t cosm_way_id(const cosm_data *d, size_t w) { return d->way_ids[w]; }
extern "C" const uint32_t *cosm_way_node_start(const cosm_data *d) { return d->way_start.data(); }
extern "C" const int64_t *cosm_way_node_ids(const cosm_data *d) { return d->node_ids.data(); }
extern "C" const double *cosm_way_node_lon(const cosm_data *d) { return d->lon.data(); }
extern "C" const double *cosm_way_node_lat(const cosm_data *d) { return d->lat.data(); }
extern "C" const char *cosm_way_tag(const cosm_data *d, size_t w, int t) { return d->way_tags[w * COSM_WAY_TAGS + t].c_str(); }
extern "C" size_t cosm_building_count(const cosm_data *d) { return d->b_lon.size(); }
extern "C" const double *cosm_building_lon(const cosm_data *d) { return d->b_lon.data(); }
extern "C" const double *cosm_building_lat(const cosm_data *d) { return d->b_lat.data(); }
extern "C" const double *cosm_building_area(const cosm_data *d) { return d->b_area.data(); }
extern "C" const char *cosm_building_tag(const cosm_data *d, size_t b, int t) { return d->b_tags[b * COSM_BUILDING_TAGS + t].c_str(); }
extern "C" size_t cosm_restriction_count(const cosm_data *d) { return d->r_kind.size(); }
extern "C" const char *cosm_restriction_kind(const cosm_data *d, size_t r) { return d->r_kind[r].c_str(); }
extern "C" int64_t cosm_restriction_from(const cosm_data *d, size_t r) { return d->r_from[r]; }
extern "C" int64_t cosm_restriction_via(const cosm_data *d, size_t r) { return d->r_via[r]; }
extern "C" int64_t cosm_restriction_to(const cosm_data *d, size_t r) { return d->r_to[r]; }
extern "C" size_t cosm_area_count(const cosm_data *d) { return d->a_kind.size(); }
extern "C" const int32_t *cosm_area_kind(const cosm_data *d) { return d->a_kind.data(); }
extern "C" const uint32_t *cosm_area_start(const cosm_data *d) { return d->a_start.data(); }
extern "C" const double *cosm_area_lon(const cosm_data *d) { return d->a_lon.data(); }
extern "C" const double *cosm_area_lat(const cosm_data *d) { return d->a_lat.data(); }
extern "C" size_t cosm_power_count(const cosm_data *d) { return d->p_lon.size(); }
extern "C" const double *cosm_power_lon(const cosm_data *d) { return d->p_lon.data(); }
extern "C" const double *cosm_power_lat(const cosm_data *d) { return d->p_lat.data(); }
extern "C" const char *cosm_power_tag(const cosm_data *d, size_t i, int t) { return d->p_tags[i * COSM_POWER_TAGS + t].c_str(); }
extern "C" size_t cosm_signal_count(const cosm_data *d) { return d->signal_ids.size(); }
extern "C" const int64_t *cosm_signal_ids(const cosm_data *d) { return d->signal_ids.data(); }
