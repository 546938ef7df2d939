// smartlog-bench: drives smartlogd and, as a reference, redis-server over loopback and
// writes bench/RESULTS.md. See bench/README.md for the scenarios and flags.
#include <signal.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "bench/proc.hpp"
#include "bench/report.hpp"
#include "bench/scenarios.hpp"

namespace {

using namespace smartlog::bench;

constexpr const char* kUsage = R"(usage: smartlog-bench suite [options]
  --smartlogd PATH       smartlogd binary (default build/bench/app/smartlogd)
  --redis-server PATH    redis-server binary (default /usr/bin/redis-server)
  --out FILE             where to write the report (default bench/RESULTS.md; - for none)
  --only ID[,ID...]      scenarios to run: ingest fanout latency latency-default idle history
                         cluster-ingest cluster-fanout restart
  --targets T[,T...]     smartlogd, redis (default both); the cluster scenarios always run
                         their 3 nodes on redis-server, and the single smartlogd if named
  --threads N            client io_context threads (default 1)
  --seconds-scale X      multiply every throughput scenario's duration (default 1)
  --set K=V[,K=V...]     override a throughput scenario's settings, for experiments:
                         producers viewers batch window rate max_batches lag_limit seconds;
                         for restart: apps per_app
  --flags "F ..."        extra smartlogd flags, appended to the scenario's own
  --source-note TEXT     what the smartlogd binary was built from (default: git describe)
  --restart-dir DIR      restart: fill DIR (unless it holds a database already) and keep it,
                         to time restarts of several builds on the same data
  --repeat N             run each scenario N times per target, alternating targets, and report
                         the median run by the scenario's key figure (default 1); with N > 1,
                         fanout runs at least 5 times
)";

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, ','))
        if (!item.empty()) out.push_back(item);
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    ::signal(SIGPIPE, SIG_IGN);
    Config cfg;
    std::vector<std::string> overrides;
    std::vector<std::string> extra_flags;
    cfg.command_line = "build/bench/bench/smartlog-bench";
    if (argc < 2 || std::string(argv[1]) != "suite") {
        std::fputs(kUsage, stderr);
        return 2;
    }
    cfg.command_line += " suite";
    try {
        for (int i = 2; i < argc; ++i) {
            const std::string flag = argv[i];
            if (i + 1 >= argc) throw std::runtime_error("missing value for " + flag);
            const std::string value = argv[++i];
            if (flag == "--smartlogd") cfg.smartlogd = value;
            else if (flag == "--redis-server") cfg.redis_server = value;
            else if (flag == "--out") cfg.out = value;
            else if (flag == "--only") cfg.only = split(value);
            else if (flag == "--targets") cfg.targets = split(value);
            else if (flag == "--threads") cfg.threads = std::stoi(value);
            else if (flag == "--seconds-scale") cfg.seconds_scale = std::stod(value);
            else if (flag == "--set") overrides = split(value);
            else if (flag == "--source-note") cfg.source_note = value;
            else if (flag == "--repeat") cfg.repeat = std::max(1, std::stoi(value));
            else if (flag == "--restart-dir") cfg.restart_dir = value;
            else if (flag == "--flags") {
                std::stringstream in(value);
                for (std::string f; in >> f;) extra_flags.push_back(f);
            } else throw std::runtime_error("unknown flag " + flag);
            // The report's wording does not change a figure: left out of the recorded command.
            if (flag != "--only" && flag != "--out" && flag != "--source-note") {
                const bool spaced = value.find(' ') != std::string::npos;
                cfg.command_line += " " + flag + " " + (spaced ? "'" + value + "'" : value);
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "smartlog-bench: %s\n%s", e.what(), kUsage);
        return 2;
    }
    if (!cfg.only.empty()) {
        std::string ids;
        for (const auto& id : cfg.only) ids += (ids.empty() ? "" : ",") + id;
        cfg.command_line += " --only " + ids;
    }

    const auto start = std::chrono::steady_clock::now();
    cfg.load_at_start = command_output("cut -d' ' -f1-3 /proc/loadavg");
    std::vector<ScenarioOutcomes> results;
    for (auto sc : default_scenarios()) {
        if (!cfg.only.empty() &&
            std::find(cfg.only.begin(), cfg.only.end(), sc.id) == cfg.only.end())
            continue;
        sc.smartlog_flags.insert(sc.smartlog_flags.end(), extra_flags.begin(), extra_flags.end());
        for (const auto& kv : overrides) {
            const auto eq = kv.find('=');
            const auto key = kv.substr(0, eq);
            const double v = std::stod(kv.substr(eq + 1));
            auto& f = sc.flow;
            if (key == "producers") f.producers = static_cast<int>(v);
            else if (key == "viewers") f.viewers = static_cast<int>(v);
            else if (key == "batch") f.batch = static_cast<int>(v);
            else if (key == "window") f.window = static_cast<int>(v);
            else if (key == "rate") f.entries_per_second = v;
            else if (key == "max_batches") f.max_batches = static_cast<std::uint64_t>(v);
            else if (key == "lag_limit") f.lag_limit = static_cast<std::uint64_t>(v);
            else if (key == "seconds") sc.seconds = v;
            else if (key == "apps") sc.restart.apps = static_cast<int>(v);
            else if (key == "per_app") sc.restart.per_app = static_cast<int>(v);
            else {
                std::fprintf(stderr, "smartlog-bench: unknown setting %s\n", key.c_str());
                return 2;
            }
            sc.note += " Overridden: " + kv + ".";
        }
        ScenarioOutcomes r{sc, {}};
        // Targets alternate within each repetition, so both see the machine in the same mood.
        const std::vector<std::string> targets = scenario_targets(sc, cfg.targets);
        std::vector<std::vector<Outcome>> runs(targets.size());
        // The restart scenario's repetitions share one fill: filling takes most of its time.
        Config run_cfg = cfg;
        const int repeat = cfg.repeat > 1 ? std::max(cfg.repeat, sc.min_repeat) : 1;
        const bool shared_fill = sc.kind == Kind::restart && cfg.restart_dir.empty() && repeat > 1;
        if (shared_fill) run_cfg.restart_dir = make_temp_dir("smartlogd-restart");
        for (int rep = 0; rep < repeat; ++rep) {
            for (std::size_t t = 0; t < targets.size(); ++t) {
                std::fprintf(stderr, "running %s against %s (%d of %d)...\n", sc.id.c_str(),
                             targets[t].c_str(), rep + 1, repeat);
                runs[t].push_back(run_scenario(sc, targets[t], run_cfg));
            }
        }
        if (shared_fill) remove_tree(run_cfg.restart_dir);
        for (auto& target_runs : runs)
            r.outcomes.push_back(pick_median(sc, std::move(target_runs)));
        std::fputs(render_summary(r).c_str(), stdout);
        std::fflush(stdout);
        results.push_back(std::move(r));
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (cfg.out != "-") {
        // Rendered before the file is opened: opening truncates it, and the report's
        // `git describe --dirty` would then call the tree dirty.
        const std::string report = render_report(cfg, results, seconds);
        std::ofstream out(cfg.out);
        out << report;
        if (!out) {
            std::fprintf(stderr, "smartlog-bench: cannot write %s\n", cfg.out.c_str());
            return 1;
        }
        std::fprintf(stderr, "wrote %s\n", cfg.out.c_str());
    }
    return 0;
}
