#include "core/host_stats.hpp"

#include <charconv>
#include <vector>

namespace smartlog::core {

namespace {

std::string_view line_starting_with(std::string_view text, std::string_view prefix) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t eol = text.find('\n', pos);
        if (eol == std::string_view::npos) eol = text.size();
        std::string_view line = text.substr(pos, eol - pos);
        if (line.substr(0, prefix.size()) == prefix) return line;
        pos = eol + 1;
    }
    return {};
}

std::vector<std::uint64_t> numbers_in(std::string_view line) {
    std::vector<std::uint64_t> out;
    const char* p = line.data();
    const char* end = line.data() + line.size();
    while (p < end) {
        while (p < end && (*p < '0' || *p > '9')) ++p;
        if (p == end) break;
        std::uint64_t v = 0;
        auto [next, ec] = std::from_chars(p, end, v);
        if (ec != std::errc{}) break;
        out.push_back(v);
        p = next;
    }
    return out;
}

}  // namespace

std::optional<CpuTimes> parse_proc_stat(std::string_view text) {
    // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
    std::string_view line = line_starting_with(text, "cpu ");
    if (line.empty()) return std::nullopt;
    auto fields = numbers_in(line.substr(4));
    if (fields.size() < 4) return std::nullopt;
    CpuTimes t;
    // guest and guest_nice are already counted in user and nice.
    const std::size_t counted = std::min<std::size_t>(fields.size(), 8);
    for (std::size_t i = 0; i < counted; ++i) t.total += fields[i];
    const std::uint64_t idle = fields[3] + (fields.size() > 4 ? fields[4] : 0);
    t.busy = t.total - idle;
    return t;
}

std::optional<MemoryFigures> parse_meminfo(std::string_view text) {
    auto total = numbers_in(line_starting_with(text, "MemTotal:"));
    auto available = numbers_in(line_starting_with(text, "MemAvailable:"));
    if (total.size() != 1 || available.size() != 1) return std::nullopt;
    return MemoryFigures{total[0] * 1024, available[0] * 1024};
}

double cpu_usage_percent(const CpuTimes& before, const CpuTimes& after) noexcept {
    if (after.total <= before.total || after.busy < before.busy) return 0.0;
    const double busy = static_cast<double>(after.busy - before.busy);
    const double total = static_cast<double>(after.total - before.total);
    const double percent = 100.0 * busy / total;
    return percent > 100.0 ? 100.0 : percent;
}

}  // namespace smartlog::core
