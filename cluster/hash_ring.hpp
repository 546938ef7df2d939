// cluster/hash_ring.hpp: which Redis server holds an app, by consistent hashing (docs/cluster.md,
// "Several Redis servers"): each server owns many points on a ring of 64-bit hashes of its
// address, an app goes to the first point at or after its own hash. Every node computes the same
// ring from the same addresses, whatever their order; adding a server moves about 1/n of the
// apps. Immutable once built; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace smartlog::cluster {

class HashRing {
public:
    // REQUIRES: !addresses.empty(), no address twice.
    explicit HashRing(const std::vector<std::string>& addresses, unsigned points_per_server = 160);
    // Index into `addresses` of the server that holds `app`.
    std::size_t pick(std::string_view app) const noexcept;

private:
    struct Point {
        std::uint64_t hash;
        std::size_t server;
    };
    std::vector<Point> points_;  // sorted by hash
};

// FNV-1a, 64 bits: the ring's hash, the same on every node and every build.
std::uint64_t fnv1a64(std::string_view text) noexcept;

}  // namespace smartlog::cluster
