// client/resume.hpp: a viewer's side of the Client: which entries it has delivered (afterId),
// what it asks for after authenticating (the filter, initial history, a resume), how history
// answers and live batches meet without a gap or a duplicate, and when it reports a gap.
// Reasoning: docs/client.md.
//
// Thread rule: network thread only, except last_id() and duplicates_skipped(), which any
// thread may call. Resume does no I/O: it returns the frames to send and what to deliver.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <smartlog/client.hpp>
#include <string>
#include <vector>

#include "core/filter.hpp"
#include "protocol/server_frames.hpp"

namespace smartlog::client {

class Resume {
public:
    struct Options {
        std::optional<std::size_t> initial_history;  // asked for after the first auth only
        bool resume = true;  // after a reconnect or a `dropped` notice, fetch what was missed
    };
    explicit Resume(Options options);

    // Why a history answer was asked for: answers come back in the order the requests went out.
    enum class HistoryKind { user, initial, resume };

    // The connection authenticated: the frames to send now, in order (the filter, then the
    // initial history the first time or a resume from last_id() after that).
    std::vector<std::string> authenticated();
    // Keeps `filter` for every later connection. Returns the frame to send when `authenticated`.
    std::optional<std::string> set_filter(core::Filter filter, bool authenticated);
    // A history request of the caller's went out: its answer goes to on_history as it is.
    void user_history_sent();
    // The connection dropped: requests in flight will not be answered.
    void connection_lost();
    void filter_applied();
    // An app's entries were cleared: a resume that finds its afterId gone is no gap then.
    void cleared();

    // What to hand to the caller for one frame.
    struct Delivery {
        enum class To { nobody, logs, history };
        To to = To::nobody;
        std::vector<LogEntry> entries;
        HistoryInfo info;
        std::optional<Dropped> dropped;  // report before the entries
    };
    Delivery live(protocol::LogsFrame& frame);
    Delivery history(protocol::LogsFrame& frame);

    // A `dropped` notice: with resume on, the history request that fetches what was skipped
    // (none while one is already in flight); with resume off, the notice for the caller.
    struct OnDropped {
        std::optional<std::string> request;
        std::optional<Dropped> report;
    };
    OnDropped server_dropped(const protocol::DroppedFrame& frame);

    // ---- any thread ----
    // The id of the newest entry delivered through on_logs (or initial history).
    std::string last_id() const;
    std::uint64_t duplicates_skipped() const;

private:
    // True while an initial or resume answer is awaited: live batches are held back meanwhile.
    bool syncing() const;
    // Keeps the entries newer than last_id() and moves last_id() to the newest.
    std::vector<LogEntry> take_new(std::vector<protocol::DecodedEntry>& entries);
    std::string resume_request(std::string after);

    const Options options_;
    std::optional<core::Filter> filter_;
    bool authenticated_before_ = false;
    bool awaiting_filter_ = false;           // filter sent, filter_applied not yet back
    bool cleared_since_seen_ = false;        // a clear came after the last delivered entry
    std::deque<HistoryKind> history_kinds_;  // one per history request in flight, in order

    mutable std::mutex mu_;  // guards the two below, read by other threads
    std::string last_id_;
    std::uint64_t duplicates_skipped_ = 0;
};

// The library's LogEntry from a decoded entry.
LogEntry to_public(protocol::DecodedEntry&& e);

}  // namespace smartlog::client
