#include "core/level.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <utility>

namespace smartlog::core {

namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kAliases = {{
    {"warning", "warn"},
    {"err", "error"},
    {"critical", "fatal"},
    {"crit", "fatal"},
    {"panic", "fatal"},
}};

}  // namespace

std::optional<std::string> normalize_level(std::string_view raw) {
    if (raw.size() > kMaxLevelLength) return std::nullopt;
    if (raw.empty()) return std::string("info");
    std::string lower(raw);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) {
        return static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    });
    for (const auto& [alias, canonical] : kAliases) {
        if (lower == alias) return std::string(canonical);
    }
    return lower;
}

bool is_error_level(std::string_view normalized) noexcept {
    return normalized == "error" || normalized == "fatal";
}

int level_rank(std::string_view normalized) noexcept {
    const auto* it = std::find(std::begin(kRankedLevels), std::end(kRankedLevels), normalized);
    return it == std::end(kRankedLevels) ? -1 : static_cast<int>(it - std::begin(kRankedLevels));
}

std::vector<std::string> levels_at_or_above(std::string_view normalized) {
    std::vector<std::string> out;
    const int rank = level_rank(normalized);
    if (rank < 0) return out;
    for (auto it = std::begin(kRankedLevels) + rank; it != std::end(kRankedLevels); ++it)
        out.emplace_back(*it);
    return out;
}

}  // namespace smartlog::core
