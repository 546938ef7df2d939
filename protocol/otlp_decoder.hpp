// protocol/otlp_decoder.hpp: OTLP/HTTP logs requests (ExportLogsServiceRequest), protobuf or the
// OTLP JSON mapping, decoded into entries as docs/ingest.md "OTLP" maps them; and the answers
// OTLP clients expect. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/ingest_common.hpp"
#include "protocol/limits.hpp"
#include "protocol/messages.hpp"

namespace smartlog::protocol {

// Every log record of the request in order (its index counts records across resources and
// scopes), accepted or rejected for the size limits. A body that is not a request is a
// DecodeError (answered 400, which OTLP clients do not retry).
std::variant<LogsRequest, DecodeError> decode_otlp_protobuf(std::string_view body,
                                                            const Limits& limits);
// The same from the JSON mapping: lowerCamelCase keys (the proto names are accepted too), enums
// as integers, 64-bit integers as decimal strings or numbers, traceId/spanId as hex, bytes as
// base64.
std::variant<LogsRequest, DecodeError> decode_otlp_json(std::string_view body,
                                                        const Limits& limits);

// ExportLogsServiceResponse: empty when nothing was rejected, else partialSuccess with the count
// and `message`.
std::string otlp_response_protobuf(std::int64_t rejected, std::string_view message);
std::string otlp_response_json(std::int64_t rejected, std::string_view message);
// google.rpc.Status, the body of an OTLP error answer (code: a gRPC code, e.g. 3 invalid argument).
std::string otlp_status_protobuf(int code, std::string_view message);
std::string otlp_status_json(int code, std::string_view message);

// The level of a record: severity_number 1-4/5-8/9-12/13-16/17-20/21-24 -> trace/debug/info/
// warn/error/fatal; else the severity text through the level aliases; else "info".
std::string otlp_level(std::int32_t severity_number, std::string_view severity_text);

}  // namespace smartlog::protocol
