// bench/redis_target.cpp: the reference. The same batch bytes go through a local
// redis-server: PUBLISH per batch (its integer reply is the ack), SUBSCRIBE per viewer,
// RPUSH + LRANGE for history. hiredis encodes the commands and parses the replies; Asio
// does the I/O, on the same threads and loop as the smartlog clients. Also what the Redis of a
// cluster run holds (read_redis_holding), read with hiredis' blocking calls.
#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstdlib>

#include "bench/sample_parse.hpp"
#include "bench/targets.hpp"

namespace smartlog::bench {
namespace {

namespace json = boost::json;
using tcp = net::ip::tcp;

constexpr std::string_view kChannel = "a";

struct ReplyDeleter {
    void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

std::string format_command(const std::vector<std::string_view>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (auto a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    char* cmd = nullptr;
    const int n =
        redisFormatCommandArgv(&cmd, static_cast<int>(argv.size()), argv.data(), lens.data());
    if (n < 0 || cmd == nullptr) throw std::runtime_error("redisFormatCommandArgv failed");
    std::string out(cmd, static_cast<std::size_t>(n));
    redisFreeCommand(cmd);
    return out;
}

// Not inline in the coroutines: GCC 12 cannot keep an initializer_list's array in a
// coroutine frame ("array used as initializer").
std::string command2(std::string_view a, std::string_view b) { return format_command({a, b}); }
std::string lrange_all(std::string_view key) { return format_command({"LRANGE", key, "0", "-1"}); }

std::string_view str(const redisReply* r) { return {r->str, r->len}; }

class Resp {
public:
    explicit Resp(net::any_io_executor ex)
        : sock_(ex), reader_(redisReaderCreate()), buf_(256 * 1024) {
        // Keep hiredis' buffer between replies instead of freeing it whenever it empties
        // above 16 KiB (its default maxbuf): a 30 KB message would reallocate it each time.
        reader_->maxbuf = 0;
    }
    ~Resp() { redisReaderFree(reader_); }

    net::awaitable<void> connect(Endpoint ep, int index) {
        sock_.open(tcp::v4());
        sock_.bind(tcp::endpoint(source_address(index), 0));
        co_await sock_.async_connect(tcp::endpoint(ep.address, ep.port), net::use_awaitable);
        sock_.set_option(tcp::no_delay(true));
    }

    net::awaitable<void> write(std::string_view bytes) {
        co_await net::async_write(sock_, net::buffer(bytes), net::use_awaitable);
    }

    // The next complete reply; *at gets the time the read that completed it returned.
    net::awaitable<Reply> reply(std::uint64_t* at = nullptr) {
        for (;;) {
            void* r = nullptr;
            if (redisReaderGetReply(reader_, &r) != REDIS_OK)
                throw std::runtime_error(std::string("RESP parse error: ") + reader_->errstr);
            if (r != nullptr) {
                if (at) *at = last_read_ns_;
                co_return Reply(static_cast<redisReply*>(r));
            }
            // hiredis moves the unparsed rest of its buffer to the front after every reply,
            // so a whole 256 KiB read fed at once is copied over and over (callgrind: memcpy
            // was a third of the generator's instructions with Redis at fan-out 10). Fed in
            // slices, each reply moves at most a slice.
            if (fed_ < read_) {
                const auto n = std::min(read_ - fed_, kFeedBytes);
                redisReaderFeed(reader_, buf_.data() + fed_, n);
                fed_ += n;
                continue;
            }
            read_ = co_await sock_.async_read_some(net::buffer(buf_), net::use_awaitable);
            fed_ = 0;
            last_read_ns_ = now_ns();
        }
    }

    void close() {
        boost::system::error_code ec;
        sock_.close(ec);
    }
    void shrink() { buf_ = std::vector<char>(512); }
    net::any_io_executor executor() { return sock_.get_executor(); }

private:
    tcp::socket sock_;
    redisReader* reader_;
    static constexpr std::size_t kFeedBytes = 16 * 1024;

    std::vector<char> buf_;
    std::size_t read_ = 0;  // bytes of buf_ the last socket read returned
    std::size_t fed_ = 0;   // of which hiredis has been given
    std::uint64_t last_read_ns_ = 0;
};

// PUBLISH commands carrying each template's bytes, offsets moved to match.
std::vector<BatchTemplate> as_publish(const std::vector<BatchTemplate>& batches) {
    std::vector<BatchTemplate> out;
    for (const auto& t : batches) {
        const auto cmd = format_command({"PUBLISH", kChannel, t.bytes});
        const auto prefix_len = cmd.size() - t.bytes.size() - 2;
        out.push_back(rebase(t, cmd.substr(0, prefix_len), "\r\n"));
    }
    return out;
}

class RedisProducer final : public ProducerConn,
                            public std::enable_shared_from_this<RedisProducer> {
public:
    RedisProducer(net::io_context& io, Flow& flow, int index, Endpoint ep,
                  const std::vector<BatchTemplate>& batches)
        : conn_(io.get_executor()), flow_(flow), index_(index), ep_(ep) {
        core = std::make_unique<ProducerCore>(flow, index, as_publish(batches), io.get_executor());
    }
    void start() {
        auto self = shared_from_this();
        spawn(self, run(self), flow_.problems, fmt::format("redis producer {}", index_));
    }
    net::any_io_executor executor() override { return conn_.executor(); }
    void shutdown() override {
        closing = true;
        core->close();
        conn_.close();
    }
    bool closing = false;

private:
    net::awaitable<void> run(std::shared_ptr<RedisProducer> self) {
        co_await conn_.connect(ep_, index_);
        flow_.ready.fetch_add(1);
        spawn(self, write_loop(self), flow_.problems,
              fmt::format("redis producer {} write", index_));
        for (;;) {
            auto r = co_await conn_.reply();
            // PUBLISH answers how many subscribers got the message: all viewers, or a loss.
            if (r->type != REDIS_REPLY_INTEGER || r->integer != flow_.settings.viewers) {
                flow_.problems.add(
                    fmt::format("redis producer {}: PUBLISH answered type {} value {}", index_,
                                r->type, r->integer));
            }
            core->on_ack(static_cast<std::uint64_t>(flow_.settings.batch));
        }
    }
    net::awaitable<void> write_loop(std::shared_ptr<RedisProducer>) {
        while (auto* batch = co_await core->next()) co_await conn_.write(batch->bytes);
    }

    Resp conn_;
    Flow& flow_;
    int index_;
    Endpoint ep_;
};

class RedisViewer final : public ViewerConn, public std::enable_shared_from_this<RedisViewer> {
public:
    RedisViewer(net::io_context& io, Flow& flow, int index, Endpoint ep)
        : conn_(io.get_executor()), flow_(flow), index_(index), ep_(ep) {
        core = std::make_unique<ViewerCore>(flow, index);
    }
    void start() {
        auto self = shared_from_this();
        spawn(self, run(self), flow_.problems, fmt::format("redis viewer {}", index_));
    }
    net::any_io_executor executor() override { return conn_.executor(); }
    void shutdown() override {
        closing = true;
        conn_.close();
    }
    bool closing = false;

private:
    net::awaitable<void> run(std::shared_ptr<RedisViewer>) {
        co_await conn_.connect(ep_, 100000 + index_);
        co_await conn_.write(command2("SUBSCRIBE", kChannel));
        auto sub = co_await conn_.reply();
        if (sub->type != REDIS_REPLY_ARRAY || sub->elements != 3 ||
            str(sub->element[0]) != "subscribe")
            throw std::runtime_error("SUBSCRIBE was not confirmed");
        flow_.ready.fetch_add(1);
        for (;;) {
            std::uint64_t at = 0;
            auto r = co_await conn_.reply(&at);
            if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
                str(r->element[0]) != "message" || r->element[2]->type != REDIS_REPLY_STRING) {
                ++other_frames;
                flow_.problems.add(
                    fmt::format("redis viewer {}: unexpected reply type {}", index_, r->type));
                continue;
            }
            const auto text = str(r->element[2]);
            const long n = core->on_batch(text, at);
            if (n >= 0 && core->sample()) check_in_full(text, n);
        }
    }

    void check_in_full(std::string_view text, long marks) {
        ++sampled_batches;
        const auto* v = sample_parser_.parse(text);
        const json::value* logs = nullptr;
        if (v && v->is_object()) {
            if (const auto* d = v->get_object().if_contains("data"); d && d->is_object())
                logs = d->get_object().if_contains("logs");
        }
        if (!logs || !logs->is_array() || static_cast<long>(logs->get_array().size()) != marks) {
            flow_.problems.add(
                fmt::format("redis viewer {}: a message that is not the batch sent", index_));
            return;
        }
        for (const auto& ev : logs->get_array()) {
            const auto& e = ev.get_object();
            const auto& b = e.at("metadata").at("bench").get_array();
            std::string level(e.at("level").get_string());
            if (level == "warning") level = "warn";
            core->check_entry({static_cast<std::uint32_t>(b[0].to_number<std::uint64_t>()),
                               b[1].to_number<std::uint64_t>(), b[2].to_number<std::uint64_t>()},
                              level, e.at("message").get_string());
        }
    }

    Resp conn_;
    Flow& flow_;
    int index_;
    Endpoint ep_;
    SampleParser sample_parser_;
};

class RedisIdle final : public Connection, public std::enable_shared_from_this<RedisIdle> {
public:
    RedisIdle(net::io_context& io, IdleResult& result, int index, int apps, Endpoint ep)
        : conn_(io.get_executor()), result_(result), index_(index), apps_(apps), ep_(ep) {}
    void start() {
        auto self = shared_from_this();
        net::co_spawn(executor(), run(self), [self](std::exception_ptr e) {
            if (!e || self->closing) return;
            self->result_.failed.fetch_add(1);
            self->result_.problems.add(
                fmt::format("redis idle {}: {}", self->index_, describe_failure(e)));
        });
    }
    net::any_io_executor executor() override { return conn_.executor(); }
    void shutdown() override {
        closing = true;
        conn_.close();
    }
    bool closing = false;

private:
    net::awaitable<void> run(std::shared_ptr<RedisIdle>) {
        conn_.shrink();
        co_await conn_.connect(ep_, index_);
        co_await conn_.write(command2("SUBSCRIBE", fmt::format("app{}", index_ % apps_)));
        auto sub = co_await conn_.reply();
        if (sub->type != REDIS_REPLY_ARRAY) throw std::runtime_error("SUBSCRIBE was not confirmed");
        result_.ready.fetch_add(1);
        for (;;) co_await conn_.reply();
    }

    Resp conn_;
    IdleResult& result_;
    int index_;
    int apps_;
    Endpoint ep_;
};

class RedisTarget final : public Target {
public:
    std::string name() const override { return "redis-server"; }

    std::shared_ptr<ProducerConn> producer(net::io_context& io, Flow& flow, int index, Endpoint ep,
                                           const std::vector<BatchTemplate>& batches) override {
        auto p = std::make_shared<RedisProducer>(io, flow, index, ep, batches);
        p->start();
        return p;
    }
    std::shared_ptr<ViewerConn> viewer(net::io_context& io, Flow& flow, int index,
                                       Endpoint ep) override {
        auto v = std::make_shared<RedisViewer>(io, flow, index, ep);
        v->start();
        return v;
    }
    std::shared_ptr<Connection> idle(net::io_context& io, IdleResult& result, int index, int apps,
                                     Endpoint ep) override {
        auto c = std::make_shared<RedisIdle>(io, result, index, apps, ep);
        c->start();
        return c;
    }

    // The reference for request_history: the same entries, one list element each, read
    // back whole with LRANGE.
    net::awaitable<void> history(Endpoint ep, HistorySettings settings,
                                 const std::vector<BatchTemplate>& batches,
                                 HistoryResult& result) override {
        auto ex = co_await net::this_coro::executor;
        Resp conn(ex);
        co_await conn.connect(ep, 1);
        const std::string key = "history";
        auto templates = batches;
        std::vector<std::string> entries;
        for (std::uint64_t seq = 0, ref = 0;
             entries.size() < static_cast<std::size_t>(settings.entries);) {
            auto& t = templates[ref % templates.size()];
            patch(t, seq, now_ns(), ++ref);
            for (auto [b, e] : t.entry_span) entries.push_back(t.bytes.substr(b, e - b));
            seq += t.seq_pos.size();
        }
        entries.resize(static_cast<std::size_t>(settings.entries));
        std::vector<std::string_view> args;
        args.push_back("RPUSH");
        args.push_back(key);
        for (const auto& e : entries) args.push_back(e);
        co_await conn.write(command2("DEL", key));
        co_await conn.reply();
        co_await conn.write(format_command(args));
        auto pushed = co_await conn.reply();
        if (pushed->type != REDIS_REPLY_INTEGER || pushed->integer != settings.entries)
            result.problems.add("RPUSH did not store every entry");
        const auto request = lrange_all(key);
        const auto start = now_ns();
        for (int r = 0; r < settings.requests &&
                        static_cast<double>(now_ns() - start) < settings.max_seconds * 1e9;
             ++r) {
            const auto t0 = now_ns();
            co_await conn.write(request);
            auto answer = co_await conn.reply();
            result.latency.record(now_ns() - t0);
            ++result.answers;
            std::uint64_t expected = 0;
            bool in_order = answer->type == REDIS_REPLY_ARRAY;
            long n = 0;
            for (std::size_t i = 0; in_order && i < answer->elements; ++i) {
                const auto text = str(answer->element[i]);
                result.answer_bytes += text.size();
                n += scan_marks(text, [&](const Mark& m) {
                    in_order = in_order && m.seq == expected;
                    ++expected;
                });
            }
            result.entries += static_cast<std::uint64_t>(n);
            if (n != settings.entries || !in_order)
                result.problems.add(fmt::format("LRANGE answer {} held {} entries", r, n));
        }
        result.seconds = static_cast<double>(now_ns() - start) / 1e9;
        conn.close();
    }
};

}  // namespace

std::unique_ptr<Target> make_redis_target() { return std::make_unique<RedisTarget>(); }

RedisHolding read_redis_holding(Endpoint ep, const std::string& app) {
    RedisHolding h;
    const timeval timeout{5, 0};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", ep.port, timeout);
    if (c == nullptr || c->err) {
        if (c) redisFree(c);
        return h;
    }
    // One command; its integer, its string, or nothing.
    auto run = [c](const std::vector<std::string>& args) {
        std::vector<const char*> argv;
        std::vector<std::size_t> lens;
        for (const auto& a : args) {
            argv.push_back(a.data());
            lens.push_back(a.size());
        }
        auto* r = static_cast<redisReply*>(
            redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
        std::pair<long long, std::string> out{-1, {}};
        if (r && r->type == REDIS_REPLY_INTEGER) out.first = r->integer;
        if (r && r->type == REDIS_REPLY_STRING) out.second.assign(r->str, r->len);
        // XRANGE ... COUNT 1: [[id, [field, value]]]; the id is what we want.
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
            r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements > 0 &&
            r->element[0]->element[0]->type == REDIS_REPLY_STRING) {
            out.second.assign(r->element[0]->element[0]->str, r->element[0]->element[0]->len);
        }
        if (r) freeReplyObject(r);
        return out;
    };
    const std::string stream = "smartlog:{" + app + "}:stream";
    const std::string meta = "smartlog:{" + app + "}:meta";
    const std::string info = run({"INFO", "memory"}).second;
    if (const auto at = info.find("used_memory:"); at != std::string::npos)
        h.used_memory = std::strtoull(info.c_str() + at + 12, nullptr, 10);
    h.keys = static_cast<std::uint64_t>(std::max(0LL, run({"DBSIZE"}).first));
    h.stream_bytes = static_cast<std::uint64_t>(
        std::max(0LL, run({"MEMORY", "USAGE", stream, "SAMPLES", "0"}).first));
    h.stream_batches = static_cast<std::uint64_t>(std::max(0LL, run({"XLEN", stream}).first));
    // One of the batches' retry keys (a producer's refs, kept 60 s), for what each costs.
    if (auto* r = static_cast<redisReply*>(
            redisCommand(c, "SCAN 0 MATCH smartlog:{%s}:ref:* COUNT 1000", app.c_str()))) {
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
            r->element[1]->type == REDIS_REPLY_ARRAY && r->element[1]->elements > 0) {
            const std::string key(r->element[1]->element[0]->str, r->element[1]->element[0]->len);
            h.retry_key_bytes =
                static_cast<std::uint64_t>(std::max(0LL, run({"MEMORY", "USAGE", key}).first));
        }
        freeReplyObject(r);
    }
    const std::string oldest = run({"XRANGE", stream, "-", "+", "COUNT", "1"}).second;
    const std::string top = run({"HGET", meta, "top"}).second;
    if (!oldest.empty() && !top.empty()) {
        const auto first = std::strtoull(oldest.c_str(), nullptr, 10);
        const auto last = std::strtoull(top.c_str(), nullptr, 10);
        if (last >= first) h.stream_entries = last - first + 1;
    }
    h.read = info.find("used_memory:") != std::string::npos;
    redisFree(c);
    return h;
}

}  // namespace smartlog::bench
