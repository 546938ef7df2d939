// libFuzzer target: gzip / zlib bodies and bombs (protocol/decompress.hpp). The first byte picks
// gzip or zlib; output never passes the cap, whatever the input claims, and a body that inflates
// is the same when inflated again with room to spare. Seeds include small bombs.
#include <cstddef>
#include <cstdint>

#include "protocol/decompress.hpp"
#include "tests/fuzz/ingest_checks.hpp"

using namespace smartlog;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const auto kind =
        data[0] % 2 == 0 ? protocol::Compression::gzip : protocol::Compression::deflate;
    const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
    constexpr std::size_t kCap = 64 * 1024;
    auto out = protocol::inflate_body(body, kind, kCap);
    if (auto* error = std::get_if<protocol::InflateError>(&out)) {
        fuzz::check(!error->message.empty());
        return 0;
    }
    const std::string& inflated = std::get<std::string>(out);
    fuzz::check(inflated.size() <= kCap);
    auto again = protocol::inflate_body(body, kind, 4 * kCap);
    fuzz::check(std::holds_alternative<std::string>(again) &&
                std::get<std::string>(again) == inflated);
    return 0;
}
