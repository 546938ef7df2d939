#include "cluster/redis_bus.hpp"

#include <boost/asio/post.hpp>

#include <cstdlib>
#include <utility>

#include "cluster/bus_message.hpp"
#include "cluster/redis_functions.hpp"
#include "core/cluster_id.hpp"
#include "core/errc.hpp"

namespace smartlog::cluster {

namespace net = boost::asio;

namespace {

std::vector<std::string> addresses_of(const std::vector<RedisUrl>& servers) {
    std::vector<std::string> out;
    for (const RedisUrl& url : servers) out.push_back(url.address());
    return out;
}

constexpr std::chrono::seconds kRetryDelay{1};
constexpr std::chrono::milliseconds kLoadingRetry{100};
constexpr std::chrono::seconds kHeartbeat{1};
constexpr std::uint64_t kPositionCheckEvery = 5;  // heartbeats

// The id of the last of `count` entries smartlog_append answered {epoch, first offset, time}
// for (the ids decode_batch gives); empty when the reply is not that.
std::string last_appended_id(const std::string& app, std::size_t count, const RedisReply& reply) {
    // A retried batch's answer has a 4th element; its ids are those of the first append.
    if (reply.elements.size() < 3 || count == 0) return {};
    const std::string& epoch = reply.elements[0].str;
    const std::uint64_t first = static_cast<std::uint64_t>(reply.elements[1].integer);
    const std::int64_t time_ms = reply.elements[2].integer;
    return core::make_cluster_id({time_ms, first + count - 1, core::epoch_tag(app, epoch)});
}

}  // namespace

RedisBus::RedisBus(net::io_context& ioc, Options options)
    : ioc_(ioc),
      options_(std::move(options)),
      ring_(addresses_of(options_.servers)),
      retry_timer_(ioc),
      heartbeat_(ioc) {
    shards_.resize(options_.servers.size());
    for (std::size_t i = 0; i < shards_.size(); ++i) {
        RedisConnection::Options c = options_.connection;
        c.url = options_.servers[i];
        c.client_name = "smartlog:" + options_.node_id + ":commands";
        shards_[i].commands = std::make_unique<RedisConnection>(ioc_, c);
        c.client_name = "smartlog:" + options_.node_id + ":bus";
        shards_[i].subscriber = std::make_unique<RedisConnection>(ioc_, c);
        shards_[i].load_timer = std::make_unique<net::steady_timer>(ioc_);

        Shard& s = shards_[i];
        s.commands->on_ready([this, i] { on_commands_ready(i); });
        s.commands->on_down([this, i](const std::string& reason) {
            shards_[i].library_loaded = false;
            log("redis " + reason + "; reconnecting");
        });
        s.subscriber->on_ready([this, i] { on_subscriber_ready(i); });
        s.subscriber->on_push([this, i](RedisReply push) { on_push(i, std::move(push)); });
        s.subscriber->on_down([this, i](const std::string& reason) {
            shards_[i].subscribed = false;
            log("redis bus " + reason + "; reconnecting");
            // Messages may be lost until the subscription is back: every app of this server
            // reads its stream again then (resume_feeds). A read in flight could miss them.
            for (auto& [app, feed] : feeds_) {
                if (feed.shard != i) continue;
                feed.state = FeedState::waiting;
                feed.read_id = 0;
                feed.held.clear();
                feed.held_bytes = 0;
            }
        });
    }
}

RedisBus::~RedisBus() { stop(); }

void RedisBus::start() {
    for (Shard& s : shards_) {
        s.commands->start();
        s.subscriber->start();
    }
    arm_heartbeat();
}

void RedisBus::stop() {
    if (stopped_) return;
    stopped_ = true;
    retry_timer_.cancel();
    heartbeat_.cancel();
    for (Shard& s : shards_) {
        s.load_timer->cancel();
        s.commands->stop();
        s.subscriber->stop();
    }
}

void RedisBus::log(const std::string& line) const {
    if (options_.log) options_.log(line);
}

void RedisBus::on_commands_ready(std::size_t shard) {
    shards_[shard].commands->command(
        {"FUNCTION", "LOAD", "REPLACE", function_library()},
        [this, shard](std::error_code ec, RedisReply reply) {
            if (ec) return;  // the connection failed; its next on_ready loads again
            Shard& s = shards_[shard];
            if (reply.is_error() && reply.str.rfind("LOADING", 0) == 0) {
                // A restarted Redis answers so until it has read its data back: ask again.
                s.problem = s.commands->address() + ": loading its data";
                s.load_timer->expires_after(kLoadingRetry);
                s.load_timer->async_wait([this, shard](boost::system::error_code ec) {
                    const Shard& s = shards_[shard];
                    if (!ec && !stopped_ && s.commands->ready() && !s.library_loaded)
                        on_commands_ready(shard);
                });
                return;
            }
            if (reply.is_error()) {
                s.problem = s.commands->address() + ": FUNCTION LOAD failed (Redis 7 needed): " +
                            reply.str;
                log(s.problem);
                return;
            }
            // Nothing is appended or read before the run id is known: appends record it, and
            // the feeds compare it with the one their position was read under.
            s.commands->command({"INFO", "server"}, [this, shard](std::error_code ec,
                                                                  RedisReply reply) {
                if (ec) return;
                Shard& s = shards_[shard];
                const std::string_view info = reply.str;
                const auto at = info.find("run_id:");
                if (reply.is_error() || at == std::string_view::npos) {
                    s.problem = s.commands->address() + ": INFO server gave no run_id: " +
                                reply.str.substr(0, 200);
                    log(s.problem);
                    return;
                }
                const auto start = at + 7;
                const auto end = info.find_first_of("\r\n", start);
                std::string run_id(info.substr(start, end == std::string_view::npos
                                                          ? std::string_view::npos
                                                          : end - start));
                if (!s.run_id.empty() && s.run_id != run_id) {
                    log("redis " + s.commands->address() +
                        ": a new run id (restarted or failed over): checking every app");
                }
                s.run_id = std::move(run_id);
                s.library_loaded = true;
                s.problem.clear();
                resume_feeds(shard);
            });
        });
}

void RedisBus::on_subscriber_ready(std::size_t shard) {
    shards_[shard].subscriber->command(
        {"SUBSCRIBE", kBusChannel}, [this, shard](std::error_code ec, RedisReply reply) {
            if (ec) return;
            if (reply.is_error()) {
                shards_[shard].problem = "SUBSCRIBE failed: " + reply.str;
                log(shards_[shard].problem);
                return;
            }
            shards_[shard].subscribed = true;
            resume_feeds(shard);
        });
}

void RedisBus::resume_feeds(std::size_t shard) {
    if (stopped_ || !shard_usable(shards_[shard])) return;
    for (auto& [app, feed] : feeds_) {
        if (feed.shard != shard || feed.state == FeedState::reading) continue;
        // A live feed reads too: the connections were down, messages may have been missed.
        catch_up(app, feed);
    }
}

void RedisBus::catch_up(const std::string& app, Feed& feed) {
    const Shard& s = shards_[feed.shard];
    if (feed.filled && !feed.epoch.empty() && !feed.run.empty() && feed.run != s.run_id) {
        return verify(app, feed);
    }
    read(app, feed, read_from(feed));
}

void RedisBus::verify(const std::string& app, Feed& feed) {
    // Held like a read: bus messages wait until the read that follows.
    feed.state = FeedState::reading;
    const std::uint64_t id = next_read_id_++;
    feed.read_id = id;
    const std::string top = std::to_string(feed.next - 1);
    const std::string meta = meta_key(app), stream = stream_key(app);
    Shard& s = shards_[feed.shard];
    s.commands->command(
        {"FCALL", "smartlog_verify", "2", meta, stream, feed.epoch, top, s.run_id},
        [this, app, id](std::error_code ec, RedisReply reply) {
            auto it = feeds_.find(app);
            if (stopped_ || it == feeds_.end() || it->second.read_id != id) return;
            Feed& f = it->second;
            if (ec || reply.type != RedisReply::Type::array || reply.elements.size() != 2) {
                if (!ec) log("redis: checking app " + app + " failed: " + reply.str);
                f.state = FeedState::waiting;
                arm_retry();
                return;
            }
            if (reply.elements[1].integer == 1) {
                log("redis: app " + app + " lost entries in Redis (up to offset " +
                    std::to_string(f.next - 1) + " were acknowledged): a new epoch");
            }
            f.run = shards_[f.shard].run_id;
            // A new epoch shows there as one this node did not see begin: the window resets.
            read(app, f, f.next);
        });
}

void RedisBus::arm_retry() {
    if (retry_armed_ || stopped_) return;
    retry_armed_ = true;
    retry_timer_.expires_after(kRetryDelay);
    retry_timer_.async_wait([this](boost::system::error_code ec) {
        retry_armed_ = false;
        if (ec || stopped_) return;
        for (std::size_t i = 0; i < shards_.size(); ++i) {
            if (!shard_usable(shards_[i])) continue;
            for (auto& [app, feed] : feeds_) {
                if (feed.shard == i && feed.state == FeedState::waiting) catch_up(app, feed);
            }
        }
    });
}

void RedisBus::arm_heartbeat() {
    heartbeat_.expires_after(kHeartbeat);
    heartbeat_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopped_) return;
        const auto ignore = [](std::error_code, RedisReply) {};
        for (Shard& s : shards_) {
            if (s.commands->ready()) s.commands->command({"PING"}, ignore);
            // Allowed while subscribed (RESP2 answers ["pong", ""]).
            if (s.subscribed && s.subscriber->ready()) s.subscriber->command({"PING"}, ignore);
        }
        if (++heartbeats_ % kPositionCheckEvery == 0) check_positions();
        arm_heartbeat();
    });
}

void RedisBus::check_positions() {
    for (auto& [app, feed] : feeds_) {
        if (feed.state != FeedState::live || !shard_usable(shards_[feed.shard])) continue;
        shards_[feed.shard].commands->command(
            {"HMGET", meta_key(app), "epoch", "top"},
            [this, app = app](std::error_code ec, RedisReply reply) {
                auto it = feeds_.find(app);
                if (ec || stopped_ || it == feeds_.end() || reply.elements.size() != 2) return;
                Feed& f = it->second;
                if (f.state != FeedState::live) return;
                const std::string epoch = reply.elements[0].is_nil() ? "" : reply.elements[0].str;
                const std::uint64_t top = reply.elements[1].is_nil()
                                              ? 0
                                              : std::strtoull(reply.elements[1].str.c_str(),
                                                              nullptr, 10);
                const bool behind = epoch != f.epoch || top >= f.next;
                if (!behind) {
                    f.behind_at = 0;
                } else if (f.behind_at != f.next) {
                    // Maybe only in flight on the bus: look again at the next check.
                    f.behind_at = f.next;
                } else {
                    f.behind_at = 0;
                    log("redis: app " + app + " was behind Redis with nothing arriving; reading "
                        "its stream");
                    read(app, f, f.next);
                }
            });
    }
}

void RedisBus::open(const std::string& app, std::string_view newest_kept_id) {
    auto [it, inserted] = feeds_.try_emplace(app);
    if (!inserted) return;
    Feed& feed = it->second;
    feed.shard = ring_.pick(app);
    if (const auto kept = core::parse_cluster_id(newest_kept_id)) {
        feed.kept_tag = kept->tag;
        feed.kept_next = kept->offset + 1;
    }
    if (shard_usable(shards_[feed.shard])) read(app, feed, read_from(feed));
}

void RedisBus::close(const std::string& app) { feeds_.erase(app); }

bool RedisBus::ready(const std::string& app) const {
    auto it = feeds_.find(app);
    // While Redis is out of reach (waiting) the window is what it is: served as it stands.
    return it != feeds_.end() && it->second.filled && it->second.state != FeedState::reading;
}

bool RedisBus::ahead(const std::string& app, std::string_view id) const {
    auto it = feeds_.find(app);
    if (it == feeds_.end() || it->second.epoch.empty()) return false;
    const auto parts = core::parse_cluster_id(id);
    return parts && parts->tag == it->second.tag && parts->offset >= it->second.next;
}

void RedisBus::read(const std::string& app, Feed& feed, std::uint64_t from) {
    feed.state = FeedState::reading;
    const std::uint64_t id = next_read_id_++;
    feed.read_id = id;
    const std::string from_text = std::to_string(from);
    const std::string limit_text = std::to_string(options_.history_limit);
    const std::string meta = meta_key(app), stream = stream_key(app);
    shards_[feed.shard].commands->command(
        {"FCALL", "smartlog_read", "2", meta, stream, from_text, limit_text},
        [this, app, id, from](std::error_code ec, RedisReply reply) {
            on_read(app, id, from, ec, reply);
        });
}

void RedisBus::on_read(const std::string& app, std::uint64_t read_id, std::uint64_t from,
                       std::error_code ec, const RedisReply& reply) {
    auto it = feeds_.find(app);
    if (stopped_ || it == feeds_.end() || it->second.read_id != read_id) return;
    Feed& feed = it->second;
    if (ec || reply.type != RedisReply::Type::array || reply.elements.size() < 2) {
        if (!ec) log("redis: reading app " + app + " failed: " + reply.str);
        feed.state = FeedState::waiting;
        arm_retry();
        return;
    }
    const std::string epoch = reply.elements[0].is_nil() ? std::string() : reply.elements[0].str;
    const std::uint64_t top = static_cast<std::uint64_t>(reply.elements[1].integer);
    const std::uint64_t window_start =
        top >= options_.history_limit ? top - options_.history_limit + 1 : 1;
    feed.run = shards_[feed.shard].run_id;
    bool live = true;
    if (!feed.filled && feed.kept_next > 0) {
        // This node restored a window from its storage, and this read began after its end.
        const std::uint32_t tag = core::epoch_tag(app, epoch);
        const std::uint64_t kept_next = std::exchange(feed.kept_next, 0);
        if (epoch.empty() || tag != feed.kept_tag) {
            // Cleared while this node was down, or Redis lost its data: another epoch.
            listener_->on_bus_reset(app);
        } else if (kept_next > top + 1) {
            // Redis went back within the epoch (a failover lost acknowledged appends): what
            // this node stored past Redis's top would take the offsets Redis gives next.
            listener_->on_bus_reset(app);
        } else if (kept_next < window_start) {
            // What came in between was trimmed from Redis: Redis's window instead.
            listener_->on_bus_window_lost(app);
        } else {
            feed.epoch = epoch;
            feed.tag = tag;
            feed.next = kept_next;
            feed.filled = true;
            live = false;
        }
    }
    bool reset = false;
    if (!feed.filled || epoch != feed.epoch) {
        // The first fill, or an epoch this node did not see begin (Redis lost its data, or a
        // clear's notice was missed): start over from what Redis keeps.
        // From no epoch (the app's first appends, met on the bus): nothing was there to lose or
        // to tell, and every entry of the new epoch is new to this node's viewers, so all the
        // stream keeps from `from` is delivered live (what it no longer keeps is `dropped`).
        const bool first_epoch = feed.filled && feed.epoch.empty();
        if (feed.filled && !first_epoch) {
            listener_->on_bus_reset(app);
            reset = true;
        }
        live = feed.filled;
        feed.epoch = epoch;
        feed.tag = core::epoch_tag(app, epoch);
        feed.next = first_epoch && from > 0 ? from : window_start;
        feed.last_id.clear();
    } else if (from > 0 && feed.next < from) {
        feed.next = from;
    }
    // Offsets of this epoch the stream no longer keeps, that this node was following: trimmed
    // before it could read them (it was stalled or cut off). Its viewers hear it before what
    // follows. After a first fill or a reset nothing was being followed: nothing is lost.
    std::uint64_t lost = 0;
    const auto trimmed = [&](std::uint64_t upto) {
        if (upto <= feed.next) return;
        if (feed.filled && !reset) {
            lost += upto - feed.next;
            listener_->on_bus_dropped(app, upto - feed.next, feed.last_id);
        }
        feed.next = upto;
    };
    for (std::size_t i = 2; i < reply.elements.size(); ++i) {
        const std::string& text = reply.elements[i].str;
        const auto m = parse_bus_message(text);
        if (!m || m->kind != 'B') continue;
        if (m->first + m->count <= feed.next) continue;
        trimmed(m->first);
        deliver(app, feed, text, live);
    }
    trimmed(top + 1);
    if (lost) log("redis: app " + app + ": " + std::to_string(lost) +
                  " entries were trimmed from its stream before this node could read them");
    feed.filled = true;
    feed.state = FeedState::live;
    auto held = std::move(feed.held);
    feed.held.clear();
    feed.held_bytes = 0;
    for (const std::string& text : held) apply(app, feed, text);
    if (feed.held_overflow && feed.state == FeedState::live) {
        feed.held_overflow = false;
        return read(app, feed, feed.next);
    }
    if (feed.state == FeedState::live) listener_->on_bus_ready(app);
}

void RedisBus::on_push(std::size_t shard, RedisReply push) {
    if (stopped_ || push.elements.size() != 3) return;
    const std::string& text = push.elements[2].str;
    const auto m = parse_bus_message(text);
    if (!m) return log("redis bus: a message that is not smartlog's was ignored");
    auto it = feeds_.find(m->app);
    if (it == feeds_.end() || it->second.shard != shard) return;  // an app not followed here
    if (m->kind == 'M') {
        // Not part of the app's order: for its viewers now, whatever state its window is in.
        const auto metrics = decode_app_metrics(*m);
        if (!metrics) return log("redis bus: damaged metrics of app " + it->first + " ignored");
        return listener_->on_bus_app_metrics(it->first, std::string(metrics->user_id),
                                             metrics->metrics, m->time_ms);
    }
    apply(it->first, it->second, text);
}

void RedisBus::apply(const std::string& app, Feed& feed, std::string_view text) {
    if (feed.state != FeedState::live) {
        if (feed.state == FeedState::waiting) return;  // the next read covers it
        if (feed.held_bytes + text.size() > options_.max_held_bytes) {
            feed.held_overflow = true;
            return;
        }
        feed.held.emplace_back(text);
        feed.held_bytes += text.size();
        return;
    }
    const auto m = parse_bus_message(text);
    if (!m) return;
    if (m->kind == 'C') {
        if (m->epoch == feed.epoch) return;  // a read already saw this clear
        feed.epoch = std::string(m->epoch);
        feed.tag = core::epoch_tag(app, feed.epoch);
        feed.next = std::max(feed.next, m->first);
        feed.last_id.clear();
        listener_->on_bus_cleared(app, std::string(m->body), m->time_ms, m->count);
        return;
    }
    // Another epoch: the read resets the window, or, after no epoch at all, takes everything.
    if (m->epoch != feed.epoch) return read(app, feed, feed.epoch.empty() ? feed.next : 0);
    if (m->first + m->count <= feed.next) return;              // seen already
    if (m->first > feed.next) {
        // A hole: some message was lost. Repair from the stream; this one follows the repair.
        feed.held.emplace_back(text);
        feed.held_bytes += text.size();
        return read(app, feed, feed.next);
    }
    deliver(app, feed, text, true);
}

void RedisBus::deliver(const std::string& app, Feed& feed, std::string_view text, bool live) {
    const auto m = parse_bus_message(text);
    if (!m) return;
    auto entries = decode_batch(*m, feed.next);
    const std::uint64_t end = m->first + m->count;
    feed.next = std::max(feed.next, end);
    if (!entries) {
        return log("redis bus: a damaged batch of app " + app + " was skipped (" +
                   std::to_string(m->count) + " entries)");
    }
    if (entries->entries.empty()) return;
    feed.last_id = entries->ids.back();
    listener_->on_bus_entries(app, std::move(*entries), live);
}

void RedisBus::append(const std::string& app, const std::string& user_id,
                      std::vector<protocol::IncomingEntry> entries, Appended done) {
    append_batch(app, user_id, nullptr, std::move(entries), std::move(done));
}

void RedisBus::append_once(const std::string& app, const std::string& user_id, RetryKey key,
                           std::vector<protocol::IncomingEntry> entries, Appended done) {
    append_batch(app, user_id, &key, std::move(entries), std::move(done));
}

void RedisBus::append_batch(const std::string& app, const std::string& user_id, const RetryKey* key,
                            std::vector<protocol::IncomingEntry> entries, Appended done) {
    if (entries.empty()) return net::post(ioc_, [done = std::move(done)] { done({}, {}); });
    const std::size_t shard = ring_.pick(app);
    if (!shard_usable(shards_[shard])) {
        return net::post(ioc_, [done = std::move(done)] {
            done(core::make_error_code(core::errc::unavailable), {});
        });
    }
    const std::string payload = encode_payload(user_id, entries);
    const std::string count = std::to_string(entries.size());
    // Keep a little more than the window: a batch that straddles its start stays whole.
    const std::size_t limit = options_.history_limit;
    const std::string keep = std::to_string(limit + std::max<std::size_t>(limit / 2, 256));
    const std::string meta = meta_key(app), stream = stream_key(app);
    // A named batch adds its retry key to the keys and how long to keep it to the arguments.
    std::string retry, window;
    if (key) {
        retry = retry_key(app, user_id, key->ref, key->digest);
        window = std::to_string(options_.retry_window.count());
    }
    std::vector<std::string_view> args{"FCALL", "smartlog_append", key ? "3" : "2", meta, stream};
    if (key) args.push_back(retry);
    args.insert(args.end(), {app, count, payload, keep, kBusChannel, shards_[shard].run_id});
    if (key) args.push_back(window);
    shards_[shard].commands->command(
        args, [this, app, n = entries.size(), done = std::move(done)](std::error_code ec,
                                                                      RedisReply reply) {
            if (!ec && reply.is_error()) {
                log("redis: append to app " + app + " refused: " + reply.str);
                ec = core::make_error_code(core::errc::unavailable);
            }
            if (ec) return done(ec, {});
            done({}, last_appended_id(app, n, reply));
        });
}

void RedisBus::clear(const std::string& app, const std::string& cleared_by, std::uint64_t count,
                     std::function<void(std::error_code)> done) {
    const std::size_t shard = ring_.pick(app);
    if (!shard_usable(shards_[shard])) {
        return net::post(ioc_, [done = std::move(done)] {
            done(core::make_error_code(core::errc::unavailable));
        });
    }
    const std::string count_text = std::to_string(count);
    const std::string meta = meta_key(app), stream = stream_key(app);
    shards_[shard].commands->command(
        {"FCALL", "smartlog_clear", "2", meta, stream, app, cleared_by, count_text, kBusChannel},
        [this, app, done = std::move(done)](std::error_code ec, RedisReply reply) {
            if (!ec && reply.is_error()) {
                log("redis: clear of app " + app + " refused: " + reply.str);
                ec = core::make_error_code(core::errc::unavailable);
            }
            done(ec);
        });
}

void RedisBus::publish_app_metrics(const std::string& app, const std::string& user_id,
                                   std::string_view metrics, std::int64_t timestamp,
                                   std::function<void(std::error_code)> done) {
    const std::size_t shard = ring_.pick(app);
    if (!shard_usable(shards_[shard])) {
        return net::post(ioc_, [done = std::move(done)] {
            done(core::make_error_code(core::errc::unavailable));
        });
    }
    const std::string message = encode_app_metrics(app, user_id, metrics, timestamp);
    shards_[shard].commands->command(
        {"PUBLISH", kBusChannel, message},
        [done = std::move(done)](std::error_code ec, RedisReply reply) {
            if (!ec && reply.is_error()) ec = core::make_error_code(core::errc::unavailable);
            done(ec);
        });
}

void RedisBus::share_connections(const std::string& app, std::uint64_t connections,
                                 std::function<void(std::optional<std::uint64_t>)> done) {
    const std::size_t shard = ring_.pick(app);
    if (!shard_usable(shards_[shard])) {
        return net::post(ioc_, [done = std::move(done)] { done(std::nullopt); });
    }
    const std::string key = connections_key(app);
    const std::string count = std::to_string(connections);
    const std::string ttl = std::to_string(options_.connections_ttl.count());
    shards_[shard].commands->command(
        {"FCALL", "smartlog_connections", "1", key, options_.node_id, count, ttl},
        [done = std::move(done)](std::error_code ec, RedisReply reply) {
            if (ec || reply.type != RedisReply::Type::integer || reply.integer < 0)
                return done(std::nullopt);
            done(static_cast<std::uint64_t>(reply.integer));
        });
}

bool RedisBus::available() const {
    for (const Shard& s : shards_) {
        if (!shard_usable(s)) return false;
    }
    return true;
}

std::string RedisBus::unavailable_reason() const {
    for (const Shard& s : shards_) {
        if (shard_usable(s)) continue;
        if (!s.problem.empty()) return s.problem;
        if (!s.commands->ready()) {
            const std::string& e = s.commands->last_error();
            return e.empty() ? s.commands->address() + ": connecting" : e;
        }
        if (!s.subscribed) {
            const std::string& e = s.subscriber->last_error();
            return e.empty() ? s.subscriber->address() + ": subscribing" : e;
        }
        return s.commands->address() + ": loading the function library";
    }
    return {};
}

}  // namespace smartlog::cluster
