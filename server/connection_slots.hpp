// server/connection_slots.hpp: max_connections_per_address and max_unauthenticated_connections
// (docs/security.md, "Connections"). Every client connection holds one Slot from accept to
// close, handed from its HttpSession to its WsSession. A slot is *waiting* while its connection
// has proven nothing: an HTTP connection waiting for a whole request, a WebSocket not yet
// authenticated. Waiting slots may be displaced (oldest first) to admit a new connection, so
// connections without credentials can never hold every place. Net thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <string>
#include <unordered_map>

#include "server/net.hpp"

namespace smartlog::server {

class ConnectionSlots;

// One connection's place; move-only. An empty Slot (default-constructed, or moved from) is
// inert. Destroying a Slot frees its place.
class Slot {
public:
    Slot() = default;
    Slot(Slot&& other) noexcept;
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot();

    // Waiting: displaceable. A connection re-entering waiting goes to the back of the line
    // (the newest). Has no effect on a slot already displaced.
    void set_waiting(bool waiting);
    // What closes this slot's connection when it is displaced; called at most once, on the
    // net thread, from inside ConnectionSlots::admit(). Replaces the previous one.
    void on_displace(std::function<void()> close);
    bool displaced() const noexcept;
    explicit operator bool() const noexcept { return owner_ != nullptr; }

private:
    friend class ConnectionSlots;
    struct Node;
    Slot(ConnectionSlots* owner, std::list<Node>::iterator node) : owner_(owner), node_(node) {}
    void release() noexcept;

    ConnectionSlots* owner_ = nullptr;
    std::list<Node>::iterator node_;
};

struct Slot::Node {
    std::string address;  // the key of ConnectionSlots::per_address_
    bool waiting = true;
    bool displaced = false;
    std::list<Node*>::iterator in_waiting;  // valid while waiting && !displaced
    std::function<void()> close;
};

struct SlotLimits {
    std::size_t per_address = 0;      // 0: no cap; loopback addresses are never capped
    std::size_t unauthenticated = 0;  // 0: no cap
};

class ConnectionSlots {
public:
    ConnectionSlots() = default;
    ConnectionSlots(const ConnectionSlots&) = delete;
    ConnectionSlots& operator=(const ConnectionSlots&) = delete;
    // REQUIRES: every Slot was destroyed.
    ~ConnectionSlots() = default;

    struct Admission {
        Slot slot;                  // empty when refused
        std::string refusal;        // why, for the client: set when `slot` is empty
        std::size_t displaced = 0;  // waiting connections closed to make room
    };

    // A slot, waiting, for a connection from `address`; refused when that address already
    // holds `limits.per_address` connections (unless it is a loopback address). When
    // `limits.unauthenticated` waiting slots are held, the oldest ones are displaced first.
    Admission admit(const net::ip::address& address, const SlotLimits& limits);

    std::size_t open() const noexcept { return nodes_.size(); }
    std::size_t waiting() const noexcept { return waiting_.size(); }
    std::size_t from(const net::ip::address& address) const;

    // The form an address is counted under: IPv4-mapped IPv6 addresses count as their IPv4.
    static net::ip::address canonical(const net::ip::address& address);

private:
    friend class Slot;
    void release(std::list<Slot::Node>::iterator node) noexcept;
    void set_waiting(Slot::Node& node, bool waiting);
    void displace_oldest();

    std::list<Slot::Node> nodes_;
    std::list<Slot::Node*> waiting_;  // oldest first
    std::unordered_map<std::string, std::size_t> per_address_;
};

}  // namespace smartlog::server
