// server/ingest_limit.hpp: the ingest rate limits (docs/protocol.md, "Limits"): each app's
// budget, and each WebSocket connection's, as token buckets of entries. A message is admitted
// whole or refused whole: both budgets are spent only when both allow it. Net thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/token_bucket.hpp"
#include "server/config.hpp"
#include "server/hub.hpp"

namespace smartlog::server {

// The bucket app_rate_limit / app_rate_burst describe (unlimited when the rate is 0).
core::TokenBucket app_ingest_budget(const Settings& s, core::TokenBucket::time_point now);
// The same for connection_rate_limit / connection_rate_burst.
core::TokenBucket connection_ingest_budget(const Settings& s, core::TokenBucket::time_point now);

struct IngestVerdict {
    enum class Outcome {
        admitted,
        rate_limited,  // over a budget now: retry after `retry_after`
        over_burst,    // more entries than a budget can ever hold: never admitted as one message
    };
    Outcome outcome = Outcome::admitted;
    std::chrono::milliseconds retry_after{0};
    std::string message;  // for the client, naming the limit; empty when admitted

    bool admitted() const noexcept { return outcome == Outcome::admitted; }
};

// Admits a message of `entries` entries for `app` (and `connection`, when not null): spends
// them from both budgets, or from neither and counts them in app.rate_limited.
IngestVerdict admit_entries(AppChannel& app, core::TokenBucket* connection, std::uint64_t entries,
                            core::TokenBucket::time_point now);

}  // namespace smartlog::server
