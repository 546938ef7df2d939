// client/producer.hpp: a producer's side of the Client: entries from log() until the server
// acknowledges them, cut into batches and resent after a reconnect. Reasoning: docs/client.md.
//
// Thread rule: push(), request_flush(), wait_empty(), close() and the counters may be called
// from any thread (they take the producer's own mutex for a few instructions); the rest is for
// the network thread. The producer does no I/O: it says what to send and when to wake up, and
// the Client does the sending.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <smartlog/client.hpp>
#include <string>
#include <vector>

#include "client/outbox.hpp"

namespace smartlog::client {

class Producer {
public:
    struct Options {
        Outbox::Limits limits;
        std::size_t max_in_flight_batches = 16;
        OverflowPolicy overflow = OverflowPolicy::drop_newest;
        std::chrono::milliseconds block_timeout = std::chrono::milliseconds::max();
    };
    // REQUIRES: every limit > 0.
    explicit Producer(Options options);

    // What the network thread must be woken for after a push.
    enum class Wake {
        none,
        pump,       // a full batch waits: send it
        arm_timer,  // the first entry of a batch: send it at the latest after the batch delay
    };
    enum class Pushed { queued, dropped, too_large };
    struct PushResult {
        Pushed outcome = Pushed::queued;
        Wake wake = Wake::none;
    };
    // Queues one entry object (JSON text). Waits for room only with OverflowPolicy::block and
    // `may_block` (never on the network thread). Any thread.
    PushResult push(std::string entry_json, bool may_block);
    // The waiting entries leave at the next pump rather than at a bound. Any thread.
    void request_flush();
    // Blocks until nothing is left unacknowledged, the producer is closed or `timeout` passes.
    // True when nothing is left. Any thread.
    bool wait_empty(std::chrono::milliseconds timeout);
    // The client is closing: what waits leaves in partial batches and a blocked push() returns.
    void begin_close();
    // The client stopped: waits end. Any thread.
    void close();
    // True when entries wait for an ack and the client is not closing. Any thread.
    bool has_queue() const;
    // Fills the producer's counters of `stats`. Any thread.
    void fill(ClientStats& stats) const;

    // ---- network thread ----
    struct Pump {
        std::vector<std::shared_ptr<const std::string>> frames;  // `logs` requests, in order
        bool arm_timer = false;  // entries wait for the batch delay: arm the flush timer
    };
    // The batches the in-flight bound allows now (a batch to resend first), partial ones too when
    // a flush is due. Call only while authenticated.
    Pump pump();
    // The batch delay passed since the first waiting entry.
    void flush_timer_fired();
    // A connection authenticated: what waited during the disconnection leaves now.
    void connection_ready();
    // The connection dropped: what was in flight is resent, unchanged, first.
    void connection_lost();
    // logs_ack for `ref`: counts accepted and rejected entries and forgets the batch.
    void acknowledged(std::uint64_t ref, std::uint64_t accepted, std::size_t rejected);
    // The server refused batch `ref` as a whole: sending it again cannot help.
    void refused(std::uint64_t ref);
    // Entries dropped by push() since the last call (reported once per run of drops).
    std::uint64_t take_new_drops();

private:
    // When the waiting entries (a partial batch) may leave.
    enum class Flush {
        at_bounds,    // only a full batch leaves; no timer is armed
        timer_armed,  // the batch delay is running
        due,          // the delay passed or flush() was called: a partial batch leaves
    };
    // The client's life as the producer sees it.
    enum class Life { running, closing, closed };

    const Options options_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    Outbox outbox_;
    Flush flush_ = Flush::at_bounds;
    Life life_ = Life::running;
    bool pump_posted_ = false;  // a wake-up is queued already: log() posts no second one
    std::uint64_t drops_reported_ = 0;
    std::uint64_t sent_ = 0, acked_ = 0, rejected_ = 0, resent_ = 0;
};

}  // namespace smartlog::client
