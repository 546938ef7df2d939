// libFuzzer target: OTLP/HTTP logs bodies. The first byte picks the decoder (even: protobuf,
// odd: the JSON mapping); any body is either refused whole or split into entries that pass
// tests/fuzz/ingest_checks.hpp, and the answers built from it are well-formed.
#include <cstddef>
#include <cstdint>

#include "protocol/otlp_decoder.hpp"
#include "tests/fuzz/ingest_checks.hpp"

using namespace smartlog;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
    const auto limits = fuzz::small_limits();
    auto decoded = data[0] % 2 == 0 ? protocol::decode_otlp_protobuf(body, limits)
                                    : protocol::decode_otlp_json(body, limits);
    if (auto* error = std::get_if<protocol::DecodeError>(&decoded)) {
        fuzz::check(!error->message.empty());
        boost::system::error_code ec;
        boost::json::parse(protocol::otlp_status_json(3, error->message), ec);
        fuzz::check(!ec);
        return 0;
    }
    const auto& logs = std::get<protocol::LogsRequest>(decoded);
    fuzz::check_logs(logs, limits);
    boost::system::error_code ec;
    boost::json::parse(
        protocol::otlp_response_json(static_cast<std::int64_t>(logs.rejected.size()),
                                     logs.rejected.empty() ? "" : logs.rejected[0].message),
        ec);
    fuzz::check(!ec);
    return 0;
}
