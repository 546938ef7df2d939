// bench/flow.hpp: what producers and viewers of one run share, and the transport-independent
// half of each: the producer's window, pace and lag bound; the viewer's ordering checks and
// latency histogram. The smartlog and Redis targets add only the wire.
//
// Threads: each connection lives on one io_context thread; connections talk to each other
// only through the atomics in Flow and by posting wake-ups to a producer's executor.
#pragma once

#include <boost/asio.hpp>

#include <atomic>
#include <deque>
#include <exception>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "bench/histogram.hpp"
#include "bench/workload.hpp"

namespace smartlog::bench {

namespace net = boost::asio;

// Failures worth a line in the report; keeps the first few of each run.
class Problems {
public:
    void add(std::string what);
    std::uint64_t count() const;
    std::vector<std::string> first() const;

private:
    mutable std::mutex mutex_;
    std::vector<std::string> first_;
    std::uint64_t count_ = 0;
};

// The one line a coroutine's failure earns in the report: an Asio error's message (its what()
// would add a source location), or any other exception's what().
std::string describe_failure(std::exception_ptr e);

// Runs `coro` on `self`'s executor; a failure while `self` is not closing is reported to
// `problems` as "who: why".
template <class Self>
void spawn(Self self, net::awaitable<void> coro, Problems& problems, std::string who) {
    net::co_spawn(self->executor(), std::move(coro),
                  [self, &problems, who = std::move(who)](std::exception_ptr e) {
                      if (e && !self->closing) problems.add(who + ": " + describe_failure(e));
                  });
}

// What a producer's entries look like to a checker: per batch, the expected level and
// message of each entry (levels as the server must normalise them).
struct Expected {
    std::vector<std::vector<std::string>> level;    // [template][entry]
    std::vector<std::vector<std::string>> message;  // [template][entry]
};

struct FlowSettings {
    int producers = 1;
    int viewers = 0;
    int batch = 100;                  // entries per batch
    int window = 8;                   // unacknowledged batches per producer
    double entries_per_second = 0;    // total over producers; 0 = as fast as acks allow
    std::uint64_t max_batches = 0;    // per producer; 0 = until stopped
    std::uint64_t lag_limit = 16384;  // entries a producer may run ahead of its slowest viewer
    int sample_every = 64;            // viewers parse every n-th batch in full
    // smartlogd viewers ask for the app's (empty) history before they count as ready: a
    // cluster node delivers live entries only once it follows the app, and that answer waits
    // for it (docs/cluster.md).
    bool history_before_ready = false;
};

struct Flow {
    explicit Flow(const FlowSettings& s);

    FlowSettings settings;
    std::vector<Expected> expected;  // per producer

    std::atomic<bool> go{false};    // producers may start
    std::atomic<bool> stop{false};  // producers send no new batch
    std::atomic<int> ready{0};      // connections authenticated / subscribed
    std::atomic<int> producers_done{0};
    std::atomic<std::uint64_t> acked_entries{0};
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<std::uint64_t> last_ack_ns{0};
    std::atomic<std::uint64_t> last_delivery_ns{0};
    std::atomic<std::uint64_t> start_ns{0};

    std::vector<std::atomic<std::uint64_t>> sent;      // per producer: entries sent
    std::vector<std::atomic<std::uint64_t>> received;  // [viewer * producers + producer]
    std::vector<std::atomic<bool>> waiting;            // per producer: blocked on lag
    std::vector<std::function<void()>> wake;           // per producer: posts a wake-up

    Problems problems;

    void wake_all();
    std::uint64_t slowest_viewer(int producer) const;
};

// The sending half of a producer. Coroutine use: `while (auto* b = co_await next()) write(b)`.
class ProducerCore {
public:
    ProducerCore(Flow& flow, int index, std::vector<BatchTemplate> batches,
                 net::any_io_executor ex);

    // The next batch, patched with its sequence numbers, ref and send time; nullptr when this
    // producer has nothing more to send. Waits while the window is full, a viewer lags by
    // more than lag_limit, or the pace says not yet.
    net::awaitable<BatchTemplate*> next();
    // One acknowledgement, for the oldest outstanding batch: `accepted` entries of it.
    void on_ack(std::uint64_t accepted);
    void wake() { cv_.cancel(); }
    // Ends next() for good: the connection is going away.
    void close() {
        closed_ = true;
        cv_.cancel();
        pace_.cancel();
    }
    // Nothing left to send and nothing outstanding.
    bool finished() const { return done_sending_ && unacked_ == 0; }
    bool done_sending() const { return done_sending_; }
    std::uint64_t next_ref() const { return acked_batches_ + 1; }  // ref of the oldest outstanding
    std::uint64_t acked_entries() const { return acked_entries_; }
    std::uint64_t sent_entries() const { return sent_entries_; }
    std::uint64_t behind_schedule_max_ns() const { return behind_max_ns_; }
    const Histogram& ack_latency() const { return ack_latency_; }

private:
    Flow& flow_;
    int index_;
    std::vector<BatchTemplate> batches_;
    net::steady_timer cv_;  // a condition variable: waits forever, woken by cancel()
    net::steady_timer pace_;
    std::uint64_t sent_batches_ = 0;
    std::uint64_t sent_entries_ = 0;
    std::uint64_t acked_batches_ = 0;
    std::uint64_t acked_entries_ = 0;
    std::uint64_t unacked_ = 0;
    std::uint64_t behind_max_ns_ = 0;
    bool done_sending_ = false;
    bool closed_ = false;
    std::deque<std::uint64_t> send_times_;  // of outstanding batches, oldest first
    Histogram ack_latency_;
};

// The receiving half of a viewer: checks every entry's producer and sequence number.
class ViewerCore {
public:
    ViewerCore(Flow& flow, int index);

    // Counts and checks the entries of one received batch; `now` is its receipt time.
    // Returns the number of entries, or -1 for a malformed marker.
    long on_batch(std::string_view text, std::uint64_t now);
    // True when this batch should also be parsed in full.
    bool sample() {
        return (batches_++ % static_cast<std::uint64_t>(flow_.settings.sample_every)) == 0;
    }
    // Checks a fully parsed batch's entries against what their producers sent.
    void check_entry(const Mark& m, std::string_view level, std::string_view message);

    const Histogram& latency() const { return latency_; }
    std::uint64_t entries() const { return entries_; }
    std::uint64_t received_from(int producer) const {
        return next_seq_[static_cast<std::size_t>(producer)];
    }
    std::uint64_t duplicates = 0;  // seq lower than expected: seen again
    std::uint64_t gaps = 0;        // seq higher than expected: some skipped
    std::uint64_t unknown = 0;     // producer index out of range
    std::uint64_t checked = 0;     // entries compared field by field
    std::uint64_t mismatched = 0;  // entries whose level or message differ

private:
    Flow& flow_;
    int index_;
    std::vector<std::uint64_t> next_seq_;
    Histogram latency_;
    std::uint64_t entries_ = 0;
    std::uint64_t batches_ = 0;
};

}  // namespace smartlog::bench
