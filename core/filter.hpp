// core/filter.hpp: which entries a viewer wants (docs/protocol.md "Filters").
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/entry.hpp"
#include "core/field_query.hpp"

namespace smartlog::core {

// Most distinct levels one filter may name: the six canonical ones and custom ones. Past it a
// filter is refused, so a filter costs at most this many comparisons per entry.
inline constexpr std::size_t kMaxFilterLevels = 64;
// Longest search string a filter or a query may carry, in bytes.
inline constexpr std::size_t kMaxSearchBytes = 1024;

struct Filter {
    std::vector<std::string> levels;         // normalised names; empty: every level
    std::optional<std::int64_t> start_time;  // inclusive, ms
    std::optional<std::int64_t> end_time;    // inclusive, ms
    std::string search;                  // case-insensitive substring of the message; empty: any
    std::vector<FieldCondition> fields;  // metadata conditions, all must hold (field_query.hpp)

    // True when no field restricts anything, so every entry matches.
    bool accepts_all() const noexcept;
    bool matches(const Entry& e) const noexcept;

    bool operator==(const Filter&) const = default;
};

// Case-insensitive (ASCII letters only: other bytes compare as they are) substring test, in
// time linear in haystack + needle. An empty needle is found everywhere.
// Thread-safe: its scratch buffers are thread_local.
bool contains_ignoring_case(std::string_view haystack, std::string_view needle) noexcept;

}  // namespace smartlog::core
