// cluster/redis_bus.hpp: the Bus on one or more independent Redis 7 servers (docs/cluster.md).
// Apps are spread over the servers by consistent hashing (cluster/hash_ring.hpp). Per server:
// one connection for commands (the Function library, appends, clears, reads) and one subscribed
// to the bus channel. Per app this node follows: an epoch and the next offset expected; a
// message with an older offset is dropped, one beyond it is a hole, repaired from the app's
// stream before anything after it is delivered. Net thread only.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cluster/bus.hpp"
#include "cluster/hash_ring.hpp"
#include "cluster/redis_connection.hpp"
#include "cluster/redis_url.hpp"

namespace smartlog::cluster {

class RedisBus final : public Bus {
public:
    struct Options {
        std::vector<RedisUrl> servers;  // REQUIRES: not empty
        std::string node_id;            // names this node's connections (CLIENT LIST)
        std::size_t history_limit = 1000;
        // Messages held per app while its window is filled or repaired; past it they are
        // dropped and read again from the stream.
        std::size_t max_held_bytes = 16u << 20;
        // How long Redis remembers a batch its producer named (append_once).
        std::chrono::milliseconds retry_window{60000};
        // How long a node's connection count stands without being published again
        // (share_connections): a few metrics intervals.
        std::chrono::milliseconds connections_ttl{15000};
        RedisConnection::Options connection;  // url and client_name are set per server
        // Where problems go (connection lost, a damaged message): one line each.
        std::function<void(const std::string&)> log;
    };

    RedisBus(boost::asio::io_context& ioc, Options options);
    ~RedisBus() override;

    // Connects to every server. Call once, after set_listener().
    void start();

    void set_listener(BusListener* listener) override { listener_ = listener; }
    void open(const std::string& app, std::string_view newest_kept_id = {}) override;
    void close(const std::string& app) override;
    bool ready(const std::string& app) const override;
    bool ahead(const std::string& app, std::string_view id) const override;
    void append(const std::string& app, const std::string& user_id,
                std::vector<protocol::IncomingEntry> entries, Appended done) override;
    void append_once(const std::string& app, const std::string& user_id, RetryKey key,
                     std::vector<protocol::IncomingEntry> entries, Appended done) override;
    void clear(const std::string& app, const std::string& cleared_by, std::uint64_t count,
               std::function<void(std::error_code)> done) override;
    void publish_app_metrics(const std::string& app, const std::string& user_id,
                             std::string_view metrics, std::int64_t timestamp,
                             std::function<void(std::error_code)> done) override;
    void share_connections(const std::string& app, std::uint64_t connections,
                           std::function<void(std::optional<std::uint64_t>)> done) override;
    bool available() const override;
    std::string unavailable_reason() const override;
    void stop() override;

private:
    struct Shard {
        std::unique_ptr<RedisConnection> commands;
        std::unique_ptr<RedisConnection> subscriber;
        std::unique_ptr<boost::asio::steady_timer> load_timer;  // Redis was loading: ask again
        bool library_loaded = false;  // and run_id read: appends may go
        bool subscribed = false;
        // This server's run id (INFO server), read at each connection: a new one means Redis
        // restarted or failed over, and may have lost what it had acknowledged.
        std::string run_id;
        std::string problem;  // why it is not usable, when it is not
    };
    enum class FeedState { waiting, reading, live };
    struct Feed {
        std::size_t shard = 0;
        FeedState state = FeedState::waiting;
        bool filled = false;        // the first fill is done: ready() unless a repair is due
        std::string epoch;          // empty: not known yet (or the app was never written)
        std::string run;            // the server's run id when this position was read
        std::string last_id;        // the id of the newest entry delivered; empty: none yet
        std::uint32_t tag = 0;      // core::epoch_tag(app, epoch)
        std::uint64_t next = 1;     // the offset expected next
        std::uint64_t read_id = 0;  // the read in flight; older replies are stale
        std::vector<std::string> held;  // messages that came while reading, in order
        std::size_t held_bytes = 0;
        bool held_overflow = false;  // some were dropped: read again after this read
        // The next offset when a position check last found Redis ahead of this node: found so
        // twice in a row, the app's newest message was lost and its stream is read.
        std::uint64_t behind_at = 0;
        // Before the first fill: where this node's stored window ends (open()'s
        // newest_kept_id); 0 when it has none.
        std::uint32_t kept_tag = 0;
        std::uint64_t kept_next = 0;
    };

    bool shard_usable(const Shard& s) const noexcept {
        return s.commands->ready() && s.library_loaded && s.subscribed;
    }
    void on_commands_ready(std::size_t shard);
    void on_subscriber_ready(std::size_t shard);
    void resume_feeds(std::size_t shard);
    // Brings a feed that is not reading in step: a read from where it stands, or first, when the
    // server's run id changed since, a check that Redis did not lose what this node saw (verify).
    void catch_up(const std::string& app, Feed& feed);
    // Runs smartlog_verify for the feed's epoch and position, then reads from its next offset.
    void verify(const std::string& app, Feed& feed);
    void on_push(std::size_t shard, RedisReply push);
    // Where the next read of `feed` begins: after what it has, or after what this node restored
    // (0: the window's tail).
    static std::uint64_t read_from(const Feed& feed) noexcept {
        return feed.filled ? feed.next : feed.kept_next;
    }
    // append() and append_once(): `key` null when the producer did not name the batch.
    void append_batch(const std::string& app, const std::string& user_id, const RetryKey* key,
                      std::vector<protocol::IncomingEntry> entries, Appended done);
    // Reads the app's batches from offset `from` (0: the window's tail) to bring `feed` in step.
    void read(const std::string& app, Feed& feed, std::uint64_t from);
    void on_read(const std::string& app, std::uint64_t read_id, std::uint64_t from,
                 std::error_code ec, const RedisReply& reply);
    void apply(const std::string& app, Feed& feed, std::string_view text);
    void deliver(const std::string& app, Feed& feed, std::string_view text, bool live);
    void log(const std::string& line) const;
    void arm_retry();
    // Every second: a PING on each connection (the watchdog then notices a server that stopped
    // answering) and, every few seconds, a check of each app's position against Redis.
    void arm_heartbeat();
    void check_positions();

    boost::asio::io_context& ioc_;
    Options options_;
    HashRing ring_;
    std::vector<Shard> shards_;
    std::map<std::string, Feed, std::less<>> feeds_;
    BusListener* listener_ = nullptr;
    std::uint64_t next_read_id_ = 1;
    boost::asio::steady_timer retry_timer_;  // feeds whose read failed try again
    bool retry_armed_ = false;
    boost::asio::steady_timer heartbeat_;
    std::uint64_t heartbeats_ = 0;
    bool stopped_ = false;
};

}  // namespace smartlog::cluster
