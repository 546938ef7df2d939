// bench/workload.hpp: the log entries a producer sends, and the marker a viewer reads back.
//
// Every entry carries `"metadata":{"bench":[p,seq,t0],...}`: producer index, per-producer
// sequence number and the producer's send time (steady clock, ns since the bench started).
// The three numbers sit in fixed-width slots padded with JSON whitespace, so a batch is
// serialised once and only its digits are patched before each send: the generator spends
// its time on the wire, not on formatting. A server that re-serialises metadata drops the
// padding; the scanner accepts both.
#pragma once

#include <string.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace smartlog::bench {

inline constexpr int kProducerWidth = 4;
inline constexpr int kSeqWidth = 12;
inline constexpr int kTimeWidth = 16;
inline constexpr int kRefWidth = 10;

// Steady-clock nanoseconds since the process started; small enough for kTimeWidth digits.
std::uint64_t now_ns();

// One pre-serialised batch and where its variable digits live.
struct BatchTemplate {
    std::string bytes;                  // the whole frame (or command) as sent
    std::size_t ref_pos = 0;            // kRefWidth digits of `"ref":"..."`; npos when none
    std::vector<std::size_t> seq_pos;   // per entry: first of kSeqWidth characters
    std::vector<std::size_t> time_pos;  // per entry: first of kTimeWidth characters
    // Per entry: [begin, end) of its JSON object, for stores that keep entries one by one.
    std::vector<std::pair<std::size_t, std::size_t>> entry_span;
    // Per entry: the level as the server must report it (aliases resolved), and the message.
    std::vector<std::string> level;
    std::vector<std::string> message;
};

// Builds `count` different batches of `entries` realistic entries (120-300 bytes each, mixed
// levels, some metadata) for producer `producer`, as smartlog `logs` frames:
// {"type":"logs","ref":"0000000000","data":{"logs":[...]}}. Deterministic in `seed`.
std::vector<BatchTemplate> make_batches(int producer, int entries, int count, std::uint64_t seed);

// Wraps a template's bytes in another envelope (e.g. a RESP command) by moving every offset.
BatchTemplate rebase(const BatchTemplate& t, std::string prefix, std::string_view suffix);

// Writes seq numbers first_seq, first_seq+1, ... and send time t0 into every entry, and ref.
void patch(BatchTemplate& t, std::uint64_t first_seq, std::uint64_t t0, std::uint64_t ref);

struct Mark {
    std::uint32_t producer;
    std::uint64_t seq;
    std::uint64_t t0;
};

// Calls on_mark for each `"bench":[p,seq,t0]` in text, in order. Returns the number found,
// or -1 if a marker is malformed (then stops).
template <class F>
long scan_marks(std::string_view text, F&& on_mark);

// Internal: parses one marker body starting after `"bench":[`; returns the position after
// its `]`, or npos.
std::size_t parse_mark(std::string_view text, std::size_t pos, Mark& out);

template <class F>
long scan_marks(std::string_view text, F&& on_mark) {
    // Every '[' is a candidate end of the key: the marker's key ends in the only '[' an
    // entry usually holds besides an occasional array in its metadata, and memchr finds it
    // a vector at a time. This visits exactly the occurrences memmem(text, kKey) would, at
    // a fraction of memmem's cost (it was the generator's top symbol at fan-out 10).
    static constexpr std::string_view kKey = "\"bench\":[";
    static constexpr std::size_t kBefore = kKey.size() - 1;  // `"bench":` before the '['
    const char* const begin = text.data();
    const char* const end = begin + text.size();
    const char* p = begin + std::min(kBefore, text.size());
    long found = 0;
    while (p < end) {
        const void* hit = ::memchr(p, '[', static_cast<std::size_t>(end - p));
        if (hit == nullptr) break;
        const char* bracket = static_cast<const char*>(hit);
        p = bracket + 1;
        if (std::memcmp(bracket - kBefore, kKey.data(), kBefore) != 0) continue;
        Mark m;
        const auto next = parse_mark(text, static_cast<std::size_t>(p - begin), m);
        if (next == std::string_view::npos) return -1;
        on_mark(m);
        ++found;
        p = begin + next;
    }
    return found;
}

}  // namespace smartlog::bench
