#include "cluster/hash_ring.hpp"

#include <algorithm>

namespace smartlog::cluster {

std::uint64_t fnv1a64(std::string_view text) noexcept {
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    // FNV's low bits mix poorly on short, similar keys ("app1", "app2"): finish with a
    // splitmix64 round so that neighbouring names land far apart on the ring.
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h;
}

HashRing::HashRing(const std::vector<std::string>& addresses, unsigned points_per_server) {
    points_.reserve(addresses.size() * points_per_server);
    for (std::size_t s = 0; s < addresses.size(); ++s) {
        for (unsigned i = 0; i < points_per_server; ++i) {
            points_.push_back({fnv1a64(addresses[s] + "#" + std::to_string(i)), s});
        }
    }
    std::sort(points_.begin(), points_.end(), [](const Point& a, const Point& b) {
        return a.hash != b.hash ? a.hash < b.hash : a.server < b.server;
    });
}

std::size_t HashRing::pick(std::string_view app) const noexcept {
    const std::uint64_t h = fnv1a64(app);
    auto it = std::lower_bound(points_.begin(), points_.end(), h,
                               [](const Point& p, std::uint64_t v) { return p.hash < v; });
    if (it == points_.end()) it = points_.begin();
    return it->server;
}

}  // namespace smartlog::cluster
