#include "client/outbox.hpp"

#include <algorithm>
#include <iterator>

namespace smartlog::client {

Outbox::Outbox(Limits limits) : limits_(limits) {}

bool Outbox::push(std::string entry_json) {
    if (full()) {
        ++dropped_;
        return false;
    }
    waiting_bytes_ += entry_json.size();
    waiting_.push_back(std::move(entry_json));
    return true;
}

bool Outbox::batch_ready() const noexcept {
    return !resend_.empty() || waiting_.size() >= limits_.batch_max_entries ||
           waiting_bytes_ >= limits_.batch_max_bytes;
}

std::optional<Batch> Outbox::next_batch(bool partial) {
    Batch batch;
    if (!resend_.empty()) {
        batch = std::move(resend_.front());
        resend_.pop_front();
        resend_entries_ -= batch.entries.size();
    } else {
        if (waiting_.empty() || (!partial && !batch_ready())) return std::nullopt;
        batch.ref = next_ref_++;
        // At least one entry, so an entry near batch_max_bytes still leaves.
        while (!waiting_.empty() && batch.entries.size() < limits_.batch_max_entries &&
               (batch.entries.empty() ||
                batch.bytes + waiting_.front().size() <= limits_.batch_max_bytes)) {
            batch.bytes += waiting_.front().size();
            waiting_bytes_ -= waiting_.front().size();
            batch.entries.push_back(std::move(waiting_.front()));
            waiting_.pop_front();
        }
    }
    in_flight_entries_ += batch.entries.size();
    in_flight_.push_back(batch);
    return batch;
}

std::optional<std::size_t> Outbox::ack(std::uint64_t ref) {
    auto it = std::find_if(in_flight_.begin(), in_flight_.end(),
                           [&](const Batch& b) { return b.ref == ref; });
    if (it == in_flight_.end()) return std::nullopt;
    const std::size_t n = it->entries.size();
    in_flight_entries_ -= n;
    in_flight_.erase(it);
    return n;
}

void Outbox::connection_lost() {
    // Whatever was in flight left before anything still waiting to be resent: it goes first.
    for (auto& b : in_flight_) {
        b.resend = true;
        resend_entries_ += b.entries.size();
    }
    resend_.insert(resend_.begin(), std::make_move_iterator(in_flight_.begin()),
                   std::make_move_iterator(in_flight_.end()));
    in_flight_.clear();
    in_flight_entries_ = 0;
}

}  // namespace smartlog::client
