// bench/ws_client.hpp: the viewers' WebSocket client, lean on the receive path.
//
// Beast's websocket::stream spent two thirds of the generator's CPU at fan-out 10 in its
// UTF-8 check: once a buffer holds one non-ASCII byte (one message in eight of the workload
// has an 'é' or a '°'), Boost 1.81's utf8_checker checks the rest of that buffer one code
// point at a time. This client reads whatever the socket holds into one large buffer, hands
// out each complete message in place, and checks text messages with valid_utf8(), which
// returns to eight bytes at a time after every multi-byte character. It speaks only what a
// viewer needs (RFC 6455 client side, no extensions): the handshake, masked text frames out,
// unmasked frames in (fragmented messages reassembled, pings answered, close ends the read).
// Producers, idle, history and restart connections keep Beast: their receive side is small.
#pragma once

#include <boost/asio.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace smartlog::bench {

namespace net = boost::asio;

// True when [p, p + n) is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF), the rule Beast's utf8_checker applies to text frames.
bool valid_utf8(const char* p, std::size_t n);

class WsClient {
public:
    explicit WsClient(net::any_io_executor ex);

    // Connects from `source`, upgrades (checking the server's Sec-WebSocket-Accept).
    net::awaitable<void> connect(net::ip::address_v4 source, net::ip::tcp::endpoint server);
    // One masked text frame.
    net::awaitable<void> write_text(std::string_view text);

    struct Message {
        std::string_view data;  // valid until the next call of read()
        bool text = true;       // false for a binary message
    };
    // The next data message, whole. Throws on a protocol error, invalid UTF-8 in a text
    // message, a message over 256 MiB, or the server's close.
    net::awaitable<Message> read();
    // Steady-clock ns (now_ns) when the socket read that completed the last message returned.
    std::uint64_t last_read_ns() const { return last_read_ns_; }

    void close();
    net::any_io_executor executor() { return sock_.get_executor(); }

private:
    // Makes room for at least `want` bytes from begin_ on, moving the unread bytes to the front.
    void reserve(std::size_t want);
    net::awaitable<void> read_more();
    net::awaitable<void> write_frame(unsigned opcode, std::string_view payload);

    net::ip::tcp::socket sock_;
    std::vector<char> buf_;
    std::size_t begin_ = 0;  // first unread byte
    std::size_t end_ = 0;    // one past the last byte read
    std::string fragments_;  // a fragmented message being reassembled
    bool in_fragments_ = false;
    bool fragments_text_ = true;
    std::uint64_t last_read_ns_ = 0;
    std::uint32_t mask_state_;
    std::string out_;  // the frame being written
};

}  // namespace smartlog::bench
