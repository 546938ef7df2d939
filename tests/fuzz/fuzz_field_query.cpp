// libFuzzer target: the field-search syntax (core/field_query.hpp). The input is a search and a
// metadata text, split at the first NUL. Checks: parsing either refuses or gives conditions that
// write back to a search parsing to the same conditions; matching never reads out of bounds on
// any metadata (well-formed or not), agrees with Boost.JSON on whether a present string member
// equals its value, and `!=` is the negation of `=`. Inputs are capped as the server caps them.
#include <boost/json/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "core/field_query.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace smartlog::core;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto nul = input.find('\0');
    const std::string_view search = input.substr(0, nul);
    const std::string_view metadata =
        nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
    if (search.size() > 1024 || metadata.size() > 16384) return 0;  // the server's caps

    auto parsed = parse_search(search);
    auto* query = std::get_if<SearchQuery>(&parsed);
    if (!query) return 0;
    if (query->fields.size() > kMaxFieldConditions) std::abort();

    std::string written;
    for (const auto& f : query->fields)
        written += (written.empty() ? "" : " ") + format_condition(f);
    auto again = parse_search(written);
    auto* reparsed = std::get_if<SearchQuery>(&again);
    if (!reparsed || reparsed->fields != query->fields) std::abort();

    for (const auto& f : query->fields) {
        FieldCondition eq = f, ne = f;
        eq.op = FieldOp::eq;
        ne.op = FieldOp::ne;
        if (fields_match(metadata, {eq}) == fields_match(metadata, {ne})) std::abort();
    }
    // Against Boost.JSON on well-formed metadata: a string member at the path equals the value
    // exactly when the reader says so (duplicate keys aside: the reader takes the first).
    boost::system::error_code ec;
    const auto doc = boost::json::parse(metadata, ec);
    if (!ec && doc.is_object()) {
        for (const auto& f : query->fields) {
            const boost::json::value* v = &doc;
            for (const auto& key : f.path) {
                const auto* o = v->if_object();
                v = o ? o->if_contains(key) : nullptr;
                if (!v) break;
            }
            if (!v || !v->is_string()) continue;
            FieldCondition eq = f;
            eq.op = FieldOp::eq;
            const bool expected = std::string_view(v->get_string()) == f.value;
            if (fields_match(metadata, {eq}) != expected &&
                metadata.find("\\") == std::string_view::npos) {
                // Only without escapes in keys can the first and last duplicate differ silently.
                bool duplicates = false;
                for (const auto& key : f.path)
                    duplicates = duplicates || metadata.find("\"" + key + "\"") !=
                                                   metadata.rfind("\"" + key + "\"");
                if (!duplicates) std::abort();
            }
        }
    }
    return 0;
}
