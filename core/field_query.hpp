// core/field_query.hpp: search by field (`user.id=42`, `status>=500`, `trace_id=abc`), the
// syntax of docs/protocol.md "Field search", defined here once for the live filter, history and
// the HTTP query. Pure functions, any thread. Everything here is linear in its input: parsing
// reads the search once; matching scans an entry's metadata once per condition, and there are at
// most kMaxFieldConditions of them.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace smartlog::core {

inline constexpr std::size_t kMaxFieldConditions = 8;
inline constexpr std::size_t kMaxFieldPathDepth = 8;

enum class FieldOp { eq, ne, lt, le, gt, ge };

// One `path OP value` term: `path` names a member of the entry's metadata object, nested
// members joined by dots (`user.id` is metadata.user.id).
struct FieldCondition {
    std::vector<std::string> path;
    FieldOp op = FieldOp::eq;
    std::string value;             // as written, quotes removed
    std::optional<double> number;  // `value` read as a number, when it is one

    bool operator==(const FieldCondition&) const = default;
};

// A search split into its field terms and the text the message must contain.
struct SearchQuery {
    std::string text;  // case-insensitive substring of the message; empty: any
    std::vector<FieldCondition> fields;
};

// Splits `search` into field terms and free text. A search with neither a field term nor a
// quoted term is all text, exactly as written. Otherwise the terms are separated by spaces;
// `"..."` is literal text (`\"` and `\\` escape), and the text terms, joined by one space, are
// the substring. Returns why not on an unclosed quote, an empty path segment, more than
// kMaxFieldConditions field terms or a path deeper than kMaxFieldPathDepth.
std::variant<SearchQuery, std::string> parse_search(std::string_view search);

// True when the entry's metadata (JSON text; empty: none) satisfies every condition. A missing
// member satisfies only `!=`. Numbers compare as numbers, strings byte by byte, true, false and
// null by their names; an object or array equals nothing. Metadata that is not well-formed JSON
// satisfies only `!=` conditions on what cannot be found.
bool fields_match(std::string_view metadata_json, const std::vector<FieldCondition>& fields);

// The condition written back in the syntax (`user.id="4 2"`), for echoes and links.
std::string format_condition(const FieldCondition& condition);

}  // namespace smartlog::core
