#include "server/routes/loki_routes.hpp"

#include <fmt/format.h>

#include "protocol/decompress.hpp"
#include "protocol/ingest_common.hpp"
#include "protocol/limits.hpp"
#include "protocol/loki_decoder.hpp"
#include "server/ingest_pipeline.hpp"
#include "server/routes/http_request.hpp"
#include "server/routes/request_body.hpp"

namespace smartlog::server::routes {

namespace {

constexpr std::size_t kMaxCredentialBytes = 2048;

HttpResponse basic_refusal(const HttpRequest& req, std::string_view message) {
    auto res = json_error(req, http::status::unauthorized, "unauthenticated", message);
    res.set(http::field::www_authenticate, "Basic realm=\"smartlog\"");
    return res;
}

std::string header(const HttpRequest& req, std::string_view name) {
    auto it = req.find(name);
    return it == req.end() ? std::string() : std::string(it->value());
}

// The caller: Basic user:token (the token may be absent in open mode), the app from
// X-Scope-OrgID (Loki's tenant) or X-Smartlog-App.
std::variant<Caller, HttpResponse> authorize_loki(const ServerContext& ctx,
                                                  const HttpRequest& req) {
    protocol::Credentials credentials;
    credentials.app_id = header(req, "X-Scope-OrgID");
    if (credentials.app_id.empty()) credentials.app_id = header(req, "X-Smartlog-App");
    if (credentials.app_id.empty()) {
        return json_error(req, http::status::bad_request, "bad_request",
                          "the app is required: the X-Scope-OrgID (or X-Smartlog-App) header");
    }
    if (credentials.app_id.size() > protocol::kMaxIdBytes) {
        return json_error(req, http::status::bad_request, "bad_request",
                          fmt::format("the app id is longer than {} bytes", protocol::kMaxIdBytes));
    }
    std::string authorization = header(req, "Authorization");
    if (!authorization.empty()) {
        constexpr std::string_view kBasic = "basic ";
        std::string prefix = authorization.substr(0, kBasic.size());
        for (char& c : prefix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (prefix != kBasic || authorization.size() > kMaxCredentialBytes) {
            return basic_refusal(req, "Authorization must be \"Basic base64(user:token)\"");
        }
        std::string_view encoded = std::string_view(authorization).substr(kBasic.size());
        while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
        while (!encoded.empty() && encoded.back() == ' ') encoded.remove_suffix(1);
        const auto decoded = protocol::base64_decode(encoded);
        const auto colon = decoded ? decoded->find(':') : std::string::npos;
        if (!decoded || colon == std::string::npos || colon == 0 || colon > protocol::kMaxIdBytes) {
            return basic_refusal(req, "Authorization must be \"Basic base64(user:token)\"");
        }
        credentials.user_id = decoded->substr(0, colon);
        if (colon + 1 < decoded->size()) credentials.token = decoded->substr(colon + 1);
    }
    if (credentials.user_id.empty()) {
        if (!ctx.access.open_mode())
            return basic_refusal(req, "Authorization: Basic base64(user:token) is required");
        credentials.user_id = "loki";
    }
    return check_access(ctx.access, req, std::move(credentials), Permission::write,
                        "Basic realm=\"smartlog\"");
}

void post_push(ServerContext& ctx, const HttpRequest& req, Router::Respond respond) {
    auto who = authorize_loki(ctx, req);
    if (auto* refusal = std::get_if<HttpResponse>(&who)) return respond(std::move(*refusal));
    const Caller& caller = std::get<Caller>(who);

    // Loki reads JSON when told so, and snappy-compressed protobuf otherwise.
    const bool json = media_type(req) == "application/json";
    std::string inflated;
    auto body = decoded_body(req, ctx.settings.max_inflated_bytes, inflated, "snappy");
    if (auto* error = std::get_if<BodyError>(&body)) {
        return respond(json_error(
            req, error->status,
            error->status == http::status::payload_too_large ? "too_large" : "bad_request",
            error->message));
    }
    std::variant<protocol::LogsRequest, protocol::DecodeError> decoded;
    if (json) {
        decoded = protocol::decode_loki_json(std::get<std::string_view>(body), ctx.limits);
    } else {
        auto raw =
            protocol::unsnappy(std::get<std::string_view>(body), ctx.settings.max_inflated_bytes);
        if (auto* error = std::get_if<protocol::InflateError>(&raw)) {
            return respond(json_error(
                req, error->too_large ? http::status::payload_too_large : http::status::bad_request,
                error->too_large ? "too_large" : "bad_request", error->message));
        }
        decoded = protocol::decode_loki_protobuf(std::get<std::string>(raw), ctx.limits);
    }
    if (auto* error = std::get_if<protocol::DecodeError>(&decoded)) {
        return respond(json_error(req, http::status::bad_request, "bad_request", error->message));
    }
    const IngestSource source{caller.app_id, caller.user_id, IngestProtocol::loki,
                              json ? IngestFormat::json : IngestFormat::protobuf};
    ingest_entries(
        ctx, source, std::move(std::get<protocol::LogsRequest>(decoded)),
        [&req, respond = std::move(respond)](IngestOutcome outcome) {
            if (!outcome.stored()) {
                auto res =
                    json_error(req, http_status(outcome),
                               outcome.status == IngestOutcome::Status::too_large ? "too_large"
                                                                                  : "rate_limited",
                               outcome.message);
                set_retry_after(res, outcome);
                return respond(std::move(res));
            }
            if (!outcome.rejected.empty()) {
                // As Loki does: the valid entries are stored, the answer is a 400 that
                // clients do not retry, naming what was refused.
                const auto& first = outcome.rejected.front();
                return respond(json_error(
                    req, http::status::bad_request, "bad_request",
                    fmt::format("{} entries stored, {} rejected; entry {}: {}", outcome.accepted,
                                outcome.rejected.size(), first.index, first.message)));
            }
            HttpResponse res{http::status::no_content, req.version()};
            res.set(http::field::server, "smartlogd/" SMARTLOG_VERSION);
            res.keep_alive(req.keep_alive());
            res.prepare_payload();
            respond(std::move(res));
        });
}

}  // namespace

void add_loki_routes(Router& router, ServerContext& ctx) {
    router.add_async(http::verb::post, "/loki/api/v1/push",
                     [&ctx](const HttpRequest& req, Router::Respond respond) {
                         post_push(ctx, req, std::move(respond));
                     });
}

}  // namespace smartlog::server::routes
