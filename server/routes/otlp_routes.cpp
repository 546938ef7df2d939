#include "server/routes/otlp_routes.hpp"

#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include "protocol/otlp_decoder.hpp"
#include "server/ingest_pipeline.hpp"
#include "server/routes/http_request.hpp"
#include "server/routes/request_body.hpp"

namespace smartlog::server::routes {

namespace {

// gRPC status codes of google.rpc.Status, which OTLP/HTTP error bodies carry.
int grpc_code(http::status status) {
    switch (status) {
        case http::status::bad_request: return 3;        // INVALID_ARGUMENT
        case http::status::unauthorized: return 16;      // UNAUTHENTICATED
        case http::status::forbidden: return 7;          // PERMISSION_DENIED
        case http::status::too_many_requests: return 8;  // RESOURCE_EXHAUSTED
        case http::status::payload_too_large: return 8;
        case http::status::insufficient_storage: return 8;
        case http::status::unsupported_media_type: return 3;
        default: return 14;  // UNAVAILABLE
    }
}

HttpResponse otlp_answer(const HttpRequest& req, bool proto, http::status status,
                         std::string body) {
    return text_response(req, status, proto ? "application/x-protobuf" : "application/json",
                         std::move(body));
}

HttpResponse otlp_error(const HttpRequest& req, bool proto, http::status status,
                        std::string_view message) {
    const int code = grpc_code(status);
    return otlp_answer(req, proto, status,
                       proto ? protocol::otlp_status_protobuf(code, message)
                             : protocol::otlp_status_json(code, message));
}

// An answer of the shared auth checks (a JSON error) in the OTLP error shape, headers kept.
HttpResponse as_otlp_error(const HttpRequest& req, bool proto, HttpResponse refusal) {
    std::string message = "refused";
    boost::system::error_code ec;
    const auto doc = boost::json::parse(refusal.body(), ec);
    if (!ec && doc.is_object()) {
        if (const auto* error = doc.get_object().if_contains("error");
            error && error->is_object()) {
            if (const auto* m = error->get_object().if_contains("message"); m && m->is_string()) {
                message = std::string(m->get_string());
            }
        }
    }
    HttpResponse res = otlp_error(req, proto, refusal.result(), message);
    if (auto it = refusal.find(http::field::www_authenticate); it != refusal.end()) {
        res.set(http::field::www_authenticate, it->value());
    }
    return res;
}

std::string app_of(const HttpRequest& req) {
    auto h = req.find("X-Smartlog-App");
    if (h != req.end()) return std::string(h->value());
    const auto params = query_params(req.target());
    auto it = params.find("app");
    return it == params.end() ? std::string() : it->second;
}

void post_otlp_logs(ServerContext& ctx, const HttpRequest& req, Router::Respond respond) {
    const std::string type = media_type(req);
    const bool proto = type == "application/x-protobuf" || type == "application/protobuf";
    if (!proto && type != "application/json") {
        return respond(
            otlp_error(req, false, http::status::unsupported_media_type,
                       "Content-Type must be application/x-protobuf or application/json"));
    }
    auto who = authorize(ctx, req, app_of(req), Permission::write);
    if (auto* refusal = std::get_if<HttpResponse>(&who))
        return respond(as_otlp_error(req, proto, std::move(*refusal)));
    const Caller& caller = std::get<Caller>(who);

    std::string inflated;
    auto body = decoded_body(req, ctx.settings.max_inflated_bytes, inflated);
    if (auto* error = std::get_if<BodyError>(&body))
        return respond(otlp_error(req, proto, error->status, error->message));
    const std::string_view bytes = std::get<std::string_view>(body);
    auto decoded = proto ? protocol::decode_otlp_protobuf(bytes, ctx.limits)
                         : protocol::decode_otlp_json(bytes, ctx.limits);
    if (auto* error = std::get_if<protocol::DecodeError>(&decoded)) {
        return respond(otlp_error(req, proto, http::status::bad_request, error->message));
    }
    const IngestSource source{caller.app_id, caller.user_id, IngestProtocol::otlp,
                              proto ? IngestFormat::protobuf : IngestFormat::json};
    ingest_entries(
        ctx, source, std::move(std::get<protocol::LogsRequest>(decoded)),
        [&req, proto, respond = std::move(respond)](IngestOutcome outcome) {
            if (!outcome.stored()) {
                auto res = otlp_error(req, proto, http_status(outcome), outcome.message);
                set_retry_after(res, outcome);
                return respond(std::move(res));
            }
            // Rejected records are not retried: OTLP says so of partialSuccess.
            std::string message;
            if (!outcome.rejected.empty()) {
                const auto& first = outcome.rejected.front();
                message = fmt::format("{} log record(s) rejected; record {}: {}",
                                      outcome.rejected.size(), first.index, first.message);
            }
            const auto rejected = static_cast<std::int64_t>(outcome.rejected.size());
            respond(otlp_answer(req, proto, http::status::ok,
                                proto ? protocol::otlp_response_protobuf(rejected, message)
                                      : protocol::otlp_response_json(rejected, message)));
        });
}

}  // namespace

void add_otlp_routes(Router& router, ServerContext& ctx) {
    for (const char* path : {"/v1/logs", "/otlp/v1/logs"}) {
        router.add_async(http::verb::post, path,
                         [&ctx](const HttpRequest& req, Router::Respond respond) {
                             post_otlp_logs(ctx, req, std::move(respond));
                         });
    }
}

}  // namespace smartlog::server::routes
