#include "bench/flow.hpp"

#include <boost/system/system_error.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace smartlog::bench {

void Problems::add(std::string what) {
    std::lock_guard lock(mutex_);
    ++count_;
    if (first_.size() < 12) first_.push_back(std::move(what));
}

std::uint64_t Problems::count() const {
    std::lock_guard lock(mutex_);
    return count_;
}

std::vector<std::string> Problems::first() const {
    std::lock_guard lock(mutex_);
    return first_;
}

Flow::Flow(const FlowSettings& s)
    : settings(s),
      expected(static_cast<std::size_t>(s.producers)),
      sent(static_cast<std::size_t>(s.producers)),
      received(static_cast<std::size_t>(s.producers * std::max(s.viewers, 1))),
      waiting(static_cast<std::size_t>(s.producers)),
      wake(static_cast<std::size_t>(s.producers)) {}

void Flow::wake_all() {
    for (auto& w : wake)
        if (w) w();
}

std::uint64_t Flow::slowest_viewer(int producer) const {
    std::uint64_t slowest = std::numeric_limits<std::uint64_t>::max();
    for (int v = 0; v < settings.viewers; ++v) {
        slowest = std::min(
            slowest, received[static_cast<std::size_t>(v * settings.producers + producer)].load(
                         std::memory_order_relaxed));
    }
    return slowest;
}

ProducerCore::ProducerCore(Flow& flow, int index, std::vector<BatchTemplate> batches,
                           net::any_io_executor ex)
    : flow_(flow), index_(index), batches_(std::move(batches)), cv_(ex), pace_(ex) {}

net::awaitable<BatchTemplate*> ProducerCore::next() {
    const auto& s = flow_.settings;
    const auto p = static_cast<std::size_t>(index_);
    for (;;) {
        if (closed_) co_return nullptr;
        if (flow_.stop.load(std::memory_order_relaxed) ||
            (s.max_batches != 0 && sent_batches_ >= s.max_batches)) {
            if (!done_sending_) {
                done_sending_ = true;
                if (unacked_ == 0) flow_.producers_done.fetch_add(1);
            }
            co_return nullptr;
        }
        bool blocked = !flow_.go.load(std::memory_order_acquire) ||
                       unacked_ >= static_cast<std::uint64_t>(s.window);
        if (!blocked && s.viewers > 0) {
            // Announce the wait before the last look, so a viewer that moves on in between
            // sees the flag and wakes us.
            flow_.waiting[p].store(true, std::memory_order_seq_cst);
            blocked =
                sent_entries_ - std::min(sent_entries_, flow_.slowest_viewer(index_)) > s.lag_limit;
            if (!blocked) flow_.waiting[p].store(false, std::memory_order_relaxed);
        }
        if (blocked) {
            cv_.expires_at(net::steady_timer::time_point::max());
            boost::system::error_code ec;
            co_await cv_.async_wait(net::redirect_error(net::use_awaitable, ec));
            continue;
        }
        if (s.entries_per_second > 0) {
            // Batch k is due at start + k * interval; a late producer sends at once and the
            // lateness is reported, so the pace cannot silently sag.
            const double interval_ns = 1e9 * s.batch * s.producers / s.entries_per_second;
            const auto due =
                flow_.start_ns.load(std::memory_order_relaxed) +
                static_cast<std::uint64_t>(interval_ns * static_cast<double>(sent_batches_));
            const auto now = now_ns();
            if (now < due) {
                pace_.expires_after(std::chrono::nanoseconds(due - now));
                boost::system::error_code ec;
                co_await pace_.async_wait(net::redirect_error(net::use_awaitable, ec));
                continue;
            }
            behind_max_ns_ = std::max(behind_max_ns_, now - due);
        }
        auto& batch = batches_[sent_batches_ % batches_.size()];
        ++sent_batches_;
        const auto t0 = now_ns();
        patch(batch, sent_entries_, t0, sent_batches_);
        send_times_.push_back(t0);
        sent_entries_ += batch.seq_pos.size();
        flow_.sent[p].store(sent_entries_, std::memory_order_relaxed);
        ++unacked_;
        co_return &batch;
    }
}

void ProducerCore::on_ack(std::uint64_t accepted) {
    if (unacked_ == 0) {
        flow_.problems.add(fmt::format("producer {}: an acknowledgement for no batch", index_));
        return;
    }
    --unacked_;
    ++acked_batches_;
    const auto now = now_ns();
    ack_latency_.record(now - send_times_.front());
    send_times_.pop_front();
    acked_entries_ += accepted;
    flow_.acked_entries.fetch_add(accepted, std::memory_order_relaxed);
    flow_.last_ack_ns.store(now, std::memory_order_relaxed);
    if (done_sending_ && unacked_ == 0) flow_.producers_done.fetch_add(1);
    cv_.cancel();
}

ViewerCore::ViewerCore(Flow& flow, int index)
    : flow_(flow), index_(index), next_seq_(static_cast<std::size_t>(flow.settings.producers)) {}

long ViewerCore::on_batch(std::string_view text, std::uint64_t now) {
    const auto producers = static_cast<std::uint32_t>(flow_.settings.producers);
    const long n = scan_marks(text, [&](const Mark& m) {
        if (m.producer >= producers) {
            if (unknown++ == 0)
                flow_.problems.add(
                    fmt::format("viewer {}: entry from unknown producer {}", index_, m.producer));
            return;
        }
        auto& expected = next_seq_[m.producer];
        if (m.seq != expected) {
            auto& counter = m.seq < expected ? duplicates : gaps;
            if (counter++ < 3) {
                flow_.problems.add(
                    fmt::format("viewer {}: producer {} seq {} arrived when {} was expected ({})",
                                index_, m.producer, m.seq, expected,
                                m.seq < expected ? "duplicate or reordered" : "gap"));
            }
            // Resynchronise so one fault is counted once, not for every later entry.
            if (m.seq < expected) return;
        }
        expected = m.seq + 1;
        latency_.record(now > m.t0 ? now - m.t0 : 0);
    });
    if (n < 0) {
        flow_.problems.add(fmt::format("viewer {}: malformed bench marker", index_));
        return -1;
    }
    entries_ += static_cast<std::uint64_t>(n);
    const auto base = static_cast<std::size_t>(index_ * flow_.settings.producers);
    for (std::size_t p = 0; p < next_seq_.size(); ++p)
        flow_.received[base + p].store(next_seq_[p], std::memory_order_relaxed);
    flow_.delivered.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
    flow_.last_delivery_ns.store(now, std::memory_order_relaxed);
    for (std::size_t p = 0; p < next_seq_.size(); ++p) {
        if (flow_.waiting[p].load(std::memory_order_relaxed) && flow_.waiting[p].exchange(false) &&
            flow_.wake[p])
            flow_.wake[p]();
    }
    return n;
}

void ViewerCore::check_entry(const Mark& m, std::string_view level, std::string_view message) {
    if (m.producer >= flow_.expected.size()) return;
    const auto& e = flow_.expected[m.producer];
    const auto batch =
        static_cast<std::size_t>(m.seq / static_cast<std::uint64_t>(flow_.settings.batch));
    const auto t = batch % e.level.size();
    const auto i =
        static_cast<std::size_t>(m.seq % static_cast<std::uint64_t>(flow_.settings.batch));
    ++checked;
    if (e.level[t][i] != level || e.message[t][i] != message) {
        if (mismatched++ < 3) {
            flow_.problems.add(fmt::format(
                "viewer {}: producer {} seq {} came back as level '{}' message '{}', sent as "
                "level '{}' message '{}'",
                index_, m.producer, m.seq, level, message, e.level[t][i], e.message[t][i]));
        }
    }
}

std::string describe_failure(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (const boost::system::system_error& ex) {
        return ex.code().message();
    } catch (const std::exception& ex) {
        return ex.what();
    } catch (...) {
        return "unknown exception";
    }
}

}  // namespace smartlog::bench
