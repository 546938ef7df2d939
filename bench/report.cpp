#include "bench/report.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <sstream>

namespace smartlog::bench {
namespace {

std::string grouped(double value) {
    auto digits = fmt::format("{:.0f}", value);
    std::string out;
    const auto n = digits.size();
    for (std::size_t i = 0; i < n; ++i) {
        out += digits[i];
        if (digits[0] != '-' && (n - i - 1) % 3 == 0 && i + 1 < n) out += ',';
    }
    return out;
}

std::string mib(std::uint64_t bytes) {
    return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
}
std::string ms(std::uint64_t ns) { return fmt::format("{:.3f} ms", static_cast<double>(ns) / 1e6); }

// A figure for both targets, their ratio, and the goal when docs/performance.md sets one.
struct Row {
    std::string name;
    std::string smartlog;
    std::string redis;
    std::string ratio;
    std::string goal;
    std::string vs_goal;
};

std::string ratio(double a, double b) {
    if (a <= 0 || b <= 0) return "–";
    return fmt::format("{:.2f}×", a / b);
}

// `a` and `b`: the two columns' servers (smartlogd and redis-server; in a cluster scenario the
// cluster and the single smartlogd).
std::string table(const std::vector<Row>& rows, std::string_view a = "smartlogd",
                  std::string_view b = "redis-server", std::string_view a_short = "smartlogd",
                  std::string_view b_short = "redis") {
    std::string s = fmt::format(
        "| figure | {} | {} | {} ÷ {} | goal | {} vs goal |\n"
        "| --- | --- | --- | --- | --- | --- |\n",
        a, b, a_short, b_short, a_short);
    for (const auto& r : rows) {
        s += fmt::format("| {} | {} | {} | {} | {} | {} |\n", r.name, r.smartlog, r.redis, r.ratio,
                         r.goal, r.vs_goal);
    }
    return s;
}

std::string checks(const Outcome& o, Kind kind) {
    if (!o.ran) return "not run";
    std::string s;
    if (kind == Kind::throughput) {
        s = fmt::format(
            "{} lost, {} duplicated or reordered, {} gaps, {} `dropped` notices; {} of "
            "{} deliveries compared field by field, {} differed",
            grouped(static_cast<double>(o.lost)), o.duplicates, o.gaps, o.dropped_notices,
            grouped(static_cast<double>(o.checked)), grouped(static_cast<double>(o.delivered)),
            o.mismatched);
    }
    s += fmt::format("{}{} problem(s) reported", s.empty() ? "" : "; ", o.problem_count);
    return s;
}

bool clean(const Outcome& o) {
    return o.ran && o.failure.empty() && o.problem_count == 0 && o.lost == 0;
}

std::string verdict(bool ok) { return ok ? "met" : "**not met**"; }

std::string scenario_section(const ScenarioOutcomes& r, const Config& cfg) {
    const auto& sc = r.scenario;
    const Outcome none;
    const bool cluster = sc.cluster_nodes > 0;
    const Outcome* sl = r.find(cluster ? "cluster" : "smartlogd");
    const Outcome* rd = r.find(cluster ? "smartlogd" : "redis-server");
    const Outcome& a = sl ? *sl : none;
    const Outcome& b = rd ? *rd : none;
    auto both = [&](auto f) {
        return std::make_pair(a.ran ? f(a) : std::string("–"), b.ran ? f(b) : std::string("–"));
    };

    std::string s = fmt::format("## {} (`{}`)\n\n{}\n\n", sc.title, sc.id, sc.note);
    if (sc.kind == Kind::throughput) {
        const auto& f = sc.flow;
        s += fmt::format(
            "Settings: {} producer(s), {} viewer(s), batches of {} entries, window of {} "
            "unacknowledged batches per producer, {}, {:.0f} s of sending (at most {} "
            "batches per producer).\n\n",
            f.producers, f.viewers, f.batch, f.window,
            f.entries_per_second > 0
                ? fmt::format("paced at {} entries/s in total", grouped(f.entries_per_second))
                : std::string("full speed"),
            sc.seconds * cfg.seconds_scale, grouped(static_cast<double>(f.max_batches)));
    }
    std::vector<Row> rows;
    auto add = [&](std::string name, auto f, std::string ratio_text = "", std::string goal = "",
                   std::string vs = "") {
        auto [x, y] = both(f);
        rows.push_back(
            {std::move(name), x, y, std::move(ratio_text), std::move(goal), std::move(vs)});
    };
    if (sc.kind == Kind::throughput) {
        const bool ingest_goal = sc.id == "ingest";
        add(
            "entries ingested (acknowledged) /s",
            [](const Outcome& o) { return grouped(o.ingest_rate); },
            ratio(a.ingest_rate, b.ingest_rate), ingest_goal ? "≥ 1,000,000/s" : "",
            ingest_goal && a.ran ? fmt::format("{:.0f}% — {}", 100 * a.ingest_rate / 1e6,
                                               verdict(a.ingest_rate >= 1e6))
                                 : "");
        if (sc.flow.viewers > 0) {
            const bool fan_goal = sc.id == "fanout";
            add(
                "deliveries /s (entries received, all viewers)",
                [](const Outcome& o) { return grouped(o.delivery_rate); },
                ratio(a.delivery_rate, b.delivery_rate), fan_goal ? "≥ 2,000,000/s" : "",
                fan_goal && a.ran ? fmt::format("{:.0f}% — {}", 100 * a.delivery_rate / 2e6,
                                                verdict(a.delivery_rate >= 2e6))
                                  : "");
            const bool lat_goal = sc.id.starts_with("latency");
            for (auto [label, q] :
                 {std::pair{"latency p50", 0.5}, {"latency p99", 0.99}, {"latency p99.9", 0.999}}) {
                const bool p99 = q == 0.99 && lat_goal;
                const auto va = a.latency.percentile(q);
                add(
                    label, [q](const Outcome& o) { return ms(o.latency.percentile(q)); },
                    ratio(static_cast<double>(va), static_cast<double>(b.latency.percentile(q))),
                    p99 ? "< 5 ms" : "",
                    p99 && a.ran
                        ? fmt::format("{:.0f}% of budget — {}", static_cast<double>(va) / 5e4,
                                      verdict(va < 5'000'000))
                        : "");
            }
            add(
                "latency max", [](const Outcome& o) { return ms(o.latency.max()); },
                ratio(static_cast<double>(a.latency.max()), static_cast<double>(b.latency.max())));
        }
        add(
            "acknowledgement latency p50 / p99 (batch sent → ack read)",
            [](const Outcome& o) {
                return ms(o.ack_latency.percentile(0.5)) + " / " +
                       ms(o.ack_latency.percentile(0.99));
            },
            ratio(static_cast<double>(a.ack_latency.percentile(0.99)),
                  static_cast<double>(b.ack_latency.percentile(0.99))));
        if (sc.flow.entries_per_second > 0) {
            add("producers' worst lateness against the pace",
                [](const Outcome& o) { return ms(o.behind_schedule_ns); });
        }
        add(
            "server CPU seconds over the run",
            [](const Outcome& o) {
                return fmt::format("{:.2f} s of {:.2f} s", o.server_cpu, o.window_seconds);
            },
            ratio(a.server_cpu, b.server_cpu));
        const bool cpu_goal = sc.id == "fanout";
        const double cpu_ratio = a.cpu_per_entry_us() > 0 && b.cpu_per_entry_us() > 0
                                     ? a.cpu_per_entry_us() / b.cpu_per_entry_us()
                                     : 0;
        add(
            sc.flow.viewers > 0 ? "server CPU per delivered entry"
                                : "server CPU per ingested entry",
            [](const Outcome& o) { return fmt::format("{:.3f} µs", o.cpu_per_entry_us()); },
            ratio(a.cpu_per_entry_us(), b.cpu_per_entry_us()), cpu_goal ? "≤ 1.25 × redis" : "",
            cpu_goal && cpu_ratio > 0
                ? fmt::format("{:.2f} × redis — {}", cpu_ratio, verdict(cpu_ratio <= 1.25))
                : "");
        add(
            "server peak RSS (VmHWM)", [](const Outcome& o) { return mib(o.server_hwm); },
            ratio(static_cast<double>(a.server_hwm), static_cast<double>(b.server_hwm)));
        if (cluster) {
            const bool per_delivery = sc.flow.viewers > 0;
            add("of which redis-server: CPU per entry ingested", [](const Outcome& o) {
                return o.target == "cluster" && o.acked > 0
                           ? fmt::format("{:.3f} µs ({:.2f} s)",
                                         o.redis_cpu * 1e6 / static_cast<double>(o.acked),
                                         o.redis_cpu)
                           : std::string("–");
            });
            add(per_delivery ? "of which the smartlogd nodes: CPU per delivered entry"
                             : "of which the smartlogd nodes: CPU per ingested entry",
                [per_delivery](const Outcome& o) {
                    const auto n = per_delivery ? o.delivered : o.acked;
                    return n > 0 ? fmt::format("{:.3f} µs", (o.server_cpu - o.redis_cpu) * 1e6 /
                                                                static_cast<double>(n))
                                 : std::string("–");
                });
            add("Redis after the run (docs/cluster.md, \"Sizing Redis\")", [](const Outcome& o) {
                const auto& h = o.redis_holding;
                if (o.target != "cluster") return std::string("–");
                if (!h.read) return std::string("not read");
                return fmt::format(
                    "used_memory {}; {} keys (one retry key: {} bytes); the app's stream: {} "
                    "batches holding {} entries in {} ({:.0f} bytes per entry)",
                    mib(h.used_memory), grouped(static_cast<double>(h.keys)), h.retry_key_bytes,
                    grouped(static_cast<double>(h.stream_batches)),
                    grouped(static_cast<double>(h.stream_entries)), mib(h.stream_bytes),
                    h.stream_entries ? static_cast<double>(h.stream_bytes) /
                                           static_cast<double>(h.stream_entries)
                                     : 0.0);
            });
        }
        add("load generator CPU seconds",
            [](const Outcome& o) { return fmt::format("{:.2f} s", o.bench_cpu); });
    } else if (sc.kind == Kind::idle) {
        add("connections authenticated", [](const Outcome& o) { return grouped(o.idle_ready); });
        add("time to connect and authenticate all",
            [](const Outcome& o) { return fmt::format("{:.2f} s", o.connect_seconds); });
        add(
            "server RSS before → after",
            [](const Outcome& o) { return mib(o.rss_before) + " → " + mib(o.rss_after); },
            ratio(static_cast<double>(a.rss_after), static_cast<double>(b.rss_after)), "< 200 MiB",
            a.ran ? fmt::format(
                        "{:.0f}% — {}",
                        100.0 * static_cast<double>(a.rss_after) / (200.0 * (1 << 20)),
                        verdict(a.rss_after < 200ull << 20 && a.idle_ready == sc.idle_connections))
                  : "");
        add("server RSS per connection (after − before)", [](const Outcome& o) {
            return fmt::format(
                "{:.1f} KiB",
                o.idle_ready
                    ? static_cast<double>(o.rss_after - std::min(o.rss_after, o.rss_before)) /
                          1024.0 / o.idle_ready
                    : 0.0);
        });
        add("server peak RSS (VmHWM)", [](const Outcome& o) { return mib(o.server_hwm); });
        add("server CPU seconds while connecting",
            [](const Outcome& o) { return fmt::format("{:.2f} s", o.server_cpu); });
    } else if (sc.kind == Kind::restart) {
        add("entries stored before the restart (acknowledged, durability=sync)",
            [](const Outcome& o) {
                return o.fill_seconds < 0
                           ? grouped(static_cast<double>(o.filled)) + " (stored by the first run)"
                           : fmt::format("{} in {:.1f} s", grouped(static_cast<double>(o.filled)),
                                         o.fill_seconds);
            });
        add("database size (smartlog.db + WAL)", [](const Outcome& o) { return mib(o.db_bytes); });
        add("time from start to listening again",
            [](const Outcome& o) { return fmt::format("{:.3f} s", o.restart_seconds); });
        add(
            "time from start to the first whole history answer (the first app checked, asked "
            "as soon as it listens)",
            [](const Outcome& o) { return fmt::format("{:.3f} s", o.first_answer_seconds); }, "",
            "< 1 s",
            a.ran ? fmt::format("{:.0f}% — {}", 100 * a.first_answer_seconds,
                                verdict(a.first_answer_seconds < 1 && clean(a)))
                  : "");
        add("time from start to every history in memory (the server's own log)",
            [](const Outcome& o) {
                return fmt::format("{} entries in {:.0f} ms",
                                   grouped(static_cast<double>(o.restored)), o.restore_ms);
            });
        add("server CPU seconds until listening / until every history is in and checked",
            [](const Outcome& o) {
                return fmt::format("{:.2f} s / {:.2f} s", o.server_cpu, o.loaded_cpu);
            });
        add("server RSS when listening / peak (VmHWM)",
            [](const Outcome& o) { return mib(o.rss_after) + " / " + mib(o.server_hwm); });
        add("entries read back and checked",
            [](const Outcome& o) { return grouped(static_cast<double>(o.delivered)); });
    } else {
        add("answers (each checked: 1,000 entries, oldest first)",
            [](const Outcome& o) { return grouped(static_cast<double>(o.history_answers)); });
        add("answer size", [](const Outcome& o) {
            return o.history_answers
                       ? fmt::format("{} bytes", grouped(static_cast<double>(o.history_bytes /
                                                                             o.history_answers)))
                       : std::string("–");
        });
        for (auto [label, q] :
             {std::pair{"latency p50", 0.5}, {"latency p99", 0.99}, {"latency p99.9", 0.999}}) {
            add(
                label, [q](const Outcome& o) { return ms(o.latency.percentile(q)); },
                ratio(static_cast<double>(a.latency.percentile(q)),
                      static_cast<double>(b.latency.percentile(q))));
        }
        add(
            "server CPU per answer",
            [](const Outcome& o) {
                return o.history_answers
                           ? fmt::format("{:.1f} µs", o.server_cpu * 1e6 /
                                                          static_cast<double>(o.history_answers))
                           : std::string("–");
            },
            ratio(a.history_answers ? a.server_cpu / static_cast<double>(a.history_answers) : 0,
                  b.history_answers ? b.server_cpu / static_cast<double>(b.history_answers) : 0));
        add("server peak RSS (VmHWM)", [](const Outcome& o) { return mib(o.server_hwm); });
    }
    if (!a.key_figures.empty() || !b.key_figures.empty()) {
        auto runs = [](const Outcome& o) {
            if (o.key_figures.empty()) return std::string("–");
            std::string t;
            for (double f : o.key_figures) t += fmt::format("{}{:.3f}", t.empty() ? "" : ", ", f);
            return fmt::format("{}: {} (this table: the median run)", o.key_name, t);
        };
        rows.push_back({"every run", runs(a), runs(b), "", "", ""});
    }
    rows.push_back({"checks", checks(a, sc.kind), checks(b, sc.kind), "", "", ""});
    if (sc.kind == Kind::history && a.ran)
        rows.push_back({"history meets live (docs/protocol.md)", a.history_probe, "–", "", "", ""});
    s += cluster ? table(rows, fmt::format("{} smartlogd nodes + redis-server", sc.cluster_nodes),
                         "single smartlogd", "cluster", "single")
                 : table(rows);
    s += "\n";
    for (const Outcome* o : {sl, rd}) {
        if (!o) continue;
        if (!o->failure.empty())
            s += fmt::format("**{} did not complete**: {}\n\n", o->target, o->failure);
        if (!o->problems.empty()) {
            s += fmt::format("{}: {} problem(s); the first ones:\n\n", o->target, o->problem_count);
            for (const auto& p : o->problems) s += "- `" + p + "`\n";
            s += "\n";
        }
    }
    s += fmt::format("Command: `{} --only {}`\n\n",
                     cfg.command_line.substr(0, cfg.command_line.find(" --only")), sc.id);
    for (const Outcome* o : {sl, rd}) {
        if (o && !o->server_command.empty()) {
            s += fmt::format("{} ran as `{}`; it {}. Load average (1, 5 min) at its start: {}.\n\n",
                             o->target, o->server_command, o->server_exit, o->load_average);
        }
    }
    return s;
}

}  // namespace

const Outcome* ScenarioOutcomes::find(const std::string& target) const {
    for (const auto& o : outcomes)
        if (o.target == target) return &o;
    return nullptr;
}

std::string render_report(const Config& cfg, const std::vector<ScenarioOutcomes>& results,
                          double suite_seconds) {
    const auto now = std::chrono::system_clock::now();
    std::string cpu = command_output("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2");
    std::string s = "# smartlog benchmark results\n\n";
    s += fmt::format(
        "Written by `smartlog-bench` on {:%Y-%m-%d %H:%M} UTC in {:.0f} s. Machine: {}, {} cores, "
        "Linux {}. smartlogd: {}; {}.\n\n",
        fmt::gmtime(std::chrono::system_clock::to_time_t(now)), suite_seconds,
        cpu.empty() ? "unknown CPU" : cpu.substr(cpu.find_first_not_of(' ')),
        command_output("nproc"), command_output("uname -r"),
        cfg.source_note.empty()
            ? "Release build of commit `" +
                  command_output("git describe --always --dirty 2>/dev/null") + "` in `build/bench`"
            : cfg.source_note,
        command_output(cfg.redis_server + " --version | cut -d' ' -f1-3"));
    s += fmt::format("Whole suite: `{}`{}.\n\n", cfg.command_line,
                     cfg.smartlogd == "build/bench/app/smartlogd"
                         ? " (what `make bench` runs)"
                         : " (`make bench` runs it with `--smartlogd build/bench/app/smartlogd`)");
    s += fmt::format(
        "Load average (1, 5, 15 min) at the start of the suite: {}; at its end: {}. On 2 cores, "
        "anything above ~2 means other processes (builds, tests) competed with the servers and "
        "the generator: rates and latencies then measure the machine as much as the server, while "
        "CPU time per entry stays comparable.\n\n",
        cfg.load_at_start, command_output("cut -d' ' -f1-3 /proc/loadavg"));
    if (cfg.repeat > 1) {
        std::string more;
        for (const auto& r : results) {
            if (r.scenario.min_repeat <= cfg.repeat) continue;
            more += fmt::format("{}`{}` {} times", more.empty() ? " (" : ", ", r.scenario.id,
                                r.scenario.min_repeat);
        }
        if (!more.empty()) more += ")";
        s += fmt::format(
            "Every scenario ran {} times per server{}, alternating servers; each table shows the "
            "median run by the scenario's key figure (CPU per entry, p99 latency or RSS), and the "
            "row \"every run\" lists that figure for all runs. A run with a correctness problem "
            "would be shown instead of the median.\n\n",
            cfg.repeat, more);
    }
    s += R"(How to read this:
- Every scenario runs against smartlogd, then against redis-server (PUBLISH/SUBSCRIBE of the very
  same batch bytes), one right after the other on the same machine, each server freshly started.
  The load generator is one process with one client thread (`--threads 1`), so on 2 cores the
  server under test and the generator each have about one core: "load generator CPU seconds" shows
  when the generator, not the server, set the pace.
- Rates are entries over the time from the start signal to the last acknowledgement (ingest) or
  the last receipt (deliveries). Latency is producer send → viewer receipt, per entry, from the
  send time each entry carries in its metadata; percentiles are bucket upper bounds (≤ 3% high).
- Server CPU is utime + stime from `/proc/PID/stat` (10 ms ticks) over the same window; peak
  RSS is `VmHWM` from `/proc/PID/status`. The steadiest comparison is CPU per delivered entry
  against redis-server at fan-out 10 (docs/performance.md: within 1.25×).
- Correctness: each viewer checks every entry's producer and sequence number (in order, none
  twice, none missing, counts equal to what producers had acknowledged), and parses every n-th
  batch in full to compare each entry's level and message with what was sent and to check the
  LogEntry shape. A row with problems is not a result.

)";
    s += "## Summary against docs/performance.md\n\n"
         "| goal | smartlogd | redis-server | verdict |\n| --- | --- | --- | --- |\n";
    for (const auto& r : results) {
        const auto* a = r.find("smartlogd");
        const auto* b = r.find("redis-server");
        auto val = [](const Outcome* o, auto f) { return o && o->ran ? f(*o) : std::string("–"); };
        auto ok = [&](bool met) {
            if (!a || !a->ran) return std::string("not measured");
            return std::string(met ? "met" : "**not met**") +
                   (clean(*a) ? "" : " (with correctness failures)");
        };
        if (r.scenario.id == "ingest") {
            s += fmt::format("| ingest ≥ 1,000,000 entries/s | {} | {} | {} |\n",
                             val(a, [](const Outcome& o) { return grouped(o.ingest_rate); }),
                             val(b, [](const Outcome& o) { return grouped(o.ingest_rate); }),
                             ok(a && a->ingest_rate >= 1e6));
        } else if (r.scenario.id == "fanout") {
            s += fmt::format("| fan-out to 10 viewers ≥ 2,000,000 deliveries/s | {} | {} | {} |\n",
                             val(a, [](const Outcome& o) { return grouped(o.delivery_rate); }),
                             val(b, [](const Outcome& o) { return grouped(o.delivery_rate); }),
                             ok(a && a->delivery_rate >= 2e6));
            const double ra = a ? a->cpu_per_entry_us() : 0, rb = b ? b->cpu_per_entry_us() : 0;
            s += fmt::format(
                "| server CPU per delivery at fan-out 10 ≤ 1.25 × redis | {} | {} | {} |\n",
                val(a,
                    [](const Outcome& o) {
                        return fmt::format("{:.3f} µs", o.cpu_per_entry_us());
                    }),
                val(b,
                    [](const Outcome& o) {
                        return fmt::format("{:.3f} µs", o.cpu_per_entry_us());
                    }),
                ra > 0 && rb > 0 ? fmt::format("{:.2f} × redis: {}", ra / rb, ok(ra / rb <= 1.25))
                                 : ok(false));
        } else if (r.scenario.id.starts_with("latency")) {
            s += fmt::format(
                "| p99 < 5 ms at 50,000 entries/s ({}) | {} | {} | {} |\n", r.scenario.id,
                val(a, [](const Outcome& o) { return ms(o.latency.percentile(0.99)); }),
                val(b, [](const Outcome& o) { return ms(o.latency.percentile(0.99)); }),
                ok(a && a->latency.percentile(0.99) < 5'000'000));
        } else if (r.scenario.id == "idle") {
            s += fmt::format(
                "| 10,000 idle authenticated connections < 200 MiB RSS | {} | {} | {} |\n",
                val(a, [](const Outcome& o) { return mib(o.rss_after); }),
                val(b, [](const Outcome& o) { return mib(o.rss_after); }),
                ok(a && a->rss_after < (200ull << 20) &&
                   a->idle_ready == r.scenario.idle_connections));
        } else if (r.scenario.kind == Kind::restart) {
            s += fmt::format(
                "| restart with 1,000 apps × 1,000 entries < 1 s (to the first whole history "
                "answer; every history in memory: {}) | {} | – | {} |\n",
                val(a,
                    [](const Outcome& o) { return fmt::format("{:.3f} s", o.restore_ms / 1e3); }),
                val(a,
                    [](const Outcome& o) {
                        return fmt::format("{:.3f} s", o.first_answer_seconds);
                    }),
                ok(a && a->first_answer_seconds < 1));
        } else if (r.scenario.cluster_nodes > 0) {
            // No goal: what a cluster costs against one node under the same load.
            const auto* c = r.find("cluster");
            const auto* one = r.find("smartlogd");
            auto cpu = [](const Outcome& o) {
                return fmt::format("{:.3f} µs", o.cpu_per_entry_us());
            };
            const double rc = c ? c->cpu_per_entry_us() : 0, r1 = one ? one->cpu_per_entry_us() : 0;
            s += fmt::format(
                "| {} (no goal): server CPU per {}, {} nodes + redis-server / single node | {} / "
                "{} | – | {} |\n",
                r.scenario.id, r.scenario.flow.viewers > 0 ? "delivery" : "entry",
                r.scenario.cluster_nodes, val(c, cpu), val(one, cpu),
                rc > 0 && r1 > 0 ? fmt::format("{:.2f} × the single node", rc / r1)
                                 : std::string("–"));
        } else if (r.scenario.id == "history") {
            s += fmt::format(
                "| request_history of 1,000 entries (no goal), p99 | {} | {} | – |\n",
                val(a, [](const Outcome& o) { return ms(o.latency.percentile(0.99)); }),
                val(b, [](const Outcome& o) { return ms(o.latency.percentile(0.99)); }));
        }
    }
    s += "\n";
    for (const auto& r : results) s += scenario_section(r, cfg);
    std::ifstream profile("bench/NOTES.md");
    if (profile) {
        std::stringstream text;
        text << profile.rdbuf();
        s += text.str();
    }
    return s;
}

std::string render_summary(const ScenarioOutcomes& r) {
    std::string s;
    for (const auto& o : r.outcomes) {
        s += fmt::format("[{}] {}: ", r.scenario.id, o.target);
        if (!o.ran) {
            s += "not run: " + o.failure + "\n";
            continue;
        }
        if (r.scenario.kind == Kind::throughput) {
            s += fmt::format(
                "ingest {}/s, ack p50 {} p99 {}, deliveries {}/s, p50 {} p99 {} p99.9 {}, cpu "
                "{:.2f}s ({:.3f} µs/entry), hwm {}, bench cpu {:.2f}s",
                grouped(o.ingest_rate), ms(o.ack_latency.percentile(0.5)),
                ms(o.ack_latency.percentile(0.99)), grouped(o.delivery_rate),
                ms(o.latency.percentile(0.5)), ms(o.latency.percentile(0.99)),
                ms(o.latency.percentile(0.999)), o.server_cpu, o.cpu_per_entry_us(),
                mib(o.server_hwm), o.bench_cpu);
            if (o.target == "cluster") {
                const auto& h = o.redis_holding;
                s += fmt::format(
                    ", of which redis-server cpu {:.2f}s ({:.3f} µs/entry ingested); redis "
                    "used_memory {}, {} keys (retry key {} bytes), stream {} batches / {} "
                    "entries in {} bytes",
                    o.redis_cpu, o.acked ? o.redis_cpu * 1e6 / static_cast<double>(o.acked) : 0.0,
                    mib(h.used_memory), h.keys, h.retry_key_bytes, h.stream_batches,
                    h.stream_entries, h.stream_bytes);
            }
        } else if (r.scenario.kind == Kind::idle) {
            s += fmt::format("{} ready in {:.2f}s, rss {} → {}, hwm {}", o.idle_ready,
                             o.connect_seconds, mib(o.rss_before), mib(o.rss_after),
                             mib(o.server_hwm));
        } else if (r.scenario.kind == Kind::restart) {
            s += fmt::format(
                "filled {} in {:.1f}s ({}), listening again after {:.3f}s, first answer after "
                "{:.3f}s, restored {} in {:.0f} ms, cpu {:.2f}s / {:.2f}s, rss {} hwm {}, "
                "checked {}",
                o.filled, o.fill_seconds, mib(o.db_bytes), o.restart_seconds,
                o.first_answer_seconds, o.restored, o.restore_ms, o.server_cpu, o.loaded_cpu,
                mib(o.rss_after), mib(o.server_hwm), o.delivered);
        } else {
            s += fmt::format("{} answers, p50 {} p99 {}, cpu {:.2f}s; {}", o.history_answers,
                             ms(o.latency.percentile(0.5)), ms(o.latency.percentile(0.99)),
                             o.server_cpu, o.history_probe);
        }
        s += fmt::format(
            "; lost {} dup {} gaps {} dropped {} checked {} mismatched {} problems {}{}\n", o.lost,
            o.duplicates, o.gaps, o.dropped_notices, o.checked, o.mismatched, o.problem_count,
            o.failure.empty() ? "" : "; FAILURE: " + o.failure);
        for (const auto& p : o.problems) s += "    " + p + "\n";
    }
    return s;
}

}  // namespace smartlog::bench
