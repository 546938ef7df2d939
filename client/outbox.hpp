// client/outbox.hpp: a producer's entries from log() until the server acknowledges them.
// Not thread-safe: the Client guards it with its mutex. Reasoning: docs/client.md.
//
// An entry is in exactly one place: waiting (not yet in a batch), in flight (sent on the
// current connection, no logs_ack yet) or to resend (was in flight when a connection dropped).
// A batch keeps its entries and its ref from first send to ack, so a resend is the same batch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace smartlog::client {

struct Batch {
    std::uint64_t ref = 0;
    std::vector<std::string> entries;  // entry objects as JSON text
    std::size_t bytes = 0;
    bool resend = false;  // sent before on an earlier connection
};

class Outbox {
public:
    struct Limits {
        std::size_t max_entries = 100'000;  // waiting + in flight + to resend
        std::size_t batch_max_entries = 512;
        std::size_t batch_max_bytes = 256 * 1024;
    };
    explicit Outbox(Limits limits);  // REQUIRES: every limit > 0

    // Queues one entry. False when the queue holds max_entries already (counted in dropped()).
    bool push(std::string entry_json);
    bool full() const noexcept { return size() >= limits_.max_entries; }

    // True when a full batch is waiting (size or bytes bound reached).
    bool batch_ready() const noexcept;
    // The next batch to send, moved to in flight: a batch to resend first, else up to the
    // bounds of the waiting entries (only a full batch unless `partial`). nullopt: none.
    std::optional<Batch> next_batch(bool partial);
    // The server acknowledged `ref`: forgets that batch. Returns its entry count, or nullopt
    // for a ref not in flight (a late ack of a batch already resent cannot happen: refs are
    // acked on the connection that sent them).
    std::optional<std::size_t> ack(std::uint64_t ref);
    // The connection dropped: every batch in flight may or may not have been stored. They are
    // put back, oldest first, ahead of anything else, to be sent again unchanged.
    void connection_lost();

    std::size_t size() const noexcept {
        return waiting_.size() + in_flight_entries_ + resend_entries_;
    }
    std::size_t waiting() const noexcept { return waiting_.size(); }
    std::size_t in_flight_batches() const noexcept { return in_flight_.size(); }
    bool empty() const noexcept { return size() == 0; }
    std::uint64_t dropped() const noexcept { return dropped_; }

private:
    Limits limits_;
    std::deque<std::string> waiting_;
    std::size_t waiting_bytes_ = 0;
    std::deque<Batch> in_flight_;
    std::size_t in_flight_entries_ = 0;
    std::deque<Batch> resend_;
    std::size_t resend_entries_ = 0;
    std::uint64_t next_ref_ = 1;
    std::uint64_t dropped_ = 0;
};

}  // namespace smartlog::client
