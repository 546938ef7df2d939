#include "bench/ws_client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>

#include "bench/workload.hpp"

namespace smartlog::bench {
namespace {

using tcp = net::ip::tcp;

constexpr std::size_t kBufferBytes = 256 * 1024;  // as the Redis client's read buffer
constexpr std::size_t kMinFreeBytes = 64 * 1024;  // never read into less than this
constexpr std::uint64_t kMaxMessage = std::uint64_t{256}
                                      << 20;  // Beast's read_message_max was 256 MiB

// RFC 6455 section 1.3's example key and the accept value a conforming server derives from it.
constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view kAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

constexpr std::uint64_t kHighBits = 0x8080808080808080ull;

bool continuation(unsigned char c) { return (c & 0xc0) == 0x80; }

}  // namespace

bool valid_utf8(const char* text, std::size_t n) {
    const auto* p = reinterpret_cast<const unsigned char*>(text);
    const auto* const end = p + n;
    while (p < end) {
        // ASCII, 32 bytes at a time; on a word with a high bit, jump to that byte.
        while (end - p >= 32) {
            std::uint64_t w[4];
            std::memcpy(w, p, 32);
            if (((w[0] | w[1] | w[2] | w[3]) & kHighBits) == 0) {
                p += 32;
                continue;
            }
            int i = 0;
            while ((w[i] & kHighBits) == 0) ++i;
            p += 8 * i + std::countr_zero(w[i] & kHighBits) / 8;  // little-endian: first in memory
            break;
        }
        if (p == end) break;
        const unsigned char c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        const auto left = end - p;
        if (c < 0xc2) return false;  // a stray continuation byte, or an overlong C0/C1 lead
        if (c < 0xe0) {
            if (left < 2 || !continuation(p[1])) return false;
            p += 2;
        } else if (c < 0xf0) {
            if (left < 3 || !continuation(p[1]) || !continuation(p[2])) return false;
            if (c == 0xe0 && p[1] < 0xa0) return false;   // overlong
            if (c == 0xed && p[1] >= 0xa0) return false;  // UTF-16 surrogate
            p += 3;
        } else if (c < 0xf5) {
            if (left < 4 || !continuation(p[1]) || !continuation(p[2]) || !continuation(p[3]))
                return false;
            if (c == 0xf0 && p[1] < 0x90) return false;   // overlong
            if (c == 0xf4 && p[1] >= 0x90) return false;  // above U+10FFFF
            p += 4;
        } else {
            return false;
        }
    }
    return true;
}

WsClient::WsClient(net::any_io_executor ex)
    : sock_(ex), buf_(kBufferBytes), mask_state_(static_cast<std::uint32_t>(now_ns()) | 1u) {}

net::awaitable<void> WsClient::connect(net::ip::address_v4 source, tcp::endpoint server) {
    sock_.open(tcp::v4());
    sock_.bind(tcp::endpoint(source, 0));
    co_await sock_.async_connect(server, net::use_awaitable);
    sock_.set_option(tcp::no_delay(true));
    const auto request = fmt::format(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\n\r\n",
        server.port(), kKey);
    co_await net::async_write(sock_, net::buffer(request), net::use_awaitable);
    // The response's header; whatever follows it stays in buf_ as the first frames.
    for (;;) {
        const std::string_view got(buf_.data(), end_);
        const auto header_end = got.find("\r\n\r\n");
        if (header_end != std::string_view::npos) {
            const auto header = got.substr(0, header_end);
            if (!header.starts_with("HTTP/1.1 101") ||
                header.find(kAccept) == std::string_view::npos)
                throw std::runtime_error("WebSocket upgrade refused: " +
                                         std::string(header.substr(0, 200)));
            begin_ = header_end + 4;
            co_return;
        }
        if (end_ > 16 * 1024)
            throw std::runtime_error("WebSocket upgrade: no end of header in 16 KiB");
        co_await read_more();
    }
}

net::awaitable<void> WsClient::write_text(std::string_view text) {
    co_await write_frame(0x1, text);
}

net::awaitable<void> WsClient::write_frame(unsigned opcode, std::string_view payload) {
    out_.clear();
    out_.push_back(static_cast<char>(0x80 | opcode));
    const auto n = payload.size();
    if (n < 126) {
        out_.push_back(static_cast<char>(0x80 | n));
    } else if (n <= 0xffff) {
        out_.push_back(static_cast<char>(0x80 | 126));
        out_.push_back(static_cast<char>(n >> 8));
        out_.push_back(static_cast<char>(n & 0xff));
    } else {
        out_.push_back(static_cast<char>(0x80 | 127));
        for (int i = 7; i >= 0; --i)
            out_.push_back(static_cast<char>((std::uint64_t{n} >> (8 * i)) & 0xff));
    }
    // xorshift32: masks need not be secret here, only present (RFC 6455 section 5.3).
    mask_state_ ^= mask_state_ << 13;
    mask_state_ ^= mask_state_ >> 17;
    mask_state_ ^= mask_state_ << 5;
    char mask[4];
    std::memcpy(mask, &mask_state_, 4);
    out_.append(mask, 4);
    const auto at = out_.size();
    out_.append(payload);
    for (std::size_t i = 0; i < n; ++i)
        out_[at + i] = static_cast<char>(out_[at + i] ^ mask[i % 4]);
    co_await net::async_write(sock_, net::buffer(out_), net::use_awaitable);
}

void WsClient::reserve(std::size_t want) {
    if (begin_ == end_) begin_ = end_ = 0;
    if (buf_.size() - begin_ >= want && buf_.size() - end_ >= kMinFreeBytes) return;
    if (begin_ > 0) {
        std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    const auto need = std::max(want, end_ + kMinFreeBytes);
    if (buf_.size() < need) buf_.resize(std::max(need, buf_.size() * 2));
}

net::awaitable<void> WsClient::read_more() {
    reserve(end_ - begin_ + 1);
    const auto n = co_await sock_.async_read_some(
        net::buffer(buf_.data() + end_, buf_.size() - end_), net::use_awaitable);
    last_read_ns_ = now_ns();
    end_ += n;
}

net::awaitable<WsClient::Message> WsClient::read() {
    for (;;) {
        const auto avail = end_ - begin_;
        const auto* h = reinterpret_cast<const unsigned char*>(buf_.data() + begin_);
        std::size_t header = 2;
        std::uint64_t len = 0;
        if (avail >= 2) {
            len = h[1] & 0x7f;
            if (len == 126) header = 4;
            if (len == 127) header = 10;
        }
        if (avail < header || avail < 2) {
            reserve(header);
            co_await read_more();
            continue;
        }
        if (header == 4) len = (std::uint64_t{h[2]} << 8) | h[3];
        if (header == 10) {
            len = 0;
            for (int i = 2; i < 10; ++i) len = (len << 8) | h[i];
        }
        if (h[0] & 0x70)
            throw std::runtime_error("WebSocket frame with RSV bits set (no extension agreed)");
        if (h[1] & 0x80) throw std::runtime_error("WebSocket frame from the server is masked");
        if (len > kMaxMessage)
            throw std::runtime_error(fmt::format("WebSocket frame of {} bytes", len));
        if (avail < header + len) {
            reserve(header + static_cast<std::size_t>(len));
            co_await read_more();
            continue;
        }
        const bool fin = (h[0] & 0x80) != 0;
        const unsigned opcode = h[0] & 0x0f;
        const std::string_view payload(buf_.data() + begin_ + header,
                                       static_cast<std::size_t>(len));
        begin_ += header + static_cast<std::size_t>(len);

        if (opcode >= 0x8) {  // control frames may come between fragments
            if (!fin || len > 125)
                throw std::runtime_error("WebSocket control frame fragmented or too long");
            if (opcode == 0x9) {
                co_await write_frame(0xa, payload);
            } else if (opcode == 0x8) {
                const std::string code(payload.substr(0, std::min<std::size_t>(payload.size(), 2)));
                co_await write_frame(0x8, code);
                throw std::runtime_error("the server closed the WebSocket connection");
            } else if (opcode != 0xa) {
                throw std::runtime_error(
                    fmt::format("WebSocket frame with reserved opcode {}", opcode));
            }
            continue;
        }
        if (opcode == 0x0) {
            if (!in_fragments_)
                throw std::runtime_error("WebSocket continuation frame without a start");
            if (fragments_.size() + payload.size() > kMaxMessage)
                throw std::runtime_error("WebSocket message over 256 MiB");
            fragments_.append(payload);
            if (!fin) continue;
            in_fragments_ = false;
            if (fragments_text_ && !valid_utf8(fragments_.data(), fragments_.size()))
                throw std::runtime_error("invalid UTF-8 in a WebSocket text message");
            co_return Message{fragments_, fragments_text_};
        }
        if (opcode != 0x1 && opcode != 0x2)
            throw std::runtime_error(
                fmt::format("WebSocket frame with reserved opcode {}", opcode));
        if (in_fragments_)
            throw std::runtime_error("WebSocket data frame inside a fragmented message");
        if (!fin) {
            in_fragments_ = true;
            fragments_text_ = opcode == 0x1;
            fragments_.assign(payload);
            continue;
        }
        if (opcode == 0x1 && !valid_utf8(payload.data(), payload.size()))
            throw std::runtime_error("invalid UTF-8 in a WebSocket text message");
        co_return Message{payload, opcode == 0x1};
    }
}

void WsClient::close() {
    boost::system::error_code ec;
    sock_.close(ec);
}

}  // namespace smartlog::bench
