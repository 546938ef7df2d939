#include "server/routes/metrics_route.hpp"

#include <sys/resource.h>

#include <filesystem>
#include <fmt/format.h>

#include "server/metrics_sampler.hpp"
#include "server/routes/http_request.hpp"
#include "server/ws_session.hpp"

namespace smartlog::server::routes {

namespace {

// A label value with \, " and newline escaped, as the format requires.
std::string label(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

template <class T>
void sample(std::string& out, std::string_view name, T value) {
    fmt::format_to(std::back_inserter(out), "{} {}\n", name, value);
}

// A metric with a single unlabelled sample: its family header and the sample, named once.
template <class T>
void scalar(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            T value) {
    family(out, name, type, help);
    sample(out, name, value);
}

std::size_t open_fds() {
    std::error_code ec;
    std::size_t n = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        ++n;
    }
    return n;
}

}  // namespace

std::vector<const AppChannel*> visible_apps(const ServerContext& ctx, const HttpRequest& req) {
    std::vector<const AppChannel*> out;
    const auto& channels = ctx.hub.channels();
    const bool all = ctx.settings.metrics_public_apps || ctx.access.open_mode();
    // Without a user there is nothing to check: skip hashing a token once per app.
    if (!all && req.find("X-Smartlog-User") == req.end()) return out;
    out.reserve(channels.size());
    for (const auto& [id, app] : channels) {
        if (all || std::holds_alternative<Caller>(authorize(ctx, req, id, Permission::read)))
            out.push_back(app.get());
    }
    return out;
}

std::string prometheus_text(const ServerContext& ctx, const std::vector<const AppChannel*>& apps) {
    std::string out;
    out.reserve(4096 + 512 * apps.size());
    const Stats& st = ctx.stats;

    scalar(out, "smartlog_connections", "gauge", "Open client connections, WebSocket and HTTP.",
           st.open_connections);
    scalar(out, "smartlog_websocket_sessions", "gauge", "Open WebSocket connections.",
           st.ws_sessions);
    scalar(out, "smartlog_received_bytes_total", "counter", "Bytes read from clients.",
           st.bytes_received);
    scalar(out, "smartlog_sent_bytes_total", "counter", "Bytes written to clients.", st.bytes_sent);
    scalar(out, "smartlog_frames_rejected_total", "counter",
           "WebSocket messages answered with an error.", st.frames_rejected);
    scalar(out, "smartlog_live_entries_dropped_total", "counter",
           "Live entries not sent to viewers that lagged (docs/protocol.md).", st.entries_dropped);
    scalar(out, "smartlog_shared_frames_skipped_total", "counter",
           "Metrics and app_metrics frames not sent to viewers over max_outbound_bytes.",
           st.frames_skipped);
    scalar(out, "smartlog_control_rate_limited_total", "counter",
           "Control messages refused by control_rate_limit.", st.control_rate_limited);
    scalar(out, "smartlog_ingest_throttled_seconds_total", "counter",
           "Time producers waited because storage was behind (backpressure).",
           ctx.hub.throttled_seconds());
    scalar(out, "smartlog_ingest_throttled_requests_total", "counter",
           "HTTP ingest requests answered 429 because storage was behind.",
           ctx.hub.throttled_requests);
    scalar(out, "smartlog_max_connections", "gauge", "The max_connections setting.",
           ctx.settings.max_connections);
    scalar(out, "smartlog_connections_refused_total", "counter",
           "Connections answered 503 and closed because max_connections were open.",
           st.connections_refused);
    scalar(out, "smartlog_refused_connections_lingering", "gauge",
           "Refused connections waiting (a second at most) for their client to close.",
           st.refusals_lingering);
    scalar(out, "smartlog_http_timeouts_total", "counter",
           "HTTP connections closed because their request did not arrive within header_timeout or "
           "request_timeout.",
           st.http_timeouts);
    scalar(out, "smartlog_connections_refused_per_address_total", "counter",
           "Of the refused connections, those refused because their address held "
           "max_connections_per_address.",
           st.connections_refused_per_address);
    scalar(out, "smartlog_connections_displaced_total", "counter",
           "Connections without credentials closed to admit a newer one "
           "(max_unauthenticated_connections).",
           st.connections_displaced);
    scalar(
        out, "smartlog_unauthenticated_connections", "gauge",
        "Connections that have proven nothing yet: HTTP between requests, WebSocket before auth.",
        ctx.slots.waiting());

    // Per protocol and format (docs/ingest.md): the pairs a request can arrive as.
    static constexpr std::pair<IngestProtocol, IngestFormat> kIngestKinds[] = {
        {IngestProtocol::native, IngestFormat::json},
        {IngestProtocol::native, IngestFormat::ndjson},
        {IngestProtocol::text, IngestFormat::plain},
        {IngestProtocol::otlp, IngestFormat::protobuf},
        {IngestProtocol::otlp, IngestFormat::json},
        {IngestProtocol::loki, IngestFormat::protobuf},
        {IngestProtocol::loki, IngestFormat::json},
        {IngestProtocol::syslog, IngestFormat::tcp},
        {IngestProtocol::syslog, IngestFormat::udp},
    };
    struct IngestSeries {
        const char* name;
        const char* help;
        std::uint64_t IngestCounters::*field;
    };
    static const IngestSeries kIngestSeries[] = {
        {"smartlog_ingest_requests_total",
         "Ingest requests (HTTP), reads (syslog TCP) or datagram batches (syslog UDP) handled, by "
         "protocol and format.",
         &IngestCounters::requests},
        {"smartlog_ingest_entries_total", "Entries stored, by protocol and format.",
         &IngestCounters::entries},
        {"smartlog_ingest_rejected_total",
         "Entries refused alone (size limits, validation), by protocol and format.",
         &IngestCounters::rejected},
        {"smartlog_ingest_refused_total",
         "Entries of requests refused whole (backpressure, rate limits, storage errors), by "
         "protocol and format.",
         &IngestCounters::refused},
        {"smartlog_ingest_malformed_total",
         "Syslog lines that were not syslog, kept whole as info messages, by protocol and format.",
         &IngestCounters::malformed},
        {"smartlog_ingest_dropped_total",
         "Syslog messages dropped: UDP datagrams refused by backpressure or a rate limit, TCP "
         "frames over the size limit, by protocol and format.",
         &IngestCounters::dropped},
    };
    for (const IngestSeries& series : kIngestSeries) {
        family(out, series.name, "counter", series.help);
        for (const auto& [protocol, format] : kIngestKinds) {
            fmt::format_to(std::back_inserter(out), "{}{{protocol=\"{}\",format=\"{}\"}} {}\n",
                           series.name, ingest_protocol_name(protocol), ingest_format_name(format),
                           st.ingest.at(protocol, format).*series.field);
        }
    }

    std::uint64_t queued = 0, deepest = 0;
    for (const WsSession* s : ctx.sessions) {
        queued += s->queued_bytes();
        deepest = std::max<std::uint64_t>(deepest, s->queued_bytes());
    }
    scalar(out, "smartlog_outbound_queue_bytes", "gauge",
           "Bytes owed to WebSocket clients, as the outbound gate charges them (bytes + 128 per "
           "frame).",
           queued);
    scalar(out, "smartlog_outbound_queue_max_bytes", "gauge",
           "Bytes owed to the most lagging WebSocket client (bound: max_outbound_bytes plus one "
           "reply).",
           deepest);

    const auto& channels = ctx.hub.channels();
    scalar(out, "smartlog_apps", "gauge", "Apps with live state on this server.", channels.size());
    struct PerApp {
        const char* name;
        const char* type;
        const char* help;
        std::uint64_t (*value)(const AppChannel&);
    };
    static const PerApp kPerApp[] = {
        {"smartlog_entries_ingested_total", "counter", "Entries accepted, by app.",
         [](const AppChannel& a) { return a.ingested; }},
        {"smartlog_entries_rejected_total", "counter", "Entries refused by validation, by app.",
         [](const AppChannel& a) { return a.rejected; }},
        {"smartlog_entries_rate_limited_total", "counter",
         "Entries refused by app_rate_limit or connection_rate_limit (their whole message was "
         "refused), by app.",
         [](const AppChannel& a) { return a.rate_limited; }},
        {"smartlog_entries_delivered_total", "counter", "Entries queued to viewers, by app.",
         [](const AppChannel& a) { return a.delivered; }},
        {"smartlog_app_connections", "gauge", "Authenticated WebSocket connections, by app.",
         [](const AppChannel& a) { return static_cast<std::uint64_t>(a.members.size()); }},
        {"smartlog_history_entries", "gauge", "Entries in the in-memory history, by app.",
         [](const AppChannel& a) { return static_cast<std::uint64_t>(a.history.size()); }},
    };
    for (const PerApp& metric : kPerApp) {
        family(out, metric.name, metric.type, metric.help);
        for (const AppChannel* app : apps) {
            fmt::format_to(std::back_inserter(out), "{}{{app=\"{}\"}} {}\n", metric.name,
                           label(app->id), metric.value(*app));
        }
    }

    const storage::StoreStats store = ctx.hub.store().stats();
    scalar(out, "smartlog_storage_healthy", "gauge",
           "1 while the store reports no error (see /readyz): 0 while writes fail, until one "
           "succeeds, or after an error that needs a restart.",
           ctx.hub.store().healthy() ? 1 : 0);
    scalar(out, "smartlog_storage_queued_entries", "gauge",
           "Entries waiting for the storage thread.", store.queued_entries);
    scalar(out, "smartlog_storage_entries_written_total", "counter", "Entries committed to disk.",
           store.entries_written);
    scalar(out, "smartlog_storage_entries_failed_total", "counter",
           "Entries the store could not write (a failed transaction, or given after close).",
           store.entries_failed);
    scalar(out, "smartlog_storage_queued_entries_peak", "gauge",
           "The most entries ever waiting for the storage thread at once.",
           store.queued_entries_peak);
    scalar(out, "smartlog_storage_queries_timed_out_total", "counter",
           "Stored-log queries ended by query_timeout.", store.queries_timed_out);
    scalar(out, "smartlog_storage_entries_removed_total", "counter",
           "Entries deleted from disk by clear and retention.", store.entries_removed);
    scalar(out, "smartlog_storage_errors_total", "counter", "Storage operations that failed.",
           store.errors);
    family(out, "smartlog_storage_commit_seconds", "histogram",
           "Time to commit one group of writes.");
    for (std::size_t i = 0; i < std::size(storage::StoreStats::kCommitBuckets); ++i) {
        fmt::format_to(std::back_inserter(out),
                       "smartlog_storage_commit_seconds_bucket{{le=\"{}\"}} {}\n",
                       storage::StoreStats::kCommitBuckets[i], store.commit_buckets[i]);
    }
    fmt::format_to(std::back_inserter(out),
                   "smartlog_storage_commit_seconds_bucket{{le=\"+Inf\"}} {}\n", store.commits);
    sample(out, "smartlog_storage_commit_seconds_sum", store.commit_seconds_sum);
    sample(out, "smartlog_storage_commit_seconds_count", store.commits);

    // Process figures under the names every Prometheus client library uses.
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    scalar(out, "process_cpu_seconds_total", "counter",
           "User and system CPU time spent, in seconds.", cpu);
    scalar(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
           resident_bytes());
    scalar(out, "process_open_fds", "gauge", "Open file descriptors.", open_fds());
    const auto& host = ctx.metrics.host();
    scalar(out, "smartlog_uptime_seconds", "gauge",
           "Seconds since the server started (as of the last metrics sample).",
           host.process.uptime_seconds);
    return out;
}

void add_metrics_route(Router& router, ServerContext& ctx) {
    router.add(http::verb::get, "/metrics", [&ctx](const HttpRequest& req) {
        return text_response(req, http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                             prometheus_text(ctx, visible_apps(ctx, req)));
    });
}

}  // namespace smartlog::server::routes
