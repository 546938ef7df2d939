// libFuzzer target: the WebSocket message codec, every client message's validation, and the
// encoding of what it accepted (an accepted entry must encode to JSON that parses back). The
// entries, read without a document (protocol/entry_parser.hpp), must be what a document says
// (tests/support/entries_oracle.hpp), for the frame and for the HTTP layouts alike; and the
// scanner must read them exactly as the event parser does (tests/support/entries_compare.hpp).
#include <algorithm>
#include <boost/json/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/entry.hpp"
#include "core/filter.hpp"
#include "protocol/codec.hpp"
#include "protocol/encode.hpp"
#include "protocol/entry_parser.hpp"
#include "protocol/entry_recycling.hpp"
#include "protocol/utf8.hpp"
#include "tests/support/entries_compare.hpp"
#include "tests/support/entries_oracle.hpp"

using namespace smartlog;

namespace {
bool well_formed_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = protocol::utf8_sequence_length(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    protocol::Limits limits;
    limits.max_message_bytes = 256;
    limits.max_metadata_bytes = 128;
    for (auto layout : {protocol::EntryLayout::logs_frame, protocol::EntryLayout::ingest_body,
                        protocol::EntryLayout::single_entry}) {
        auto parsed = protocol::parse_entries(text, layout, limits);
        auto document = testing::decode_with_document(text, layout, limits);
        if (bool(parsed) != bool(document)) std::abort();
        if (parsed && !testing::differences(*parsed, *document, limits).empty()) std::abort();
        if (!testing::scanner_differences(text, layout, limits).empty()) std::abort();
        // As WebSocket frames come: checked for UTF-8 already.
        if (well_formed_utf8(text) &&
            !testing::scanner_differences(text, layout, limits, {.utf8_checked = true}).empty())
            std::abort();
        // As the server does: later inputs are read into these entries' buffers, so a value
        // left over from an earlier input would show as a difference above.
        if (parsed) protocol::recycle_entries(std::move(parsed->entries.accepted));
    }
    auto frame = protocol::decode_frame(text, limits);
    if (!frame) return 0;
    protocol::allowed_before_auth(frame->type);
    auto& request = frame->request;
    if (!request) return 0;
    if (auto* logs = std::get_if<protocol::LogsRequest>(&*request)) {
        for (auto& in : logs->accepted) {
            if (in.message.size() > limits.max_message_bytes) std::abort();
            const core::EntryPtr e =
                protocol::make_entry(in, "0190a5d0-0000-7000-8000-000000000001", 0, "app", "user");
            boost::system::error_code ec;
            auto back = boost::json::parse(e->encoded(), ec);
            if (ec || back.at("message").as_string() != in.message) std::abort();
            // The store keeps only the encoded text: the entry must come back from it whole.
            const core::EntryPtr stored = core::entry_from_encoded(e->encoded());
            if (!stored || stored->message() != in.message || stored->metadata() != in.metadata ||
                stored->level() != in.level || stored->encryption() != in.encryption ||
                stored->bytes() != e->bytes()) {
                std::abort();
            }
        }
    }
    if (auto* filter = std::get_if<protocol::FilterRequest>(&*request)) {
        const auto& f = filter->filter;
        if (f.start_time && f.end_time && *f.start_time > *f.end_time) std::abort();
        if (f.levels.size() > core::kMaxFilterLevels || f.search.size() > core::kMaxSearchBytes)
            std::abort();
        // The linear search must agree with the definition (tests/unit/core/filter_test.cpp):
        // the input's own text as a haystack for the filter's search.
        const bool found = core::contains_ignoring_case(text, f.search);
        const bool expected =
            f.search.empty() ||
            std::search(text.begin(), text.end(), f.search.begin(), f.search.end(),
                        [](char a, char b) {
                            auto fold = [](char c) {
                                return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
                            };
                            return fold(a) == fold(b);
                        }) != text.end();
        if (found != expected) std::abort();
        boost::system::error_code ec;
        boost::json::parse(protocol::filter_applied_frame(f), ec);
        if (ec) std::abort();
    }
    return 0;
}
