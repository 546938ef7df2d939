// client/producer.cpp: see producer.hpp. Locking: every member but options_ is under mu_.
#include "client/producer.hpp"

#include "protocol/requests.hpp"

namespace smartlog::client {

Producer::Producer(Options options) : options_(options), outbox_(options.limits) {}

Producer::PushResult Producer::push(std::string entry_json, bool may_block) {
    std::unique_lock lock(mu_);
    if (entry_json.size() > options_.limits.batch_max_bytes) {
        ++rejected_;
        return {Pushed::too_large, Wake::none};
    }
    if (outbox_.full() && options_.overflow == OverflowPolicy::block && may_block &&
        life_ == Life::running) {
        auto has_room = [&] { return !outbox_.full() || life_ != Life::running; };
        if (options_.block_timeout == std::chrono::milliseconds::max()) {
            cv_.wait(lock, has_room);
        } else {
            cv_.wait_for(lock, options_.block_timeout, has_room);
        }
    }
    if (!outbox_.push(std::move(entry_json))) return {Pushed::dropped, Wake::none};
    if (outbox_.batch_ready()) {
        if (pump_posted_) return {};
        pump_posted_ = true;
        return {Pushed::queued, Wake::pump};
    }
    if (flush_ != Flush::at_bounds) return {};
    flush_ = Flush::timer_armed;
    return {Pushed::queued, Wake::arm_timer};
}

void Producer::request_flush() {
    std::lock_guard lock(mu_);
    flush_ = Flush::due;
}

bool Producer::wait_empty(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return outbox_.empty() || life_ == Life::closed; });
    return outbox_.empty();
}

void Producer::begin_close() {
    {
        std::lock_guard lock(mu_);
        if (life_ == Life::running) life_ = Life::closing;
    }
    cv_.notify_all();
}

void Producer::close() {
    {
        std::lock_guard lock(mu_);
        life_ = Life::closed;
    }
    cv_.notify_all();
}

bool Producer::has_queue() const {
    std::lock_guard lock(mu_);
    return !outbox_.empty() && life_ == Life::running;
}

void Producer::fill(ClientStats& stats) const {
    std::lock_guard lock(mu_);
    stats.queued = outbox_.size();
    stats.sent = sent_;
    stats.acked = acked_;
    stats.rejected = rejected_;
    stats.dropped = outbox_.dropped();
    stats.resent = resent_;
}

Producer::Pump Producer::pump() {
    Pump out;
    std::lock_guard lock(mu_);
    pump_posted_ = false;
    const bool partial = flush_ == Flush::due || life_ != Life::running;
    while (outbox_.in_flight_batches() < options_.max_in_flight_batches) {
        auto batch = outbox_.next_batch(partial);
        if (!batch) break;
        sent_ += batch->entries.size();
        if (batch->resend) resent_ += batch->entries.size();
        out.frames.push_back(std::make_shared<const std::string>(
            protocol::logs_request(batch->ref, batch->entries)));
    }
    if (outbox_.waiting() == 0 && flush_ == Flush::due) flush_ = Flush::at_bounds;
    if (outbox_.waiting() > 0 && flush_ == Flush::at_bounds) {
        flush_ = Flush::timer_armed;
        out.arm_timer = true;
    }
    return out;
}

void Producer::flush_timer_fired() {
    std::lock_guard lock(mu_);
    flush_ = Flush::due;
}

void Producer::connection_ready() { request_flush(); }

void Producer::connection_lost() {
    std::lock_guard lock(mu_);
    outbox_.connection_lost();
}

void Producer::acknowledged(std::uint64_t ref, std::uint64_t accepted, std::size_t rejected) {
    {
        std::lock_guard lock(mu_);
        if (outbox_.ack(ref)) {
            acked_ += accepted;
            rejected_ += rejected;
        }
    }
    cv_.notify_all();
}

void Producer::refused(std::uint64_t ref) {
    {
        std::lock_guard lock(mu_);
        if (auto n = outbox_.ack(ref)) rejected_ += *n;
    }
    cv_.notify_all();
}

std::uint64_t Producer::take_new_drops() {
    std::lock_guard lock(mu_);
    const auto newly = outbox_.dropped() - drops_reported_;
    drops_reported_ = outbox_.dropped();
    return newly;
}

}  // namespace smartlog::client
