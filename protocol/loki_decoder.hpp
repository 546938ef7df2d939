// protocol/loki_decoder.hpp: Loki push API requests (POST /loki/api/v1/push), JSON or protobuf
// (already un-snappied), decoded into entries as docs/ingest.md "Loki" maps them. Pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/ingest_common.hpp"
#include "protocol/limits.hpp"
#include "protocol/messages.hpp"

namespace smartlog::protocol {

// {"streams":[{"stream":{labels},"values":[["<ns>","line"(,{structured metadata})], ...]}]}.
// Each value is one entry, indexed across streams in order. A body of another shape is a
// DecodeError (400).
std::variant<LogsRequest, DecodeError> decode_loki_json(std::string_view body,
                                                        const Limits& limits);
// PushRequest in protobuf (the labels of each stream in Prometheus form: {name="value", ...}).
std::variant<LogsRequest, DecodeError> decode_loki_protobuf(std::string_view body,
                                                            const Limits& limits);

// Prometheus label text `{a="1", b="x\"y"}`, as Loki's protobuf streams carry it; nullopt when
// malformed.
std::optional<std::map<std::string, std::string>> parse_loki_labels(std::string_view text);

}  // namespace smartlog::protocol
