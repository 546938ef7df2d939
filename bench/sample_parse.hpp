// bench/sample_parse.hpp: the DOM of a sampled batch, built in an arena of the viewer.
//
// Viewers parse every n-th batch in full (flow.hpp, ViewerCore::sample). With the default
// allocator that parse cost more per delivery than finding every entry's marker (callgrind:
// ~230 instructions per delivered entry at fan-out 10, mostly malloc and free of DOM nodes);
// in a monotonic arena over a buffer kept by the viewer, nodes cost a pointer bump and
// nothing is freed one by one.
#pragma once

#include <boost/json.hpp>

#include <optional>
#include <string_view>
#include <vector>

namespace smartlog::bench {

class SampleParser {
public:
    // The parsed text, or nullptr if it is not JSON. Valid until the next call.
    const boost::json::value* parse(std::string_view text) {
        value_.reset();  // before the arena it lives in
        arena_.reset();
        arena_.emplace(buffer_.data(), buffer_.size());  // fresh: see NOTES.md on release()
        boost::system::error_code ec;
        // Move-constructed, so the value keeps the arena as its storage.
        value_.emplace(boost::json::parse(text, ec, &*arena_));
        if (ec) return nullptr;
        return &*value_;
    }

private:
    // A 256-entry batch of ~300-byte entries and its DOM fit; a larger one takes more blocks
    // from the heap.
    std::vector<unsigned char> buffer_ = std::vector<unsigned char>(std::size_t{1} << 20);
    std::optional<boost::json::monotonic_resource> arena_;
    std::optional<boost::json::value> value_;
};

}  // namespace smartlog::bench
