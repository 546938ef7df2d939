#include "server/outbound_queue.hpp"

namespace smartlog::server {

bool OutboundQueue::offer(SharedFrame frame, FrameKind kind) {
    const std::size_t c = cost(*frame);
    if (kind != FrameKind::reply && waiting() > 0 && waiting() + c > bound_) return false;
    charged_ += c;
    frames_.push_back(std::move(frame));
    return true;
}

void OutboundQueue::start_writing() noexcept { writing_cost_ = cost(*frames_.front()); }

void OutboundQueue::pop_front() noexcept {
    charged_ -= cost(*frames_.front());
    writing_cost_ = 0;
    frames_.pop_front();
}

void OutboundQueue::drop_waiting() noexcept {
    const bool writing = writing_cost_ > 0;
    while (frames_.size() > (writing ? 1u : 0u)) {
        charged_ -= cost(*frames_.back());
        frames_.pop_back();
    }
}

}  // namespace smartlog::server
