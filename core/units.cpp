#include "core/units.hpp"

#include <array>
#include <charconv>
#include <limits>
#include <utility>

namespace smartlog::core {

namespace {

// Splits "123unit" into its number and unit; nullopt when there is no leading number.
std::optional<std::pair<std::uint64_t, std::string_view>> split_number(std::string_view text) {
    std::uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || ptr == text.data()) return std::nullopt;
    std::string_view unit(ptr, static_cast<std::size_t>(text.data() + text.size() - ptr));
    while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
    return std::pair{value, unit};
}

std::optional<std::uint64_t> checked_multiply(std::uint64_t a, std::uint64_t b) {
    if (b != 0 && a > std::numeric_limits<std::uint64_t>::max() / b) return std::nullopt;
    return a * b;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    auto parts = split_number(text);
    if (!parts) return std::nullopt;
    static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 5> kUnits = {
        {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}}};
    for (const auto& [unit, factor] : kUnits) {
        if (parts->second != unit) continue;
        auto ms = checked_multiply(parts->first, factor);
        if (!ms || *ms > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return std::nullopt;
        }
        return std::chrono::milliseconds(static_cast<std::int64_t>(*ms));
    }
    return std::nullopt;
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
    auto parts = split_number(text);
    if (!parts) return std::nullopt;
    static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 8> kUnits = {
        {{"", 1},
         {"B", 1},
         {"KiB", 1ull << 10},
         {"MiB", 1ull << 20},
         {"GiB", 1ull << 30},
         {"KB", 1000},
         {"MB", 1'000'000},
         {"GB", 1'000'000'000}}};
    for (const auto& [unit, factor] : kUnits) {
        if (parts->second == unit) return checked_multiply(parts->first, factor);
    }
    return std::nullopt;
}

std::string format_duration(std::chrono::milliseconds d) {
    const auto ms = d.count();
    static constexpr std::array<std::pair<std::string_view, std::int64_t>, 4> kUnits = {
        {{"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1000}}};
    for (const auto& [unit, factor] : kUnits) {
        if (ms != 0 && ms % factor == 0) return std::to_string(ms / factor) + std::string(unit);
    }
    return std::to_string(ms) + "ms";
}

std::string format_size(std::uint64_t bytes) {
    static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 3> kUnits = {
        {{"GiB", 1ull << 30}, {"MiB", 1ull << 20}, {"KiB", 1ull << 10}}};
    for (const auto& [unit, factor] : kUnits) {
        if (bytes != 0 && bytes % factor == 0)
            return std::to_string(bytes / factor) + std::string(unit);
    }
    return std::to_string(bytes);
}

}  // namespace smartlog::core
