#include "server/ingest_limit.hpp"

#include <fmt/format.h>

namespace smartlog::server {

namespace {

core::TokenBucket budget(std::uint64_t rate, std::uint64_t burst,
                         core::TokenBucket::time_point now) {
    // A burst of 0 is one second's worth.
    return core::TokenBucket(rate, burst ? burst : rate, now);
}

std::string over_burst_message(std::uint64_t entries, const std::string& who, const char* setting,
                               std::uint64_t burst) {
    return fmt::format(
        "a message of {} entries is more than {} may ever send at once ({} {}): nothing was "
        "stored; "
        "send at most {} entries per message",
        entries, who, setting, burst, burst);
}

std::string over_rate_message(const std::string& who, const char* setting,
                              const core::TokenBucket& b, std::chrono::milliseconds retry_after) {
    return fmt::format(
        "{} is over its ingest rate of {} entries/s ({}, burst {}): nothing was stored; retry in "
        "{} ms",
        who, b.rate(), setting, b.burst(), retry_after.count());
}

}  // namespace

core::TokenBucket app_ingest_budget(const Settings& s, core::TokenBucket::time_point now) {
    return budget(s.app_rate_limit, s.app_rate_burst, now);
}

core::TokenBucket connection_ingest_budget(const Settings& s, core::TokenBucket::time_point now) {
    return budget(s.connection_rate_limit, s.connection_rate_burst, now);
}

IngestVerdict admit_entries(AppChannel& app, core::TokenBucket* connection, std::uint64_t entries,
                            core::TokenBucket::time_point now) {
    using Outcome = IngestVerdict::Outcome;
    const auto by_app = app.ingest_budget.check(entries, now);
    const core::TokenBucket::Decision by_connection =
        connection ? connection->check(entries, now) : core::TokenBucket::Decision{};
    IngestVerdict v;
    if (by_app.allowed && by_connection.allowed) {
        app.ingest_budget.take(entries);
        if (connection) connection->take(entries);
        return v;
    }
    app.rate_limited += entries;
    const std::string app_name = fmt::format("app \"{}\"", app.id);
    const std::string connection_name = "this connection";
    // A message that can never pass says so first: waiting would not help.
    if (by_app.exceeds_burst) {
        v.outcome = Outcome::over_burst;
        v.message =
            over_burst_message(entries, app_name, "app_rate_burst", app.ingest_budget.burst());
    } else if (by_connection.exceeds_burst) {
        v.outcome = Outcome::over_burst;
        v.message = over_burst_message(entries, connection_name, "connection_rate_burst",
                                       connection->burst());
    } else if (by_app.retry_after >= by_connection.retry_after) {
        v.outcome = Outcome::rate_limited;
        v.retry_after = by_app.retry_after;
        v.message = over_rate_message(app_name, "app_rate_limit", app.ingest_budget, v.retry_after);
    } else {
        v.outcome = Outcome::rate_limited;
        v.retry_after = by_connection.retry_after;
        v.message =
            over_rate_message(connection_name, "connection_rate_limit", *connection, v.retry_after);
    }
    return v;
}

}  // namespace smartlog::server
