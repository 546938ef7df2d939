#include "bench/workload.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cstring>
#include <random>

namespace smartlog::bench {
namespace {

const auto kProcessStart = std::chrono::steady_clock::now();

constexpr std::size_t kMinEntryBytes = 120;
constexpr std::size_t kMaxEntryBytes = 300;

// Right-aligns the decimal digits of value in a field of width characters, space-padded.
void write_padded(char* field, int width, std::uint64_t value, char pad) {
    char digits[24];
    const auto res = std::to_chars(digits, digits + sizeof digits, value);
    const auto n = static_cast<int>(res.ptr - digits);
    const int fill = width > n ? width - n : 0;
    std::memset(field, pad, static_cast<std::size_t>(fill));
    std::memcpy(field + fill, digits + (n - (width - fill)),
                static_cast<std::size_t>(width - fill));
}

std::string message_for(std::mt19937_64& rng) {
    auto pick = [&](std::uint64_t n) { return rng() % n; };
    switch (pick(8)) {
        case 0:
            return fmt::format("GET /api/v1/orders/{} {} {}ms", pick(900000) + 1000,
                               pick(10) ? 200 : 404, pick(400) + 1);
        case 1:
            return fmt::format("user {} signed in from 10.{}.{}.{} (session {:x})", pick(100000),
                               pick(256), pick(256), pick(256), rng());
        case 2:
            return fmt::format(
                "payment {} authorised: amount={}.{:02} EUR, provider=stripe, "
                "attempt {}",
                pick(1u << 30), pick(5000), pick(100), pick(3) + 1);
        case 3:
            return fmt::format("cache miss for key session:{:016x}; falling back to database",
                               rng());
        case 4:
            return fmt::format("worker {} finished job {} in {} ms (queue depth {})", pick(16),
                               pick(1u << 24), pick(2000), pick(500));
        case 5:
            return fmt::format(
                "slow query on orders took {} ms: SELECT id, total FROM orders "
                "WHERE customer_id = {} ORDER BY created_at DESC LIMIT 50",
                pick(3000) + 200, pick(1000000));
        case 6:
            return fmt::format("commande {} expédiée au café de la gare, livreur n°{}",
                               pick(100000), pick(40));
        default:
            return fmt::format(
                "connection reset by peer while writing response to "
                "10.0.{}.{}:{} after {} bytes",
                pick(256), pick(256), pick(30000) + 30000, pick(1 << 20));
    }
}

const char* level_for(std::mt19937_64& rng) {
    // Mostly info, as in real services; every canonical level and one alias appear.
    const auto r = rng() % 100;
    if (r < 55) return "info";
    if (r < 70) return "debug";
    if (r < 75) return "trace";
    if (r < 87) return "warn";
    if (r < 90) return "warning";
    if (r < 98) return "error";
    return "fatal";
}

std::string extra_metadata(std::mt19937_64& rng) {
    switch (rng() % 4) {
        case 0: return {};
        case 1:
            return fmt::format(",\"requestId\":\"{:016x}\",\"durationMs\":{}", rng(), rng() % 900);
        case 2:
            return fmt::format(
                ",\"route\":\"/api/v1/items/{}\",\"status\":{},\"tags\":[\"web\","
                "\"eu-west-1\"]",
                rng() % 10000, rng() % 3 ? 200 : 500);
        default: return fmt::format(",\"host\":\"node-{}\",\"pid\":{}", rng() % 8, rng() % 60000);
    }
}

}  // namespace

std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now() - kProcessStart)
                                          .count());
}

std::vector<BatchTemplate> make_batches(int producer, int entries, int count, std::uint64_t seed) {
    std::mt19937_64 rng(seed * 1000003 + static_cast<std::uint64_t>(producer));
    const std::string producer_slot = [&] {
        std::string s(kProducerWidth, ' ');
        write_padded(s.data(), kProducerWidth, static_cast<std::uint64_t>(producer), ' ');
        return s;
    }();
    const std::string seq_slot(kSeqWidth, '0');
    const std::string time_slot(kTimeWidth, '0');

    std::vector<BatchTemplate> out;
    out.reserve(static_cast<std::size_t>(count));
    for (int b = 0; b < count; ++b) {
        BatchTemplate t;
        t.bytes = "{\"type\":\"logs\",\"ref\":\"";
        t.ref_pos = t.bytes.size();
        t.bytes.append(kRefWidth, '0');
        t.bytes += "\",\"data\":{\"logs\":[";
        for (int e = 0; e < entries; ++e) {
            std::string entry, level, message;
            // Redraw until the entry lands in the size range the spec's workload asks for.
            for (int tries = 0; tries < 100; ++tries) {
                level = level_for(rng);
                message = message_for(rng);
                entry = fmt::format(
                    "{{\"level\":\"{}\",\"message\":\"{}\",\"metadata\":{{\"bench\":[{},{},{}]{}}}}"
                    "}",
                    level, message, producer_slot, seq_slot, time_slot, extra_metadata(rng));
                if (entry.size() >= kMinEntryBytes && entry.size() <= kMaxEntryBytes) break;
            }
            if (e > 0) t.bytes += ',';
            const auto begin = t.bytes.size();
            const auto marker = entry.find("\"bench\":[") + 9;
            t.seq_pos.push_back(begin + marker + kProducerWidth + 1);
            t.time_pos.push_back(begin + marker + kProducerWidth + 1 + kSeqWidth + 1);
            t.bytes += entry;
            t.entry_span.emplace_back(begin, t.bytes.size());
            t.level.push_back(level == "warning" ? "warn" : level);
            t.message.push_back(message);
        }
        t.bytes += "]}}";
        out.push_back(std::move(t));
    }
    return out;
}

BatchTemplate rebase(const BatchTemplate& t, std::string prefix, std::string_view suffix) {
    BatchTemplate r;
    const auto shift = prefix.size();
    r.bytes = std::move(prefix);
    r.bytes += t.bytes;
    r.bytes += suffix;
    r.ref_pos = t.ref_pos + shift;
    for (auto p : t.seq_pos) r.seq_pos.push_back(p + shift);
    for (auto p : t.time_pos) r.time_pos.push_back(p + shift);
    for (auto [b, e] : t.entry_span) r.entry_span.emplace_back(b + shift, e + shift);
    r.level = t.level;
    r.message = t.message;
    return r;
}

void patch(BatchTemplate& t, std::uint64_t first_seq, std::uint64_t t0, std::uint64_t ref) {
    write_padded(t.bytes.data() + t.ref_pos, kRefWidth, ref, '0');
    char time_field[kTimeWidth];
    write_padded(time_field, kTimeWidth, t0, ' ');
    for (std::size_t i = 0; i < t.seq_pos.size(); ++i) {
        write_padded(t.bytes.data() + t.seq_pos[i], kSeqWidth, first_seq + i, ' ');
        std::memcpy(t.bytes.data() + t.time_pos[i], time_field, kTimeWidth);
    }
}

std::size_t parse_mark(std::string_view text, std::size_t pos, Mark& out) {
    // By hand rather than std::from_chars: this runs for every delivered entry. At most 19
    // digits, so no value can overflow; no sign, as from_chars.
    const char* p = text.data() + pos;
    const char* const end = text.data() + text.size();
    auto space = [](char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; };
    std::uint64_t values[3];
    for (int i = 0; i < 3; ++i) {
        while (p < end && space(*p)) ++p;
        std::uint64_t v = 0;
        const char* const first = p;
        while (p < end && static_cast<unsigned char>(*p - '0') < 10) {
            if (p - first == 19) return std::string_view::npos;
            v = v * 10 + static_cast<std::uint64_t>(*p - '0');
            ++p;
        }
        if (p == first) return std::string_view::npos;
        values[i] = v;
        while (p < end && space(*p)) ++p;
        const char expected = i < 2 ? ',' : ']';
        if (p == end || *p != expected) return std::string_view::npos;
        ++p;
    }
    out.producer = static_cast<std::uint32_t>(values[0]);
    out.seq = values[1];
    out.t0 = values[2];
    return static_cast<std::size_t>(p - text.data());
}

}  // namespace smartlog::bench
