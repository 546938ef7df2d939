// bench/targets.hpp: the two servers a scenario drives, behind one interface.
// smartlog: WebSocket frames of docs/protocol.md. Redis: the same batch bytes through
// PUBLISH/SUBSCRIBE (and a list for history), spoken with hiredis' encoder and reader.
#pragma once

#include <boost/asio.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/flow.hpp"
#include "bench/histogram.hpp"
#include "bench/workload.hpp"

namespace smartlog::bench {

struct Endpoint {
    net::ip::address_v4 address = net::ip::address_v4::loopback();
    unsigned short port = 0;
};

// Source addresses 127.0.0.1, .2, ... so that many connections do not run out of ephemeral
// ports towards one destination (NOTES.md: about 28 k per destination address).
net::ip::address_v4 source_address(int connection_index, int per_address = 4000);

// One client connection. shutdown() runs on the connection's executor: it closes the socket
// so that every coroutine of the connection ends.
class Connection {
public:
    virtual ~Connection() = default;
    virtual void shutdown() = 0;
    virtual net::any_io_executor executor() = 0;
};

class ProducerConn : public Connection {
public:
    std::unique_ptr<ProducerCore> core;
};

class ViewerConn : public Connection {
public:
    std::unique_ptr<ViewerCore> core;
    std::uint64_t dropped_notices = 0;  // smartlog `dropped`: the server shed entries
    std::uint64_t other_frames = 0;     // metrics and the like
    std::uint64_t sampled_batches = 0;  // batches parsed in full
};

struct IdleResult {
    std::atomic<int> ready{0};
    std::atomic<int> failed{0};
    Problems problems;
};

struct HistorySettings {
    int entries = 1000;  // stored first, then asked for
    int requests = 300;  // bounded also by time
    double max_seconds = 5;
};

struct HistoryResult {
    Histogram latency;  // ns per request → complete answer
    std::uint64_t answers = 0;
    std::uint64_t entries = 0;
    std::uint64_t answer_bytes = 0;
    double seconds = 0;
    std::string probe;  // what the history-meets-live probe saw
    Problems problems;
};

struct RestartSettings {
    int apps = 1000;
    int per_app = 1000;     // stored per app; a multiple of the 100-entry batches
    int fillers = 8;        // producer connections storing at once
    int checked_apps = 25;  // apps whose history is read back after the restart
};

// smartlogd only (Redis keeps no per-app history to restore). Filler `filler` of
// settings.fillers stores settings.per_app entries, sequence numbers 0, 1, ... in each app
// "restart<k>" with k = filler, filler + fillers, ...: one connection that re-authenticates as
// the producer of each app in turn. Every batch must be acknowledged whole; `acked` counts.
net::awaitable<void> smartlog_fill_apps(Endpoint ep, RestartSettings settings, int filler,
                                        std::vector<BatchTemplate> batches, Problems& problems,
                                        std::atomic<std::uint64_t>& acked);
// Asks for the history of settings.checked_apps apps spread over all of them and checks that
// each holds its settings.per_app entries, oldest first, none missing. Counts the entries read;
// `first_answer` (may be empty) runs once the first app's whole answer is in.
net::awaitable<void> smartlog_check_apps(Endpoint ep, RestartSettings settings, Problems& problems,
                                         std::uint64_t& entries,
                                         std::function<void()> first_answer = {});

class Target {
public:
    virtual ~Target() = default;
    virtual std::string name() const = 0;

    virtual std::shared_ptr<ProducerConn> producer(net::io_context& io, Flow& flow, int index,
                                                   Endpoint ep,
                                                   const std::vector<BatchTemplate>& batches) = 0;
    virtual std::shared_ptr<ViewerConn> viewer(net::io_context& io, Flow& flow, int index,
                                               Endpoint ep) = 0;
    // An authenticated (subscribed) connection that then only listens.
    virtual std::shared_ptr<Connection> idle(net::io_context& io, IdleResult& result, int index,
                                             int apps, Endpoint ep) = 0;
    // Stores settings.entries entries in one app (list), then measures reading them back.
    virtual net::awaitable<void> history(Endpoint ep, HistorySettings settings,
                                         const std::vector<BatchTemplate>& batches,
                                         HistoryResult& result) = 0;
};

// What the Redis of a cluster run holds for app `app` (docs/cluster.md, "In Redis").
struct RedisHolding {
    bool read = false;
    std::uint64_t used_memory = 0;      // INFO memory: used_memory
    std::uint64_t keys = 0;             // DBSIZE (the app's meta and stream, retry keys, ...)
    std::uint64_t stream_bytes = 0;     // MEMORY USAGE of the app's stream
    std::uint64_t stream_batches = 0;   // XLEN: one stream entry per batch
    std::uint64_t stream_entries = 0;   // log entries those batches hold
    std::uint64_t retry_key_bytes = 0;  // MEMORY USAGE of one batch's retry key
};
// Reads it with hiredis; `read` stays false when Redis did not answer.
RedisHolding read_redis_holding(Endpoint ep, const std::string& app);

std::unique_ptr<Target> make_smartlog_target();
std::unique_ptr<Target> make_redis_target();

}  // namespace smartlog::bench
