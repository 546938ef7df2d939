// core/id_generator.hpp: UUIDv7 entry ids (RFC 9562), strictly increasing within a process.
// Not thread-safe: one generator per thread that assigns ids.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "core/uuid_v7.hpp"

namespace smartlog::core {

class IdGenerator {
public:
    IdGenerator();
    // A new id for an entry received at `now_ms`. Ids compare (as strings) in the order they
    // were made, even when the wall clock steps back: the 12-bit rand_a field is a counter
    // (RFC 9562 section 6.2, method 1) and the timestamp never goes back.
    std::string next(std::int64_t now_ms);
    // The same id as text in a value, without a heap allocation: the ingest path's form.
    using Text = UuidText;
    Text next_text(std::int64_t now_ms);
    // Makes every later id greater than `id` (ids loaded from storage after a restart).
    void observe(std::string_view id);

    // The millisecond timestamp an id carries, or -1 when `id` is not a UUIDv7 string.
    static std::int64_t timestamp_of(std::string_view id) noexcept;

private:
    std::int64_t last_ms_ = 0;
    std::uint32_t counter_ = 0;
    std::mt19937_64 random_;
};

}  // namespace smartlog::core
