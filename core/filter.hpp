// core/filter.hpp: which entries a viewer wants (docs/protocol.md "Filters").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/entry.hpp"
#include "core/field_query.hpp"

namespace smartlog::core {

struct Filter {
    std::vector<std::string> levels;  // normalised names; empty: every level
    std::optional<std::int64_t> start_time;  // inclusive, ms
    std::optional<std::int64_t> end_time;    // inclusive, ms
    std::string search;  // case-insensitive substring of the message; empty: any
    std::vector<FieldCondition> fields;  // metadata conditions, all must hold (field_query.hpp)

    // True when no field restricts anything, so every entry matches.
    bool accepts_all() const noexcept;
    bool matches(const Entry& e) const noexcept;

    bool operator==(const Filter&) const = default;
};

// Case-insensitive (ASCII) substring test. An empty needle is found everywhere.
bool contains_ignoring_case(std::string_view haystack, std::string_view needle) noexcept;

}  // namespace smartlog::core
