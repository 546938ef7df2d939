// libFuzzer target: Loki push bodies. The first byte picks the decoder (even: snappy-compressed
// protobuf, odd: JSON); any body is either refused whole or split into entries that pass
// tests/fuzz/ingest_checks.hpp. Labels go through parse_loki_labels too.
#include <cstddef>
#include <cstdint>

#include "protocol/decompress.hpp"
#include "protocol/loki_decoder.hpp"
#include "tests/fuzz/ingest_checks.hpp"

using namespace smartlog;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
    const auto limits = fuzz::small_limits();
    std::variant<protocol::LogsRequest, protocol::DecodeError> decoded;
    if (data[0] % 2 == 0) {
        auto raw = protocol::unsnappy(body, 1 << 16);
        if (auto* error = std::get_if<protocol::InflateError>(&raw)) {
            fuzz::check(!error->message.empty());
            // Not snappy: read it as protobuf as it stands, and as labels.
            decoded = protocol::decode_loki_protobuf(body, limits);
            if (auto labels = protocol::parse_loki_labels(body)) {
                for (const auto& [k, v] : *labels) fuzz::check(!k.empty());
            }
        } else {
            fuzz::check(std::get<std::string>(raw).size() <= (1 << 16));
            decoded = protocol::decode_loki_protobuf(std::get<std::string>(raw), limits);
        }
    } else {
        decoded = protocol::decode_loki_json(body, limits);
    }
    if (auto* error = std::get_if<protocol::DecodeError>(&decoded)) {
        fuzz::check(!error->message.empty());
        return 0;
    }
    fuzz::check_logs(std::get<protocol::LogsRequest>(decoded), limits);
    return 0;
}
