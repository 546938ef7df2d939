#include "cluster/bus_message.hpp"

#include <charconv>
#include <cstring>

#include "core/cluster_id.hpp"

namespace smartlog::cluster {

namespace {

enum : std::uint8_t { kEncrypted = 1, kPlain = 2 };

void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

void put_string(std::string& out, std::string_view s) {
    put_u32(out, static_cast<std::uint32_t>(s.size()));
    out.append(s);
}

// Reads little-endian fields from a payload; any read past its end makes ok() false.
class Reader {
public:
    explicit Reader(std::string_view in) : in_(in) {}
    bool ok() const noexcept { return ok_; }
    bool done() const noexcept { return in_.empty(); }
    std::uint64_t u(int bytes) {
        if (!ok_ || in_.size() < static_cast<std::size_t>(bytes)) return ok_ = false, 0;
        std::uint64_t v = 0;
        for (int i = 0; i < bytes; ++i)
            v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in_[i])) << (8 * i);
        in_.remove_prefix(static_cast<std::size_t>(bytes));
        return v;
    }
    std::string_view bytes() {
        const std::uint64_t n = u(4);
        if (!ok_ || in_.size() < n) return ok_ = false, std::string_view();
        std::string_view s = in_.substr(0, n);
        in_.remove_prefix(n);
        return s;
    }

private:
    std::string_view in_;
    bool ok_ = true;
};

template <typename T>
bool take_number(std::string_view& in, char end, T& out) {
    const auto stop = in.find(end);
    if (stop == std::string_view::npos || stop == 0) return false;
    const auto [p, ec] = std::from_chars(in.data(), in.data() + stop, out);
    if (ec != std::errc{} || p != in.data() + stop) return false;
    in.remove_prefix(stop + 1);
    return true;
}

}  // namespace

std::optional<BusMessage> parse_bus_message(std::string_view text) noexcept {
    BusMessage m;
    if (text.empty() || (text[0] != 'B' && text[0] != 'C' && text[0] != 'M')) return std::nullopt;
    m.kind = text[0];
    text.remove_prefix(1);
    const auto space = text.find(' ');
    if (space == std::string_view::npos || space == 0) return std::nullopt;
    m.epoch = text.substr(0, space);
    text.remove_prefix(space + 1);
    std::size_t app_len = 0;
    if (!take_number(text, ' ', m.first) || !take_number(text, ' ', m.count) ||
        !take_number(text, ' ', m.time_ms) || !take_number(text, ':', app_len)) {
        return std::nullopt;
    }
    if (text.size() < app_len + 1 || text[app_len] != '\n') return std::nullopt;
    m.app = text.substr(0, app_len);
    m.body = text.substr(app_len + 1);
    return m;
}

std::string encode_payload(std::string_view user_id,
                           const std::vector<protocol::IncomingEntry>& entries) {
    std::size_t size = 8 + user_id.size();
    for (const auto& e : entries)
        size += 25 + e.level.size() + e.message.size() + e.metadata.size() + e.encryption.size();
    std::string out;
    out.reserve(size);
    put_string(out, user_id);
    for (const auto& e : entries) {
        put_u64(out, static_cast<std::uint64_t>(e.timestamp.value_or(0)));
        out.push_back(static_cast<char>((e.encrypted ? kEncrypted : 0) |
                                        (e.message_is_plain ? kPlain : 0)));
        put_string(out, e.level);
        put_string(out, e.message);
        put_string(out, e.metadata);
        put_string(out, e.encryption);
    }
    return out;
}

std::optional<BusEntries> decode_batch(const BusMessage& m, std::uint64_t from) {
    if (m.kind != 'B') return std::nullopt;
    Reader in(m.body);
    BusEntries out;
    out.user_id = std::string(in.bytes());
    const std::uint32_t tag = core::epoch_tag(m.app, m.epoch);
    const std::uint64_t skip = from > m.first ? from - m.first : 0;
    for (std::uint64_t i = 0; i < m.count; ++i) {
        protocol::IncomingEntry e;
        e.timestamp = static_cast<std::int64_t>(in.u(8));
        const auto flags = static_cast<std::uint8_t>(in.u(1));
        const std::string_view level = in.bytes(), message = in.bytes(), metadata = in.bytes(),
                               encryption = in.bytes();
        if (!in.ok()) return std::nullopt;
        if (i < skip) continue;
        e.index = static_cast<std::size_t>(i);
        e.encrypted = flags & kEncrypted;
        e.message_is_plain = flags & kPlain;
        e.level = std::string(level);
        e.message = std::string(message);
        e.metadata = std::string(metadata);
        e.encryption = std::string(encryption);
        out.ids.push_back(core::make_cluster_id({m.time_ms, m.first + i, tag}));
        out.entries.push_back(std::move(e));
    }
    if (!in.done()) return std::nullopt;
    return out;
}

std::string encode_app_metrics(std::string_view app, std::string_view user_id,
                               std::string_view metrics, std::int64_t timestamp) {
    std::string out =
        "M0 0 0 " + std::to_string(timestamp) + " " + std::to_string(app.size()) + ":";
    out.append(app);
    out += '\n';
    out += std::to_string(user_id.size());
    out += ':';
    out.append(user_id);
    out.append(metrics);
    return out;
}

std::optional<AppMetrics> decode_app_metrics(const BusMessage& m) noexcept {
    if (m.kind != 'M') return std::nullopt;
    std::string_view body = m.body;
    std::size_t user_len = 0;
    if (!take_number(body, ':', user_len) || body.size() < user_len) return std::nullopt;
    return AppMetrics{body.substr(0, user_len), body.substr(user_len)};
}

}  // namespace smartlog::cluster
