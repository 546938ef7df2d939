#include "server/ingest_pipeline.hpp"

#include "core/errc.hpp"
#include "server/ingest_limit.hpp"

namespace smartlog::server {

namespace {

// How long a producer refused for backpressure should wait before it retries.
constexpr std::chrono::milliseconds kBacklogRetry{1000};

}  // namespace

std::int64_t IngestOutcome::retry_after_seconds() const noexcept {
    return std::max<std::int64_t>(1, (retry_after.count() + 999) / 1000);
}

void ingest_entries(ServerContext& ctx, const IngestSource& source, protocol::LogsRequest logs,
                    std::function<void(IngestOutcome)> done) {
    IngestCounters& counters = ctx.stats.ingest.at(source.protocol, source.format);
    ++counters.requests;
    const std::size_t total = logs.accepted.size() + logs.rejected.size();
    IngestOutcome outcome;
    const auto refuse = [&](IngestOutcome::Status status, std::chrono::milliseconds retry,
                            std::string message) {
        counters.refused += total;
        outcome.status = status;
        outcome.retry_after = retry;
        outcome.message = std::move(message);
        outcome.refused = std::move(logs);
        done(std::move(outcome));
    };

    AppChannel* opened = ctx.hub.open_channel(source.app_id, app_cap(ctx));
    if (!opened) return refuse(IngestOutcome::Status::no_access, {}, too_many_apps_message(ctx));
    AppChannel& app = *opened;
    if (!logs.accepted.empty() && ctx.hub.ingest_throttled(app)) {
        ++ctx.hub.throttled_requests;
        return refuse(IngestOutcome::Status::backlogged, kBacklogRetry,
                      "storage is behind; retry shortly");
    }
    const auto verdict = admit_entries(app, nullptr, total, ctx.hub.clock().steady_now());
    if (verdict.outcome == IngestVerdict::Outcome::over_burst) {
        return refuse(IngestOutcome::Status::too_large, {}, verdict.message);
    }
    if (!verdict.admitted()) {
        return refuse(IngestOutcome::Status::rate_limited, verdict.retry_after, verdict.message);
    }
    app.rejected += logs.rejected.size();
    counters.rejected += logs.rejected.size();
    outcome.accepted = logs.accepted.size();
    outcome.rejected = std::move(logs.rejected);
    if (outcome.accepted == 0) return done(std::move(outcome));
    // Syslog over TCP retries what Redis could not take instead of losing it: it needs the
    // entries back, and the bus consumes them, so keep a copy (cluster mode only).
    std::vector<protocol::IncomingEntry> kept;
    if (source.protocol == IngestProtocol::syslog && source.format == IngestFormat::tcp &&
        !ctx.settings.cluster_redis.empty()) {
        kept = logs.accepted;
    }
    ctx.hub.ingest(app, source.user_id, std::move(logs.accepted),
                   [&counters, outcome = std::move(outcome), kept = std::move(kept),
                    done = std::move(done)](std::error_code ec) mutable {
                       if (ec) {
                           // A full disk is told apart: the client may wait for space.
                           const bool full = ec == std::errc::no_space_on_device;
                           counters.refused += outcome.accepted;
                           outcome.status = full ? IngestOutcome::Status::storage_full
                                                 : IngestOutcome::Status::storage_error;
                           outcome.message = "the entries were not stored: " + ec.message();
                           if (ec == core::errc::unavailable) {
                               // Cluster mode: Redis is out of reach; retrying will do.
                               outcome.status = IngestOutcome::Status::unavailable;
                               outcome.retry_after = kBacklogRetry;
                               outcome.message =
                                   "the entries were not stored: Redis is unavailable; retry";
                               outcome.refused.accepted = std::move(kept);
                           }
                       } else {
                           counters.entries += outcome.accepted;
                       }
                       done(std::move(outcome));
                   });
}

http::status http_status(const IngestOutcome& outcome) {
    switch (outcome.status) {
        case IngestOutcome::Status::stored: return http::status::ok;
        case IngestOutcome::Status::backlogged:
        case IngestOutcome::Status::rate_limited: return http::status::too_many_requests;
        case IngestOutcome::Status::too_large: return http::status::payload_too_large;
        case IngestOutcome::Status::storage_full: return http::status::insufficient_storage;
        case IngestOutcome::Status::storage_error:
        case IngestOutcome::Status::unavailable: return http::status::service_unavailable;
        case IngestOutcome::Status::no_access: return http::status::forbidden;
    }
    return http::status::internal_server_error;
}

void set_retry_after(HttpResponse& res, const IngestOutcome& outcome) {
    if (outcome.status == IngestOutcome::Status::backlogged ||
        outcome.status == IngestOutcome::Status::rate_limited ||
        outcome.status == IngestOutcome::Status::unavailable) {
        res.set(http::field::retry_after, std::to_string(outcome.retry_after_seconds()));
    }
}

}  // namespace smartlog::server
