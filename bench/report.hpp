// bench/report.hpp: bench/RESULTS.md from the outcomes of one suite run.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "bench/scenarios.hpp"

namespace smartlog::bench {

struct ScenarioOutcomes {
    Scenario scenario;
    std::vector<Outcome> outcomes;  // smartlogd first, then redis-server, when run

    const Outcome* find(const std::string& target) const;
};

std::string render_report(const Config& cfg, const std::vector<ScenarioOutcomes>& results,
                          double suite_seconds);
// One line per figure, for the terminal.
std::string render_summary(const ScenarioOutcomes& r);

}  // namespace smartlog::bench
