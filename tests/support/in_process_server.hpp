// What Server builds around its listener, without the listener: one server's shared state in
// process, for tests and fuzz targets that drive its router or hub directly. `StoreT` is the
// store it runs on (a MemoryStore, or a test's own). Net thread only: whoever holds it runs
// `ioc` (poll() after a request whose route answers asynchronously).
#pragma once

#include <utility>

#include "core/clock.hpp"
#include "server/access_control.hpp"
#include "server/config.hpp"
#include "server/hub.hpp"
#include "server/metrics_sampler.hpp"
#include "server/router.hpp"
#include "server/server_context.hpp"
#include "server/stats.hpp"

namespace smartlog::test_support {

template <class StoreT>
struct InProcessServer {
    explicit InProcessServer(server::Config c) : config(std::move(c)) {}

    server::net::io_context ioc{1};
    server::Config config;
    StoreT store;
    core::ManualClock clock;
    server::Stats stats;
    server::AccessControl access{config};
    server::Hub hub{ioc, config.settings, store, clock};
    server::MetricsSampler metrics{ioc, config.settings, hub, stats};
    server::Router router;
    server::ServerContext ctx{
        ioc,
        config.settings,
        access,
        hub,
        stats,
        router,
        metrics,
        protocol::Limits{config.settings.max_message_bytes, config.settings.max_metadata_bytes},
        {},
        {},
        false,
        {},
        nullptr,
        {}};
};

}  // namespace smartlog::test_support
