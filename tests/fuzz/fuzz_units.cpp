// libFuzzer target: durations and sizes in settings; formatting must round-trip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/units.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace smartlog::core;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto d = parse_duration(text)) {
        if (parse_duration(format_duration(*d)) != d) std::abort();
    }
    if (auto n = parse_size(text)) {
        if (parse_size(format_size(*n)) != n) std::abort();
    }
    return 0;
}
