// bench/smartlog_target.cpp: producers, viewers and idle clients speaking docs/protocol.md
// to smartlogd. Each connection runs on one io_context thread.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include <string.h>

#include <algorithm>

#include "bench/sample_parse.hpp"
#include "bench/targets.hpp"
#include "bench/ws_client.hpp"

namespace smartlog::bench {
namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = net::ip::tcp;
using Ws = websocket::stream<beast::tcp_stream>;

constexpr std::string_view kApp = "a";
constexpr std::string_view kProducerUser = "producer";

std::string auth_frame(std::string_view user, std::string_view app, std::string_view mode) {
    return fmt::format(R"({{"type":"auth","data":{{"userId":"{}","appId":"{}","mode":"{}"}}}})",
                       user, app, mode);
}

std::string_view as_view(const beast::flat_buffer& b) {
    return {static_cast<const char*>(b.data().data()), b.data().size()};
}

// The value of the first `"type":"..."`: the frame's own type, as entries carry no `type`.
std::string_view frame_type(std::string_view text) {
    static constexpr std::string_view kKey = "\"type\":\"";
    const void* hit = ::memmem(text.data(), text.size(), kKey.data(), kKey.size());
    if (hit == nullptr) return {};
    const auto begin =
        static_cast<std::size_t>(static_cast<const char*>(hit) - text.data()) + kKey.size();
    const auto end = text.find('"', begin);
    return end == std::string_view::npos ? std::string_view{} : text.substr(begin, end - begin);
}

std::string shorten(std::string_view text, std::size_t n = 300) {
    return std::string(text.substr(0, n)) + (text.size() > n ? "..." : "");
}

// Reads frames until the answer to an `auth`. A viewer may be sent other frames (metrics)
// before it; a few are allowed.
net::awaitable<void> await_auth_success(Ws& ws, beast::flat_buffer& buf) {
    for (int i = 0; i < 16; ++i) {
        buf.clear();
        co_await ws.async_read(buf, net::use_awaitable);
        const auto type = frame_type(as_view(buf));
        if (type == "auth_success") co_return;
        if (type == "auth_error" || type == "error")
            throw std::runtime_error("auth refused: " + shorten(as_view(buf)));
    }
    throw std::runtime_error("no auth_success among the first 16 frames");
}

// Connects from a spread of loopback source addresses, upgrades, authenticates.
net::awaitable<void> open_ws(Ws& ws, Endpoint ep, int index, std::string auth,
                             beast::flat_buffer& buf) {
    auto& sock = beast::get_lowest_layer(ws).socket();
    sock.open(tcp::v4());
    sock.bind(tcp::endpoint(source_address(index), 0));
    co_await sock.async_connect(tcp::endpoint(ep.address, ep.port), net::use_awaitable);
    sock.set_option(tcp::no_delay(true));
    ws.set_option(websocket::stream_base::timeout{std::chrono::seconds(15),
                                                  websocket::stream_base::none(), false});
    ws.read_message_max(std::size_t{256} << 20);
    // One frame per message, as the seed's Node client (ws) and smartlog's own client send
    // them; Beast's default would cut a 30 KB batch into eight 4 KiB frames.
    ws.auto_fragment(false);
    co_await ws.async_handshake(fmt::format("127.0.0.1:{}", ep.port), "/", net::use_awaitable);
    ws.text(true);
    co_await ws.async_write(net::buffer(auth), net::use_awaitable);
    co_await await_auth_success(ws, buf);
}

class SmartlogProducer final : public ProducerConn,
                               public std::enable_shared_from_this<SmartlogProducer> {
public:
    SmartlogProducer(net::io_context& io, Flow& flow, int index, Endpoint ep,
                     std::vector<BatchTemplate> batches)
        : ws_(io), flow_(flow), index_(index), ep_(ep) {
        core = std::make_unique<ProducerCore>(flow, index, std::move(batches), io.get_executor());
    }

    void start() {
        auto self = shared_from_this();
        spawn(self, run(self), flow_.problems, fmt::format("smartlog producer {}", index_));
    }

    net::any_io_executor executor() override { return ws_.get_executor(); }

    void shutdown() override {
        closing = true;
        core->close();
        beast::get_lowest_layer(ws_).close();
    }

    bool closing = false;

private:
    net::awaitable<void> run(std::shared_ptr<SmartlogProducer> self) {
        co_await open_ws(ws_, ep_, index_, auth_frame(kProducerUser, kApp, "producer"), rbuf_);
        flow_.ready.fetch_add(1);
        spawn(self, write_loop(self), flow_.problems,
              fmt::format("smartlog producer {} write", index_));
        for (;;) {
            rbuf_.clear();
            co_await ws_.async_read(rbuf_, net::use_awaitable);
            on_frame(as_view(rbuf_));
        }
    }

    net::awaitable<void> write_loop(std::shared_ptr<SmartlogProducer>) {
        while (auto* batch = co_await core->next())
            co_await ws_.async_write(net::buffer(batch->bytes), net::use_awaitable);
    }

    void on_frame(std::string_view text) {
        boost::system::error_code ec;
        const auto v = json::parse(text, ec);
        const auto* obj = ec ? nullptr : v.if_object();
        const auto* type = obj ? obj->if_contains("type") : nullptr;
        const auto* payload = obj ? obj->if_contains("payload") : nullptr;
        if (!type || !type->is_string() || !payload || !payload->is_object()) {
            flow_.problems.add(
                fmt::format("producer {}: unexpected frame {}", index_, shorten(text)));
            return;
        }
        const auto& p = payload->get_object();
        if (type->get_string() == "logs_ack") {
            const auto expected_ref = fmt::format("{:0{}}", core->next_ref(), kRefWidth);
            const auto* ref = p.if_contains("ref");
            const auto* accepted = p.if_contains("accepted");
            const auto* rejected = p.if_contains("rejected");
            if (!ref || !ref->is_string() || ref->get_string() != expected_ref || !accepted ||
                !accepted->is_number() || !rejected || !rejected->is_array() ||
                !rejected->get_array().empty() ||
                accepted->to_number<std::uint64_t>() !=
                    static_cast<std::uint64_t>(flow_.settings.batch)) {
                flow_.problems.add(fmt::format("producer {}: ack for ref {} was {}", index_,
                                               expected_ref, shorten(text)));
            }
            core->on_ack(accepted && accepted->is_number() ? accepted->to_number<std::uint64_t>()
                                                           : 0);
            return;
        }
        flow_.problems.add(fmt::format("producer {}: unexpected {}", index_, shorten(text)));
        // An error that names a batch stands in for its ack, so the window keeps moving.
        if (type->get_string() == "error" && p.if_contains("ref")) core->on_ack(0);
    }

    Ws ws_;
    beast::flat_buffer rbuf_;
    Flow& flow_;
    int index_;
    Endpoint ep_;
};

class SmartlogViewer final : public ViewerConn,
                             public std::enable_shared_from_this<SmartlogViewer> {
public:
    SmartlogViewer(net::io_context& io, Flow& flow, int index, Endpoint ep)
        : ws_(io.get_executor()), flow_(flow), index_(index), ep_(ep) {
        core = std::make_unique<ViewerCore>(flow, index);
    }

    void start() {
        auto self = shared_from_this();
        spawn(self, run(self), flow_.problems, fmt::format("smartlog viewer {}", index_));
    }

    net::any_io_executor executor() override { return ws_.executor(); }
    void shutdown() override {
        closing = true;
        ws_.close();
    }

    bool closing = false;

private:
    // The viewers carry the fan-out's whole receive load, so they use WsClient (one large
    // read buffer, a UTF-8 check that stays fast on non-ASCII text), not Beast.
    net::awaitable<void> run(std::shared_ptr<SmartlogViewer>) {
        co_await ws_.connect(source_address(100000 + index_), tcp::endpoint(ep_.address, ep_.port));
        co_await ws_.write_text(auth_frame(fmt::format("viewer{}", index_), kApp, "viewer"));
        // As await_auth_success: other frames (metrics) may come first; a few are allowed.
        for (int i = 0;; ++i) {
            if (i == 16) throw std::runtime_error("no auth_success among the first 16 frames");
            const auto text = (co_await ws_.read()).data;
            const auto type = frame_type(text);
            if (type == "auth_success") break;
            if (type == "auth_error" || type == "error")
                throw std::runtime_error("auth refused: " + shorten(text));
        }
        if (flow_.settings.history_before_ready) {
            co_await ws_.write_text(R"({"type":"request_history","limit":1})");
            for (int i = 0;; ++i) {
                if (i == 16) throw std::runtime_error("no history answer among 16 frames");
                const auto text = (co_await ws_.read()).data;
                const auto type = frame_type(text);
                if (type == "logs" && text.find("\"history\":true") != std::string_view::npos)
                    break;
                if (type == "error") throw std::runtime_error("history refused: " + shorten(text));
            }
        }
        flow_.ready.fetch_add(1);
        for (;;) {
            const auto message = co_await ws_.read();
            const auto now = ws_.last_read_ns();
            const auto text = message.data;
            const auto type = frame_type(text);
            if (!message.text) {
                ++other_frames;
                flow_.problems.add(
                    fmt::format("viewer {}: a binary message {}", index_, shorten(text)));
            } else if (type == "logs") {
                const long n = core->on_batch(text, now);
                if (n >= 0 && core->sample()) check_in_full(text, n);
            } else if (type == "dropped") {
                ++dropped_notices;
                flow_.problems.add(fmt::format("viewer {}: {}", index_, shorten(text)));
            } else if (type == "metrics" || type == "app_metrics") {
                ++other_frames;
            } else {
                ++other_frames;
                flow_.problems.add(fmt::format("viewer {}: unexpected {}", index_, shorten(text)));
            }
        }
    }

    // The marker scan counts entries; this checks that they are whole LogEntry objects
    // (docs/protocol.md) carrying what the producer sent.
    void check_in_full(std::string_view text, long marks) {
        ++sampled_batches;
        auto fail = [&](std::string_view why) {
            flow_.problems.add(fmt::format("viewer {}: {} in {}", index_, why, shorten(text)));
        };
        const auto* v = sample_parser_.parse(text);
        if (!v || !v->is_object()) return fail("not a JSON object");
        const auto& o = v->get_object();
        if (o.contains("history")) return fail("a live batch marked history");
        const auto* payload = o.if_contains("payload");
        if (!payload || !payload->is_array()) return fail("no payload array");
        const auto& entries = payload->get_array();
        if (static_cast<long>(entries.size()) != marks)
            return fail("entry count differs from markers");
        ids_.clear();
        for (const auto& ev : entries) {
            const auto* e = ev.if_object();
            if (!e) return fail("an entry that is not an object");
            const auto* id = e->if_contains("id");
            const auto* ts = e->if_contains("timestamp");
            const auto* level = e->if_contains("level");
            const auto* message = e->if_contains("message");
            const auto* metadata = e->if_contains("metadata");
            const auto* app = e->if_contains("appId");
            const auto* user = e->if_contains("userId");
            if (!id || !id->is_string() || id->get_string().empty())
                return fail("entry without string id");
            ids_.push_back(id->get_string());
            if (!ts || !ts->is_number()) return fail("entry without numeric timestamp");
            if (!level || !level->is_string()) return fail("entry without level");
            if (!message || !message->is_string()) return fail("entry without message");
            if (!app || !app->is_string() || app->get_string() != kApp) return fail("wrong appId");
            if (!user || !user->is_string() || user->get_string() != kProducerUser)
                return fail("wrong userId");
            const auto* bench = metadata && metadata->is_object()
                                    ? metadata->get_object().if_contains("bench")
                                    : nullptr;
            if (!bench || !bench->is_array() || bench->get_array().size() != 3)
                return fail("metadata lost its bench marker");
            const auto& b = bench->get_array();
            Mark m{static_cast<std::uint32_t>(b[0].to_number<std::uint64_t>()),
                   b[1].to_number<std::uint64_t>(), b[2].to_number<std::uint64_t>()};
            core->check_entry(m, level->get_string(), message->get_string());
        }
        std::sort(ids_.begin(), ids_.end());
        if (std::adjacent_find(ids_.begin(), ids_.end()) != ids_.end()) return fail("duplicate id");
    }

    WsClient ws_;
    SampleParser sample_parser_;
    std::vector<std::string_view> ids_;  // of the sampled batch, to find one given twice
    Flow& flow_;
    int index_;
    Endpoint ep_;
};

class SmartlogIdle final : public Connection, public std::enable_shared_from_this<SmartlogIdle> {
public:
    SmartlogIdle(net::io_context& io, IdleResult& result, int index, int apps, Endpoint ep)
        : ws_(io), result_(result), index_(index), apps_(apps), ep_(ep) {}

    void start() {
        auto self = shared_from_this();
        net::co_spawn(executor(), run(self), [self](std::exception_ptr e) {
            if (!e || self->closing) return;
            self->result_.failed.fetch_add(1);
            self->result_.problems.add(
                fmt::format("idle {}: {}", self->index_, describe_failure(e)));
        });
    }

    net::any_io_executor executor() override { return ws_.get_executor(); }
    void shutdown() override {
        closing = true;
        beast::get_lowest_layer(ws_).close();
    }
    bool closing = false;

private:
    net::awaitable<void> run(std::shared_ptr<SmartlogIdle>) {
        co_await open_ws(ws_, ep_, index_,
                         auth_frame(fmt::format("idle{}", index_),
                                    fmt::format("app{}", index_ % apps_), "viewer"),
                         rbuf_);
        result_.ready.fetch_add(1);
        // Keep a read pending so pings are answered and metrics drained; keep nothing.
        for (;;) {
            rbuf_.clear();
            co_await ws_.async_read(rbuf_, net::use_awaitable);
            rbuf_.shrink_to_fit();
        }
    }

    Ws ws_;
    beast::flat_buffer rbuf_;
    IdleResult& result_;
    int index_;
    int apps_;
    Endpoint ep_;
};

bool is_history_answer(std::string_view text) {
    return frame_type(text) == "logs" && (text.find("\"history\":true") != std::string_view::npos ||
                                          text.find("\"history\": true") != std::string_view::npos);
}

// docs/protocol.md "history meets live exactly": right after the producer's last ack, the first
// answer plus the live batches that follow it must hold every entry once. Live batches are
// collected until the answer to a ping sent 100 ms later.
net::awaitable<void> probe_history_meets_live(Ws& ws, beast::flat_buffer& buf,
                                              const std::string& request, int entries,
                                              HistoryResult& result) {
    co_await ws.async_write(net::buffer(request), net::use_awaitable);
    std::vector<int> seen(static_cast<std::size_t>(entries));
    long in_answer = -1, live = 0, live_batches = 0;
    auto count = [&](std::string_view text) {
        return scan_marks(text, [&](const Mark& m) {
            if (m.seq < seen.size()) ++seen[m.seq];
        });
    };
    while (in_answer < 0) {
        buf.clear();
        co_await ws.async_read(buf, net::use_awaitable);
        const auto text = as_view(buf);
        if (is_history_answer(text)) {
            in_answer = count(text);
        } else if (frame_type(text) == "logs") {
            live += count(text);
            ++live_batches;
        }
    }
    net::steady_timer wait(ws.get_executor(), std::chrono::milliseconds(100));
    co_await wait.async_wait(net::use_awaitable);
    co_await ws.async_write(net::buffer(std::string_view(R"({"type":"ping"})")),
                            net::use_awaitable);
    for (;;) {
        buf.clear();
        co_await ws.async_read(buf, net::use_awaitable);
        const auto text = as_view(buf);
        if (frame_type(text) == "pong") break;
        if (frame_type(text) == "logs" && !is_history_answer(text)) {
            live += count(text);
            ++live_batches;
        }
    }
    const auto missing = std::count(seen.begin(), seen.end(), 0);
    const auto twice = std::count_if(seen.begin(), seen.end(), [](int n) { return n > 1; });
    result.probe = fmt::format(
        "first answer right after the last ack: {} entries; then {} live entries in {} batches; "
        "{} of {} entries never arrived, {} arrived twice",
        in_answer, live, live_batches, missing, entries, twice);
    if (missing > 0 || twice > 0) result.problems.add("history meets live: " + result.probe);
}

class SmartlogTarget final : public Target {
public:
    std::string name() const override { return "smartlogd"; }

    std::shared_ptr<ProducerConn> producer(net::io_context& io, Flow& flow, int index, Endpoint ep,
                                           const std::vector<BatchTemplate>& batches) override {
        auto p = std::make_shared<SmartlogProducer>(io, flow, index, ep, batches);
        p->start();
        return p;
    }

    std::shared_ptr<ViewerConn> viewer(net::io_context& io, Flow& flow, int index,
                                       Endpoint ep) override {
        auto v = std::make_shared<SmartlogViewer>(io, flow, index, ep);
        v->start();
        return v;
    }

    std::shared_ptr<Connection> idle(net::io_context& io, IdleResult& result, int index, int apps,
                                     Endpoint ep) override {
        auto c = std::make_shared<SmartlogIdle>(io, result, index, apps, ep);
        c->start();
        return c;
    }

    net::awaitable<void> history(Endpoint ep, HistorySettings settings,
                                 const std::vector<BatchTemplate>& batches,
                                 HistoryResult& result) override {
        auto ex = co_await net::this_coro::executor;
        const std::string app = "history";
        beast::flat_buffer buf;
        {
            Ws producer(ex);
            co_await open_ws(producer, ep, 1, auth_frame(kProducerUser, app, "producer"), buf);
            auto templates = batches;
            std::uint64_t seq = 0, ref = 0;
            while (seq < static_cast<std::uint64_t>(settings.entries)) {
                auto& t = templates[ref % templates.size()];
                patch(t, seq, now_ns(), ++ref);
                co_await producer.async_write(net::buffer(t.bytes), net::use_awaitable);
                buf.clear();
                co_await producer.async_read(buf, net::use_awaitable);
                if (frame_type(as_view(buf)) != "logs_ack")
                    result.problems.add("history fill: " + shorten(as_view(buf)));
                seq += t.seq_pos.size();
            }
            beast::get_lowest_layer(producer).close();
        }
        Ws viewer(ex);
        co_await open_ws(viewer, ep, 2, auth_frame("historian", app, "viewer"), buf);
        const std::string request = R"({"type":"request_history"})";
        co_await probe_history_meets_live(viewer, buf, request, settings.entries, result);
        const auto start = now_ns();
        for (int r = 0; r < settings.requests &&
                        static_cast<double>(now_ns() - start) < settings.max_seconds * 1e9;
             ++r) {
            const auto t0 = now_ns();
            co_await viewer.async_write(net::buffer(request), net::use_awaitable);
            for (;;) {
                buf.clear();
                co_await viewer.async_read(buf, net::use_awaitable);
                const auto text = as_view(buf);
                if (is_history_answer(text)) break;
                if (frame_type(text) != "metrics")
                    result.problems.add("history: unexpected " + shorten(text));
            }
            result.latency.record(now_ns() - t0);
            const auto text = as_view(buf);
            ++result.answers;
            result.answer_bytes += text.size();
            std::uint64_t expected = 0;
            bool in_order = true;
            const long n = scan_marks(text, [&](const Mark& m) {
                in_order = in_order && m.seq == expected;
                ++expected;
            });
            result.entries += n > 0 ? static_cast<std::uint64_t>(n) : 0;
            if (n != settings.entries || !in_order) {
                result.problems.add(fmt::format("history answer {} held {} entries{} ({} expected)",
                                                r, n, in_order ? "" : " out of order",
                                                settings.entries));
            }
        }
        result.seconds = static_cast<double>(now_ns() - start) / 1e9;
        beast::get_lowest_layer(viewer).close();
    }
};

// Authenticates `ws` again, as `user` of `app`: the server moves the connection to that app.
net::awaitable<void> reauth(Ws& ws, beast::flat_buffer& buf, std::string_view user,
                            std::string_view app, std::string_view mode) {
    co_await ws.async_write(net::buffer(auth_frame(user, app, mode)), net::use_awaitable);
    co_await await_auth_success(ws, buf);
}

std::string restart_app(int k) { return fmt::format("restart{}", k); }

}  // namespace

net::awaitable<void> smartlog_fill_apps(Endpoint ep, RestartSettings settings, int filler,
                                        std::vector<BatchTemplate> batches, Problems& problems,
                                        std::atomic<std::uint64_t>& acked) {
    auto ex = co_await net::this_coro::executor;
    beast::flat_buffer buf;
    Ws ws(ex);
    bool open = false;
    std::uint64_t ref = 0;
    for (int k = filler; k < settings.apps; k += settings.fillers) {
        if (!open) {
            co_await open_ws(ws, ep, filler, auth_frame(kProducerUser, restart_app(k), "producer"),
                             buf);
            open = true;
        } else {
            co_await reauth(ws, buf, kProducerUser, restart_app(k), "producer");
        }
        // Every batch of the app is sent before the first ack is read: the server reads one
        // frame at a time, and with durability=sync each ack means the batch is committed.
        int sent = 0, entries = 0;
        for (std::uint64_t seq = 0; seq < static_cast<std::uint64_t>(settings.per_app); ++sent) {
            auto& t = batches[ref % batches.size()];
            patch(t, seq, now_ns(), ++ref);
            co_await ws.async_write(net::buffer(t.bytes), net::use_awaitable);
            seq += t.seq_pos.size();
            entries = static_cast<int>(t.seq_pos.size());
        }
        const auto whole = fmt::format("\"accepted\":{},", entries);
        for (int i = 0; i < sent; ++i) {
            buf.clear();
            co_await ws.async_read(buf, net::use_awaitable);
            const auto text = as_view(buf);
            if (frame_type(text) != "logs_ack" || text.find(whole) == std::string_view::npos ||
                text.find("\"rejected\":[]") == std::string_view::npos) {
                problems.add(fmt::format("restart fill of {}: {}", restart_app(k), shorten(text)));
                continue;
            }
            acked.fetch_add(static_cast<std::uint64_t>(entries));
        }
    }
    if (open) beast::get_lowest_layer(ws).close();
}

net::awaitable<void> smartlog_check_apps(Endpoint ep, RestartSettings settings, Problems& problems,
                                         std::uint64_t& entries,
                                         std::function<void()> first_answer) {
    auto ex = co_await net::this_coro::executor;
    beast::flat_buffer buf;
    Ws ws(ex);
    const int checks = std::max(1, std::min(settings.checked_apps, settings.apps));
    const std::string request =
        fmt::format(R"({{"type":"request_history","limit":{}}})", settings.per_app);
    for (int i = 0; i < checks; ++i) {
        // The first app, the last, and an even spread between them.
        const int k =
            checks == 1
                ? 0
                : static_cast<int>(static_cast<long>(i) * (settings.apps - 1) / (checks - 1));
        if (i == 0) {
            co_await open_ws(ws, ep, 0, auth_frame("restart-checker", restart_app(k), "viewer"),
                             buf);
        } else {
            co_await reauth(ws, buf, "restart-checker", restart_app(k), "viewer");
        }
        co_await ws.async_write(net::buffer(request), net::use_awaitable);
        for (;;) {
            buf.clear();
            co_await ws.async_read(buf, net::use_awaitable);
            if (is_history_answer(as_view(buf))) break;
        }
        if (i == 0 && first_answer) first_answer();
        std::uint64_t expected = 0;
        bool in_order = true;
        const long n = scan_marks(as_view(buf), [&](const Mark& m) {
            in_order = in_order && m.seq == expected;
            ++expected;
        });
        if (n > 0) entries += static_cast<std::uint64_t>(n);
        if (n != settings.per_app || !in_order) {
            problems.add(
                fmt::format("after the restart, the history of {} held {} entries{} ({} expected)",
                            restart_app(k), n, in_order ? "" : " out of order", settings.per_app));
        }
    }
    beast::get_lowest_layer(ws).close();
}

net::ip::address_v4 source_address(int connection_index, int per_address) {
    return net::ip::address_v4(0x7f000001u +
                               static_cast<std::uint32_t>(connection_index / per_address));
}

std::unique_ptr<Target> make_smartlog_target() { return std::make_unique<SmartlogTarget>(); }

}  // namespace smartlog::bench
