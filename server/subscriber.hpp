// server/subscriber.hpp: what the hub needs of a connection that joined an app. The hub knows
// no connection type: it offers frames to subscribers, and each subscriber's own gate decides
// what to queue, skip or hold (server/outbound_queue.hpp). Net thread only.
#pragma once

#include <cstddef>
#include <span>

#include "core/entry.hpp"
#include "server/outbound_queue.hpp"

namespace smartlog::server {

class Subscriber {
public:
    // True when this subscriber takes live data (log batches, metrics, notices of the app):
    // an authenticated viewer with the read permission.
    virtual bool receives_live() const noexcept = 0;
    // Offers a live batch: `frame` carries every entry of `batch` and is shared by all
    // subscribers; one that shows only some of them makes its own. Returns how many entries
    // were queued.
    virtual std::size_t offer_batch(std::span<const core::EntryPtr> batch,
                                    const SharedFrame& frame) = 0;
    // Offers a frame that is not a batch: shared live data (FrameKind::live) or a notice
    // (FrameKind::notice).
    virtual void offer_frame(const SharedFrame& frame, FrameKind kind) = 0;

protected:
    // Subscribers are owned elsewhere (a session owns itself); the hub only holds pointers.
    ~Subscriber() = default;
};

}  // namespace smartlog::server
