#include "core/filter.hpp"

#include <algorithm>

namespace smartlog::core {

namespace {

char fold(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

}  // namespace

bool contains_ignoring_case(std::string_view haystack, std::string_view needle) noexcept {
    if (needle.empty()) return true;
    auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                          [](char a, char b) { return fold(a) == fold(b); });
    return it != haystack.end();
}

bool Filter::accepts_all() const noexcept {
    return levels.empty() && !start_time && !end_time && search.empty() && fields.empty();
}

bool Filter::matches(const Entry& e) const noexcept {
    if (!levels.empty() && std::find(levels.begin(), levels.end(), e.level) == levels.end()) {
        return false;
    }
    if (start_time && e.timestamp < *start_time) return false;
    if (end_time && e.timestamp > *end_time) return false;
    return contains_ignoring_case(e.message, search) && fields_match(e.metadata, fields);
}

}  // namespace smartlog::core
