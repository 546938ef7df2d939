#include "server/routes/logs_routes.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cctype>
#include <ctime>
#include <fmt/format.h>

#include "core/filter.hpp"
#include "core/level.hpp"
#include "protocol/entry_parser.hpp"
#include "protocol/limits.hpp"
#include "protocol/timestamp.hpp"
#include "server/ingest_limit.hpp"
#include "protocol/ingest_common.hpp"
#include "protocol/text_lines.hpp"
#include "server/ingest_pipeline.hpp"
#include "server/routes/http_request.hpp"

namespace smartlog::server::routes {

namespace json = boost::json;

namespace {

// The trigram index serves 3 characters or more; shorter would scan every entry of the app.
constexpr std::size_t kMinSearchChars = 3;

std::string app_of(const HttpRequest& req, const std::map<std::string, std::string>& params) {
    if (auto it = params.find("app"); it != params.end()) return it->second;
    auto h = req.find("X-Smartlog-App");
    return h == req.end() ? std::string() : std::string(h->value());
}

// What GET /api/v1/logs answers with: one JSON page, or a download of the page (`format`).
enum class PageFormat { json, ndjson, csv };

std::optional<PageFormat> page_format(std::string_view text) {
    if (text == "json") return PageFormat::json;
    if (text == "ndjson") return PageFormat::ndjson;
    if (text == "csv") return PageFormat::csv;
    return std::nullopt;
}

// "2024-05-01T12:00:00.123Z": a spreadsheet reads it as a time, unlike ms since the epoch.
std::string iso8601(std::int64_t ms) {
    const std::int64_t seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    const std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    if (!gmtime_r(&t, &tm)) return {};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                       ms - seconds * 1000);
}

bool is_ndjson(const HttpRequest& req) {
    auto it = req.find(http::field::content_type);
    if (it == req.end()) return false;
    const std::string_view type = it->value().substr(0, it->value().find(';'));
    return type == "application/x-ndjson" || type == "application/ndjson" ||
           type == "application/jsonl";
}

bool is_text(const HttpRequest& req) {
    auto it = req.find(http::field::content_type);
    if (it == req.end()) return false;
    std::string_view type = it->value().substr(0, it->value().find(';'));
    while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
    return type == "text/plain";
}

// A text/plain body that is a JSON array or {"logs": [...]} is read as JSON, as before text
// bodies were taken: fetch() labels a string body text/plain unless told otherwise.
bool json_in_text(std::string_view body, const protocol::Limits& limits) {
    const auto first = body.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || (body[first] != '[' && body[first] != '{')) return false;
    auto parsed = protocol::parse_entries(body, protocol::EntryLayout::ingest_body, limits);
    return parsed && parsed->entries_found;
}

}  // namespace

std::variant<protocol::LogsRequest, HttpResponse> decode_ingest_body(const HttpRequest& req,
                                                                     const protocol::Limits& limits,
                                                                     bool* as_text) {
    using protocol::EntryLayout;
    if (as_text) *as_text = false;
    if (is_text(req) && !json_in_text(req.body(), limits)) {
        // One entry per line, all of one level: `tail -F app.log | curl --data-binary @-`.
        if (as_text) *as_text = true;
        std::string level = "info";
        const auto params = query_params(req.target());
        if (auto it = params.find("level"); it != params.end() && !it->second.empty()) {
            auto normalized = core::normalize_level(it->second);
            if (!normalized || !protocol::valid_utf8(*normalized)) {
                return json_error(req, http::status::bad_request, "bad_request",
                                  "level must be a level name of at most 32 characters");
            }
            level = std::move(*normalized);
        }
        return protocol::decode_text_lines(req.body(), level, limits);
    }
    if (is_ndjson(req)) {
        // One entry per non-blank line; a line that is not JSON is refused alone.
        protocol::LogsRequest decoded;
        std::size_t index = 0;
        std::string_view rest = req.body();
        while (!rest.empty()) {
            const auto nl = rest.find('\n');
            std::string_view line = rest.substr(0, nl);
            rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
            if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
            auto parsed = protocol::parse_entries(line, EntryLayout::single_entry, limits,
                                                  {.first_index = index});
            if (!parsed) {
                decoded.rejected.push_back(
                    {index, "line is not valid JSON: " + parsed.error().message()});
            } else {
                for (auto& e : parsed->entries.accepted) decoded.accepted.push_back(std::move(e));
                for (auto& r : parsed->entries.rejected) decoded.rejected.push_back(std::move(r));
            }
            ++index;
        }
        return decoded;
    }
    auto parsed = protocol::parse_entries(req.body(), EntryLayout::ingest_body, limits);
    if (!parsed) {
        return json_error(req, http::status::bad_request, "bad_json",
                          "body is not valid JSON: " + parsed.error().message());
    }
    if (!parsed->entries_found) {
        return json_error(req, http::status::bad_request, "bad_request",
                          "body must be a JSON array of entries, {\"logs\": [...]}, or NDJSON "
                          "(Content-Type: application/x-ndjson)");
    }
    if (!parsed->refusal.empty()) {
        return parsed->refusal_too_large
                   ? json_error(req, http::status::payload_too_large, "too_large", parsed->refusal)
                   : json_error(req, http::status::bad_request, "bad_request", parsed->refusal);
    }
    return std::move(parsed->entries);
}

namespace {

std::string ack_json(std::size_t accepted, const std::vector<protocol::EntryRejection>& rejected) {
    json::array list;
    for (const auto& r : rejected)
        list.push_back(json::object{{"index", r.index}, {"message", r.message}});
    return json::serialize(json::object{{"accepted", accepted}, {"rejected", std::move(list)}});
}

std::string_view error_code(const IngestOutcome& outcome) {
    switch (outcome.status) {
        case IngestOutcome::Status::too_large: return "too_large";
        case IngestOutcome::Status::storage_full: return "storage_full";
        case IngestOutcome::Status::storage_error: return "storage_error";
        case IngestOutcome::Status::unavailable: return "unavailable";
        case IngestOutcome::Status::no_access: return "no_access";
        default: return "rate_limited";
    }
}

void post_logs(ServerContext& ctx, const HttpRequest& req, Router::Respond respond) {
    const auto params = query_params(req.target());
    auto who = authorize(ctx, req, app_of(req, params), Permission::write);
    if (auto* refusal = std::get_if<HttpResponse>(&who)) return respond(std::move(*refusal));
    // After authorisation: a token in the URL (?token=) is refused as no token at all, 401.
    if (auto refusal = refuse_unknown_params(req, params, {"app", "level"}))
        return respond(std::move(*refusal));
    const Caller& caller = std::get<Caller>(who);

    bool as_text = false;
    auto decoded = decode_ingest_body(req, ctx.limits, &as_text);
    if (auto* refusal = std::get_if<HttpResponse>(&decoded)) return respond(std::move(*refusal));
    const IngestFormat format = as_text          ? IngestFormat::plain
                                : is_ndjson(req) ? IngestFormat::ndjson
                                                 : IngestFormat::json;
    const IngestSource source{
        caller.app_id, caller.user_id,
        format == IngestFormat::plain ? IngestProtocol::text : IngestProtocol::native, format};
    ingest_entries(ctx, source, std::move(std::get<protocol::LogsRequest>(decoded)),
                   [&req, respond = std::move(respond)](IngestOutcome outcome) {
                       if (!outcome.stored()) {
                           auto res = json_error(req, http_status(outcome), error_code(outcome),
                                                 outcome.message);
                           set_retry_after(res, outcome);
                           return respond(std::move(res));
                       }
                       respond(json_ok(req, ack_json(outcome.accepted, outcome.rejected)));
                   });
}

std::optional<std::int64_t> parse_int(const std::string& text) {
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
    return v;
}

}  // namespace

std::variant<storage::Query, HttpResponse> parse_logs_query(
    const HttpRequest& req, const std::map<std::string, std::string>& params,
    const std::string& app_id) {
    auto bad = [&](std::string message) {
        return json_error(req, http::status::bad_request, "bad_request", message);
    };
    if (auto refusal = refuse_unknown_params(
            req, params, {"app", "level", "start", "end", "q", "limit", "before", "format"})) {
        return std::move(*refusal);
    }
    storage::Query q;
    q.app_id = app_id;
    q.limit = kDefaultQueryLimit;
    if (auto it = params.find("level"); it != params.end()) {
        std::string_view rest = it->second;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            std::string_view item = rest.substr(0, comma);
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
            while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
            while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
            if (item.empty()) continue;
            auto level = core::normalize_level(item);
            if (!level) return bad("level: a level is longer than 32 characters");
            auto& levels = q.filter.levels;
            if (std::find(levels.begin(), levels.end(), *level) != levels.end()) continue;
            // As for a WebSocket filter: the cap keeps this de-duplication linear.
            if (levels.size() == core::kMaxFilterLevels) {
                return bad(
                    fmt::format("level: more than {} distinct levels", core::kMaxFilterLevels));
            }
            levels.push_back(std::move(*level));
        }
    }
    core::Filter& filter = q.filter;
    for (auto [key, out] :
         {std::pair{"start", &filter.start_time}, std::pair{"end", &filter.end_time}}) {
        if (auto it = params.find(key); it != params.end()) {
            *out = parse_int(it->second);
            // Like every time field: ms, or ISO-8601 (a '+' offset must be sent as %2B).
            if (!*out) *out = protocol::parse_iso8601_ms(it->second);
            if (!*out) {
                return bad(std::string(key) +
                           " must be a whole number of ms since the epoch or an ISO-8601 time");
            }
        }
    }
    if (filter.start_time && filter.end_time && *filter.start_time > *filter.end_time)
        return bad("start is after end");
    if (auto it = params.find("q"); it != params.end()) {
        if (it->second.size() > core::kMaxSearchBytes) {
            return bad(fmt::format("q is longer than {} bytes", core::kMaxSearchBytes));
        }
        // Field terms (`status>=500`) filter on metadata; the rest is the substring.
        auto parsed = core::parse_search(it->second);
        if (auto* why = std::get_if<std::string>(&parsed)) return bad("q: " + *why);
        auto& query = std::get<core::SearchQuery>(parsed);
        // Characters, not bytes: UTF-8 continuation bytes do not start one.
        const auto chars = std::count_if(query.text.begin(), query.text.end(), [](char c) {
            return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        });
        if (chars > 0 && static_cast<std::size_t>(chars) < kMinSearchChars) {
            return bad(
                "q must be at least 3 characters: shorter text cannot use the search index and "
                "would "
                "scan every entry");
        }
        filter.search = std::move(query.text);
        filter.fields = std::move(query.fields);
    }
    if (auto it = params.find("limit"); it != params.end()) {
        auto n = parse_int(it->second);
        if (!n || *n < 1 || *n > static_cast<std::int64_t>(kMaxQueryLimit)) {
            return bad(fmt::format("limit must be a whole number from 1 to {}", kMaxQueryLimit));
        }
        q.limit = static_cast<std::size_t>(*n);
    }
    if (auto it = params.find("before"); it != params.end()) {
        if (it->second.empty() || it->second.size() > protocol::kMaxIdBytes)
            return bad("before must be an entry id");
        q.before_id = it->second;
    }
    if (auto it = params.find("format"); it != params.end() && !page_format(it->second)) {
        return bad("format must be json, ndjson or csv");
    }
    return q;
}

namespace {

std::string next_before(const storage::QueryResult& result) {
    return result.more && !result.entries.empty() ? std::string(result.entries.back()->id())
                                                  : std::string();
}

// One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
void append_csv_field(std::string& out, std::string_view field) {
    if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
        out += field;
        return;
    }
    out += '"';
    for (char c : field) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
}

// The page as a download: NDJSON (each line a LogEntry, as on the wire) or CSV with a header
// row; the next page's `before` goes in a header, since neither format has room for it.
std::string page_export(const storage::QueryResult& result, PageFormat format) {
    std::string out;
    if (format == PageFormat::csv)
        out = "timestamp,time,level,message,metadata,id,appId,userId\r\n";
    for (const core::EntryPtr& e : result.entries) {
        if (format == PageFormat::ndjson) {
            out += e->encoded();
            out += '\n';
            continue;
        }
        out += std::to_string(e->timestamp());
        out += ',';
        out += iso8601(e->timestamp());
        const std::string message = e->message();
        for (std::string_view field : {e->level(), std::string_view(message), e->metadata(),
                                       e->id(), e->app_id(), e->user_id()}) {
            out += ',';
            append_csv_field(out, field);
        }
        out += "\r\n";
    }
    return out;
}

std::string page_json(const storage::QueryResult& result) {
    std::string out = R"({"logs":[)";
    for (std::size_t i = 0; i < result.entries.size(); ++i) {
        if (i) out += ',';
        out += result.entries[i]->encoded();
    }
    out += R"(],"nextBefore":)";
    const std::string next = next_before(result);
    out += next.empty() ? std::string("null") : json::serialize(json::value(next));
    out += '}';
    return out;
}

// durability=memory keeps nothing on disk: the query reads the app's in-memory history.
storage::QueryResult query_history(const AppChannel* app, const storage::Query& q) {
    storage::QueryResult result;
    if (!app) return result;
    for (std::size_t i = app->history.size(); i-- > 0;) {
        const core::EntryPtr& e = app->history.at(i);
        // Ids compare in arrival order.
        if (q.before_id && e->id() >= *q.before_id) continue;
        if (!q.filter.matches(*e)) continue;
        if (result.entries.size() == q.limit) {
            result.more = true;
            break;
        }
        result.entries.push_back(e);
    }
    return result;
}

void get_logs(ServerContext& ctx, const HttpRequest& req, Router::Respond respond) {
    const auto params = query_params(req.target());
    const std::string app_id = app_of(req, params);
    auto who = authorize(ctx, req, app_id, Permission::read);
    if (auto* refusal = std::get_if<HttpResponse>(&who)) return respond(std::move(*refusal));
    auto parsed = parse_logs_query(req, params, app_id);
    if (auto* refusal = std::get_if<HttpResponse>(&parsed)) return respond(std::move(*refusal));
    storage::Query q = std::move(std::get<storage::Query>(parsed));
    const auto format_param = params.find("format");
    const PageFormat format =
        format_param == params.end() ? PageFormat::json : *page_format(format_param->second);
    // Built on whichever thread has the result; the response itself is made on the net thread.
    struct Page {
        std::string body;
        std::string next;
    };
    auto build = [format](const storage::QueryResult& result) {
        return Page{format == PageFormat::json ? page_json(result) : page_export(result, format),
                    next_before(result)};
    };
    auto answer = [&req, format, app_id](Page page) {
        if (format == PageFormat::json) return json_ok(req, std::move(page.body));
        const bool csv = format == PageFormat::csv;
        auto res = text_response(req, http::status::ok,
                                 csv ? "text/csv; charset=utf-8" : "application/x-ndjson",
                                 std::move(page.body));
        // The app id is the caller's own text: only safe characters go into the file name.
        std::string name;
        for (char c : app_id)
            name += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
        res.set(http::field::content_disposition,
                fmt::format("attachment; filename=\"{}-logs.{}\"", name.substr(0, 64),
                            csv ? "csv" : "ndjson"));
        if (!page.next.empty()) res.set("X-Smartlog-Next-Before", page.next);
        return res;
    };

    if (ctx.settings.durability == Durability::memory) {
        return respond(answer(build(query_history(ctx.hub.find(app_id), q))));
    }
    net::io_context& ioc = ctx.ioc;
    ctx.hub.store().query(std::move(q), [&ioc, &req, build, answer, respond = std::move(respond)](
                                            std::error_code ec,
                                            storage::QueryResult result) mutable {
        // On the storage thread: build the body here, answer on the net thread.
        std::optional<Page> page;
        if (!ec) page = build(result);
        net::post(ioc, [&req, ec, answer, page = std::move(page),
                        respond = std::move(respond)]() mutable {
            if (ec == std::errc::timed_out) {
                // Retrying the same query will likely time out again: say what to change.
                return respond(json_error(
                    req, http::status::service_unavailable, "query_timeout",
                    "the query ran longer than query_timeout: narrow it with start and end, "
                    "a level, or a longer q"));
            }
            if (ec == std::errc::invalid_argument) {
                return respond(json_error(req, http::status::bad_request, "bad_request",
                                          "q must be at least 3 characters"));
            }
            if (ec) {
                return respond(json_error(req, http::status::service_unavailable, "storage_error",
                                          "the query failed: " + ec.message()));
            }
            respond(answer(std::move(*page)));
        });
    });
}

void delete_logs(ServerContext& ctx, const HttpRequest& req, Router::Respond respond) {
    const auto params = query_params(req.target());
    auto who = authorize(ctx, req, app_of(req, params), Permission::clear);
    if (auto* refusal = std::get_if<HttpResponse>(&who)) return respond(std::move(*refusal));
    if (auto refusal = refuse_unknown_params(req, params, {"app"}))
        return respond(std::move(*refusal));
    const Caller& caller = std::get<Caller>(who);
    AppChannel* opened = ctx.hub.open_channel(caller.app_id, app_cap(ctx));
    if (!opened)
        return respond(
            json_error(req, http::status::forbidden, "no_access", too_many_apps_message(ctx)));
    AppChannel& app = *opened;
    ctx.hub.clear(
        app, caller.user_id,
        [&req, app_id = caller.app_id, respond = std::move(respond)](std::error_code ec,
                                                                     std::size_t count) {
            if (ec) {
                return respond(json_error(req, http::status::service_unavailable, "storage_error",
                                          "clear failed: " + ec.message()));
            }
            respond(
                json_ok(req, json::serialize(json::object{{"appId", app_id}, {"cleared", count}})));
        });
}

}  // namespace

void add_logs_routes(Router& router, ServerContext& ctx) {
    router.add_async(http::verb::post, "/api/v1/logs",
                     [&ctx](const HttpRequest& req, Router::Respond respond) {
                         post_logs(ctx, req, std::move(respond));
                     });
    router.add_async(http::verb::get, "/api/v1/logs",
                     [&ctx](const HttpRequest& req, Router::Respond respond) {
                         get_logs(ctx, req, std::move(respond));
                     });
    router.add_async(http::verb::delete_, "/api/v1/logs",
                     [&ctx](const HttpRequest& req, Router::Respond respond) {
                         delete_logs(ctx, req, std::move(respond));
                     });
}

}  // namespace smartlog::server::routes
