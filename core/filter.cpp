#include "core/filter.hpp"

#include <algorithm>
#include <cstring>

namespace smartlog::core {

namespace {

char fold(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// `text` with ASCII letters lower-cased, into `out` (its capacity kept from call to call).
std::string_view folded(std::string_view text, std::string& out) {
    out.resize(text.size());
    std::transform(text.begin(), text.end(), out.begin(), fold);
    return out;
}

}  // namespace

bool contains_ignoring_case(std::string_view haystack, std::string_view needle) noexcept {
    if (needle.empty()) return true;
    if (needle.size() > haystack.size()) return false;
    // Folding both sides first turns the search into a plain one, and glibc's memmem is
    // linear in the worst case (docs/security.md, "Bounded work"): a comparison per pair of
    // positions, as std::search does, took 20 s over a history of 60 KB messages of `a` with
    // a 1 KB needle of `a`s ending in `b`. Both scratch strings stay at their largest size,
    // which the message and search limits bound.
    thread_local std::string hay_scratch;
    thread_local std::string needle_scratch;
    const std::string_view h = folded(haystack, hay_scratch);
    const std::string_view n = folded(needle, needle_scratch);
    return ::memmem(h.data(), h.size(), n.data(), n.size()) != nullptr;
}

bool Filter::accepts_all() const noexcept {
    return levels.empty() && !start_time && !end_time && search.empty() && fields.empty();
}

bool Filter::matches(const Entry& e) const noexcept {
    if (!levels.empty() && std::find(levels.begin(), levels.end(), e.level()) == levels.end()) {
        return false;
    }
    if (start_time && e.timestamp() < *start_time) return false;
    if (end_time && e.timestamp() > *end_time) return false;
    if (!search.empty()) {
        // The search is on the message's text: an entry keeps it escaped, as JSON holds it.
        thread_local std::string unescaped;
        if (!contains_ignoring_case(e.message(unescaped), search)) return false;
    }
    return fields_match(e.metadata(), fields);
}

}  // namespace smartlog::core
