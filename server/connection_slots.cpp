#include "server/connection_slots.hpp"

#include <fmt/format.h>

namespace smartlog::server {

// ---- Slot ----------------------------------------------------------------------------------

Slot::Slot(Slot&& other) noexcept : owner_(other.owner_), node_(other.node_) {
    other.owner_ = nullptr;
}

Slot& Slot::operator=(Slot&& other) noexcept {
    if (this != &other) {
        release();
        owner_ = other.owner_;
        node_ = other.node_;
        other.owner_ = nullptr;
    }
    return *this;
}

Slot::~Slot() { release(); }

void Slot::release() noexcept {
    if (owner_) owner_->release(node_);
    owner_ = nullptr;
}

void Slot::set_waiting(bool waiting) {
    if (owner_) owner_->set_waiting(*node_, waiting);
}

void Slot::on_displace(std::function<void()> close) {
    if (owner_) node_->close = std::move(close);
}

bool Slot::displaced() const noexcept { return owner_ && node_->displaced; }

// ---- ConnectionSlots -----------------------------------------------------------------------

net::ip::address ConnectionSlots::canonical(const net::ip::address& address) {
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        return net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6());
    }
    return address;
}

std::size_t ConnectionSlots::from(const net::ip::address& address) const {
    auto it = per_address_.find(canonical(address).to_string());
    return it == per_address_.end() ? 0 : it->second;
}

ConnectionSlots::Admission ConnectionSlots::admit(const net::ip::address& address,
                                                  const SlotLimits& limits) {
    Admission result;
    const net::ip::address canon = canonical(address);
    std::string key = canon.to_string();
    // Loopback is this host: a reverse proxy in front of us, or our own tools. Capping it
    // would cap every client of the proxy together (docs/security.md, "Connections").
    if (limits.per_address && !canon.is_loopback()) {
        auto it = per_address_.find(key);
        if (it != per_address_.end() && it->second >= limits.per_address) {
            result.refusal = fmt::format(
                "too many connections from your address: at most {} (max_connections_per_address); "
                "retry later",
                limits.per_address);
            return result;
        }
    }
    if (limits.unauthenticated) {
        while (waiting_.size() >= limits.unauthenticated) {
            displace_oldest();
            ++result.displaced;
        }
    }
    ++per_address_[key];
    nodes_.push_back(Slot::Node{std::move(key), false, false, {}, {}});
    auto node = std::prev(nodes_.end());
    set_waiting(*node, true);
    result.slot = Slot(this, node);
    return result;
}

void ConnectionSlots::set_waiting(Slot::Node& node, bool waiting) {
    if (node.displaced) return;
    if (node.waiting) waiting_.erase(node.in_waiting);
    node.waiting = waiting;
    if (waiting) node.in_waiting = waiting_.insert(waiting_.end(), &node);
}

void ConnectionSlots::displace_oldest() {
    Slot::Node& node = *waiting_.front();
    waiting_.pop_front();
    node.waiting = false;
    node.displaced = true;
    // The connection closes asynchronously; its Slot, freed then, keeps counting for its
    // address until it does.
    if (auto close = std::move(node.close)) close();
}

void ConnectionSlots::release(std::list<Slot::Node>::iterator node) noexcept {
    if (node->waiting) waiting_.erase(node->in_waiting);
    auto it = per_address_.find(node->address);
    if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
    nodes_.erase(node);
}

}  // namespace smartlog::server
