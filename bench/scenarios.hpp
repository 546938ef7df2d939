// bench/scenarios.hpp: the suite's scenarios and what one run of one scenario against one
// server yields. Main thread only; client connections run on an IoPool.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/flow.hpp"
#include "bench/histogram.hpp"
#include "bench/proc.hpp"
#include "bench/targets.hpp"

namespace smartlog::bench {

enum class Kind { throughput, idle, history, restart };

struct Scenario {
    std::string id;  // what --only takes
    std::string title;
    Kind kind = Kind::throughput;
    FlowSettings flow;
    double seconds = 5;  // throughput: how long producers send
    int idle_connections = 10000;
    int idle_apps = 100;
    HistorySettings history;
    RestartSettings restart;
    std::vector<std::string> smartlog_flags;  // besides --listen, --durability, --data-dir
    std::string note;
    // With --repeat above 1: at least this many runs per target, for a figure that moves more
    // from run to run than the others.
    int min_repeat = 1;
    // Cluster mode: this many smartlogd nodes on one redis-server (the "cluster" target), with
    // producers and viewers dealt over the nodes in turn; 0: not a cluster scenario. Its
    // reference is the single smartlogd under the same load, not Redis alone.
    int cluster_nodes = 0;
};

// The targets a scenario runs against: "cluster" and "smartlogd" (those of `requested` only,
// "cluster" always) for a cluster scenario; `requested` for the others.
std::vector<std::string> scenario_targets(const Scenario& sc,
                                          const std::vector<std::string>& requested);

struct Config {
    std::string smartlogd = "build/bench/app/smartlogd";
    std::string redis_server = "/usr/bin/redis-server";
    std::string out = "bench/RESULTS.md";
    std::vector<std::string> only;  // scenario ids; empty: all
    std::vector<std::string> targets = {"smartlogd", "redis"};
    int threads = 1;             // client io_context threads
    int repeat = 1;              // runs per scenario and target; the median is reported
    double seconds_scale = 1.0;  // multiplies every scenario's duration
    std::string command_line;    // as invoked, for the report
    std::string source_note;     // what smartlogd was built from, if not this tree
    std::string load_at_start;   // /proc/loadavg when the suite started
    std::string restart_dir;     // restart: fill this directory once and keep it
};

struct Outcome {
    std::string target;
    bool ran = false;
    std::string failure;  // why it did not run or did not finish
    std::string server_command;
    std::string server_exit;
    std::string load_average;           // /proc/loadavg (1, 5 min) when the run started
    std::vector<std::string> problems;  // first few correctness failures
    std::uint64_t problem_count = 0;

    // throughput
    std::uint64_t acked = 0;
    std::uint64_t delivered = 0;
    std::uint64_t expected_deliveries = 0;
    std::uint64_t lost = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t gaps = 0;
    std::uint64_t dropped_notices = 0;
    std::uint64_t checked = 0;  // entries compared field by field
    std::uint64_t mismatched = 0;
    double ingest_seconds = 0;
    double delivery_seconds = 0;
    double ingest_rate = 0;
    double delivery_rate = 0;
    std::uint64_t behind_schedule_ns = 0;
    Histogram latency;
    Histogram ack_latency;  // batch sent → its ack read

    // idle
    int idle_ready = 0;
    double connect_seconds = 0;
    std::uint64_t rss_before = 0;
    std::uint64_t rss_after = 0;

    // history
    std::uint64_t history_answers = 0;
    std::uint64_t history_bytes = 0;
    std::string history_probe;

    // restart
    std::uint64_t filled = 0;         // entries acknowledged before the restart
    double fill_seconds = 0;          // < 0: the data was stored by an earlier run
    std::uint64_t db_bytes = 0;       // smartlog.db and its WAL after the first server stopped
    double restart_seconds = 0;       // spawn → "listening" line
    double first_answer_seconds = 0;  // spawn → the first app's whole history answer
    std::uint64_t restored = 0;       // as the server logged it
    double restore_ms = 0;            // the server's own timing: start → every history in memory
    double loaded_cpu = 0;            // server CPU once every history is in and the check is done

    // cluster: redis-server's part of server_cpu, and what Redis held after the run
    double redis_cpu = 0;
    RedisHolding redis_holding;

    // cost, over the measured window
    double server_cpu = 0;  // cluster: every node and redis-server
    double bench_cpu = 0;
    double window_seconds = 0;
    std::uint64_t server_hwm = 0;

    double cpu_per_entry_us() const;  // per delivery, or per ingested entry without viewers

    // With --repeat: the key figure of every run, in run order, and what it is.
    std::vector<double> key_figures;
    std::string key_name;
};

// The run whose key figure is the median (CPU per entry for throughput scenarios, p99 for
// latency and history, RSS for idle). A run with a correctness problem or a failure is never
// hidden: the first such run is reported instead.
Outcome pick_median(const Scenario& sc, std::vector<Outcome> runs);

std::vector<Scenario> default_scenarios();
Outcome run_scenario(const Scenario& sc, const std::string& target, const Config& cfg);

}  // namespace smartlog::bench
