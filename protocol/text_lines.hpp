// protocol/text_lines.hpp: a text/plain ingest body, one entry per line (docs/ingest.md
// "Plain text"). Pure function.
#pragma once

#include <string>
#include <string_view>

#include "protocol/limits.hpp"
#include "protocol/messages.hpp"

namespace smartlog::protocol {

// Each line that is not blank (spaces, tabs, "\r"), a trailing "\r" dropped, becomes an entry of
// level `level` with no timestamp (the server's receive time) and no metadata; ill-formed UTF-8 is
// repaired. Its index counts non-blank lines. A line over max_message_bytes is rejected alone.
LogsRequest decode_text_lines(std::string_view body, const std::string& level,
                              const Limits& limits);

}  // namespace smartlog::protocol
