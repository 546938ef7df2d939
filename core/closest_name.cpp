#include "core/closest_name.hpp"

#include <algorithm>
#include <numeric>

namespace smartlog::core {

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t cap) {
    const std::size_t gap = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
    if (gap > cap) return cap + 1;
    std::vector<std::size_t> row(b.size() + 1);
    std::iota(row.begin(), row.end(), std::size_t{0});
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        std::size_t best = row[0];
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] =
                std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0u : 1u)});
            diagonal = above;
            best = std::min(best, row[j]);
        }
        if (best > cap) return cap + 1;  // every path already costs more
    }
    return std::min(row[b.size()], cap + 1);
}

std::optional<std::string> closest_name(std::string_view typed,
                                        const std::vector<std::string>& candidates) {
    std::optional<std::string> best;
    std::size_t best_distance = 3;
    for (const std::string& candidate : candidates) {
        const std::size_t longer = std::max(typed.size(), candidate.size());
        const std::size_t allowed = std::min<std::size_t>(2, (longer + 1) / 3);
        const std::size_t d = edit_distance(typed, candidate, allowed);
        if (d <= allowed && d < best_distance) {
            best = candidate;
            best_distance = d;
        }
    }
    return best;
}

}  // namespace smartlog::core
