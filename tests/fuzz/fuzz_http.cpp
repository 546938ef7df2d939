// libFuzzer target: a whole HTTP request, as bytes off the wire, through Beast's request_parser
// (with the limits HttpSession sets) and the Router with the HTTP API's routes, in process and
// without sockets: an in-memory server (durability = "memory") with users, so that only the
// declared apps ever get a channel and memory stays bounded across runs. Every parsed request
// gets exactly one answer, never a 5xx, and a JSON answer parses.
#include <boost/json/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "server/config.hpp"
#include "server/router.hpp"
#include "server/routes/health_routes.hpp"
#include "server/routes/logs_routes.hpp"
#include "server/routes/metrics_route.hpp"
#include "storage/memory_store.hpp"
#include "tests/fuzz/http_checks.hpp"
#include "tests/support/in_process_server.hpp"

using namespace smartlog;
using fuzz::check;
namespace http = server::http;
namespace net = server::net;

namespace {

// alice's token is "test".
constexpr std::string_view kToml = R"(
[server]
durability = "memory"
history_limit = 100
max_body_bytes = "64KiB"
[[apps]]
id = "shop"
[[apps]]
id = "old"
active = false
[[users]]
id = "alice"
token_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
apps = { shop = ["read", "write", "clear"], old = ["read"] }
[[users]]
id = "bob"
token_sha256 = "none"
apps = { shop = ["read"] }
)";

server::Config make_config() {
    server::Config config;
    server::apply_toml(config, kToml, "fuzz.toml");
    return config;
}

// The server's state in process, with the HTTP API's routes.
struct World : test_support::InProcessServer<storage::MemoryStore> {
    World() : InProcessServer(make_config()) {
        server::routes::add_health_routes(router, ctx);
        server::routes::add_metrics_route(router, ctx);
        server::routes::add_logs_routes(router, ctx);
    }
};

// The request in `input` as HttpSession would read it, or nothing when it would not be routed
// (malformed, incomplete, or over a limit: the session answers those itself or closes).
std::optional<server::HttpRequest> parse(std::string_view input, const server::Settings& settings) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(settings.max_body_bytes);
    parser.header_limit(16 * 1024);
    parser.eager(true);
    boost::beast::error_code ec;
    while (!parser.is_done()) {
        const std::size_t used = parser.put(net::buffer(input.data(), input.size()), ec);
        input.remove_prefix(used);
        if (ec && ec != http::error::need_more) return std::nullopt;
        ec = {};
        // No progress (put may consume nothing without saying need_more): the input is spent.
        if (used == 0) {
            parser.put_eof(ec);
            if (ec || !parser.is_done()) return std::nullopt;
        }
    }
    return parser.release();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static World world;
    auto req =
        parse(std::string_view(reinterpret_cast<const char*>(data), size), world.config.settings);
    if (!req) return 0;

    int answers = 0;
    std::optional<server::HttpResponse> answer;
    world.router.handle(*req, [&](server::HttpResponse res) {
        ++answers;
        answer = std::move(res);
    });
    // Answers that an asynchronous route posts back to the net thread.
    world.ioc.poll();
    world.ioc.restart();
    check(answers == 1);
    check(answer->result_int() >= 200 && answer->result_int() < 500);
    if ((*answer)[http::field::content_type] == "application/json") {
        boost::system::error_code ec;
        boost::json::parse(answer->body(), ec);
        check(!ec);
    }
    if (answer->result_int() >= 400) fuzz::check_error_response(*answer, {answer->result_int()});
    return 0;
}
