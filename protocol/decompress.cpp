#include "protocol/decompress.hpp"

#include <snappy.h>
#include <zlib.h>

#include <fmt/format.h>
#include <limits>

namespace smartlog::protocol {

namespace {

InflateError too_large(std::size_t max_out) {
    return {true, fmt::format("the decompressed body is over {} bytes", max_out)};
}

}  // namespace

std::variant<std::string, InflateError> inflate_body(std::string_view in, Compression kind,
                                                     std::size_t max_out) {
    z_stream z{};
    const int window = kind == Compression::gzip ? 16 + MAX_WBITS : MAX_WBITS;
    if (inflateInit2(&z, window) != Z_OK)
        return InflateError{false, "cannot start the decompressor"};
    struct Guard {
        z_stream* z;
        ~Guard() { inflateEnd(z); }
    } guard{&z};

    if (in.empty()) return InflateError{false, "the compressed body is empty"};
    if (in.size() > std::numeric_limits<uInt>::max())
        return InflateError{false, "the body is too large to decompress"};
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());

    // Grown as it fills, never past max_out: a bomb costs at most max_out bytes.
    std::string out(std::min<std::size_t>(max_out, std::max<std::size_t>(in.size() * 4, 4096)),
                    '\0');
    std::size_t produced = 0;
    for (;;) {
        // Once max_out bytes are out, inflate into a one-byte probe: any output is one too many.
        unsigned char probe = 0;
        const bool full = produced == out.size() && out.size() >= max_out;
        if (produced == out.size() && !full) out.resize(std::min(max_out, out.size() * 2));
        if (full) {
            z.next_out = &probe;
            z.avail_out = 1;
        } else {
            z.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
            z.avail_out = static_cast<uInt>(out.size() - produced);
        }
        const int rc = inflate(&z, Z_NO_FLUSH);
        if (full) {
            if (z.avail_out == 0) return too_large(max_out);
        } else {
            produced = out.size() - z.avail_out;
        }
        if (rc == Z_STREAM_END) {
            if (z.avail_in == 0) break;
            // gzip allows members one after another (RFC 1952 2.2); zlib is one stream.
            if (kind != Compression::gzip)
                return InflateError{false, "data after the end of the compressed stream"};
            if (inflateReset(&z) != Z_OK)
                return InflateError{false, "cannot restart the decompressor"};
            continue;
        }
        if (rc == Z_BUF_ERROR && z.avail_in == 0)
            return InflateError{false, "the compressed body is truncated"};
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return InflateError{false, "the compressed body is corrupt"};
    }
    out.resize(produced);
    return out;
}

std::variant<std::string, InflateError> unsnappy(std::string_view in, std::size_t max_out) {
    std::size_t length = 0;
    if (!snappy::GetUncompressedLength(in.data(), in.size(), &length)) {
        return InflateError{false, "the body is not snappy block-compressed"};
    }
    if (length > max_out) return too_large(max_out);
    std::string out(length, '\0');
    if (!snappy::RawUncompress(in.data(), in.size(), out.data())) {
        return InflateError{false, "the snappy-compressed body is corrupt"};
    }
    return out;
}

}  // namespace smartlog::protocol
