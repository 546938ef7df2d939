// protocol/decompress.hpp: request bodies as shippers compress them: gzip / zlib (HTTP
// Content-Encoding) and snappy's block format (the Loki push API). Each stops at `max_out`
// bytes of output, so a small bomb cannot make a large allocation. Pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

namespace smartlog::protocol {

struct InflateError {
    bool too_large = false;  // the output would pass max_out (413), else corrupt input (400)
    std::string message;
};

enum class Compression { gzip, deflate };

// gzip (RFC 1952, several members allowed) or zlib (RFC 1950, "deflate" in HTTP).
std::variant<std::string, InflateError> inflate_body(std::string_view in, Compression kind,
                                                     std::size_t max_out);
// Snappy's block format: a varint of the uncompressed length, then the compressed block.
std::variant<std::string, InflateError> unsnappy(std::string_view in, std::size_t max_out);

}  // namespace smartlog::protocol
