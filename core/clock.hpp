// core/clock.hpp: wall-clock and steady time behind an interface, so tests can drive both.
#pragma once

#include <chrono>
#include <cstdint>

namespace smartlog::core {

class Clock {
public:
    virtual ~Clock() = default;
    // Milliseconds since the Unix epoch.
    virtual std::int64_t now_ms() const = 0;
    // Monotonic time, for deadlines and rates: never moves back when the wall clock does.
    virtual std::chrono::steady_clock::time_point steady_now() const = 0;
};

class SystemClock final : public Clock {
public:
    std::int64_t now_ms() const override {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
    std::chrono::steady_clock::time_point steady_now() const override {
        return std::chrono::steady_clock::now();
    }
};

// A clock that only moves when told to. For tests. Its steady time starts at the steady
// clock's reading at construction and moves by what advance() is given; set() moves only the
// wall clock, as a wall clock set back or forward would.
class ManualClock final : public Clock {
public:
    explicit ManualClock(std::int64_t start_ms = 1'700'000'000'000)
        : now_(start_ms), steady_(std::chrono::steady_clock::now()) {}
    std::int64_t now_ms() const override { return now_; }
    std::chrono::steady_clock::time_point steady_now() const override { return steady_; }
    void advance(std::int64_t ms) {
        now_ += ms;
        steady_ += std::chrono::milliseconds(ms);
    }
    void set(std::int64_t ms) { now_ = ms; }

private:
    std::int64_t now_;
    std::chrono::steady_clock::time_point steady_;
};

}  // namespace smartlog::core
