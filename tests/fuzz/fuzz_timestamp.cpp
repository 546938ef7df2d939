// libFuzzer target: ISO-8601 timestamps from producers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/timestamp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto ms = smartlog::protocol::parse_iso8601_ms(text)) {
        // Four-digit years bound the result: year 0 to 9999, give or take a day of offset.
        if (*ms < -62'300'000'000'000 || *ms > 253'500'000'000'000) std::abort();
    }
    return 0;
}
