// client/resume.cpp: see resume.hpp. Network thread, except where mu_ is taken.
#include "client/resume.hpp"

#include <algorithm>

#include "protocol/requests.hpp"

namespace smartlog::client {

LogEntry to_public(protocol::DecodedEntry&& e) {
    LogEntry out;
    out.id = std::move(e.id);
    out.timestamp = e.timestamp;
    out.level = std::move(e.level);
    out.message = std::move(e.message);
    out.metadata = std::move(e.metadata);
    out.app_id = std::move(e.app_id);
    out.user_id = std::move(e.user_id);
    out.encrypted = e.encrypted;
    out.json = std::move(e.encoded);
    return out;
}

Resume::Resume(Options options) : options_(std::move(options)) {}

std::vector<std::string> Resume::authenticated() {
    std::vector<std::string> frames;
    const bool first = !authenticated_before_;
    authenticated_before_ = true;
    if (filter_) {
        frames.push_back(protocol::filter_request(*filter_));
        awaiting_filter_ = true;
    }
    if (first && options_.initial_history) {
        history_kinds_.push_back(HistoryKind::initial);
        frames.push_back(protocol::history_request(*options_.initial_history, {}));
    } else if (!first && options_.resume) {
        frames.push_back(resume_request(last_id()));
    }
    return frames;
}

std::optional<std::string> Resume::set_filter(core::Filter filter, bool authenticated) {
    filter_ = std::move(filter);
    if (!authenticated) return std::nullopt;
    awaiting_filter_ = true;
    return protocol::filter_request(*filter_);
}

void Resume::user_history_sent() { history_kinds_.push_back(HistoryKind::user); }

void Resume::connection_lost() {
    awaiting_filter_ = false;
    history_kinds_.clear();
}

void Resume::filter_applied() { awaiting_filter_ = false; }

void Resume::cleared() { cleared_since_seen_ = true; }

bool Resume::syncing() const {
    return std::any_of(history_kinds_.begin(), history_kinds_.end(),
                       [](HistoryKind k) { return k != HistoryKind::user; });
}

std::string Resume::resume_request(std::string after) {
    history_kinds_.push_back(HistoryKind::resume);
    return protocol::history_request(std::nullopt, after);
}

std::vector<LogEntry> Resume::take_new(std::vector<protocol::DecodedEntry>& entries) {
    std::vector<LogEntry> out;
    out.reserve(entries.size());
    std::uint64_t skipped = 0;
    {
        std::lock_guard lock(mu_);
        for (auto& e : entries) {
            // Ids are time-ordered (UUIDv7): an id not above the last one was delivered.
            if (!last_id_.empty() && e.id <= last_id_) {
                ++skipped;
                continue;
            }
            last_id_ = e.id;
            out.push_back(to_public(std::move(e)));
        }
        duplicates_skipped_ += skipped;
    }
    if (!out.empty()) cleared_since_seen_ = false;
    return out;
}

Resume::Delivery Resume::live(protocol::LogsFrame& frame) {
    // Until the filter holds and the history answer is in, live batches carry entries that
    // the answer also holds (they were sent before it was computed): the answer covers them.
    if (syncing() || awaiting_filter_) return {};
    Delivery d;
    d.entries = take_new(frame.entries);
    if (!d.entries.empty()) d.to = Delivery::To::logs;
    return d;
}

Resume::Delivery Resume::history(protocol::LogsFrame& frame) {
    HistoryKind kind = HistoryKind::user;
    if (!history_kinds_.empty()) {
        kind = history_kinds_.front();
        // A large answer arrives in pages; the last one ends it.
        if (!frame.more) history_kinds_.pop_front();
    }
    Delivery d;
    if (kind == HistoryKind::user) {
        d.to = Delivery::To::history;
        d.entries.reserve(frame.entries.size());
        for (auto& e : frame.entries) d.entries.push_back(to_public(std::move(e)));
        d.info = {frame.gap, frame.more};
        return d;
    }
    const std::string after = last_id();
    if (kind == HistoryKind::resume && frame.gap && !after.empty() && !cleared_since_seen_) {
        d.dropped = Dropped{Dropped::Kind::resume_gap, 0, after};
    }
    d.entries = take_new(frame.entries);
    d.info = {frame.gap, false};
    if (kind == HistoryKind::initial) {
        d.to = Delivery::To::history;
    } else if (!d.entries.empty()) {
        d.to = Delivery::To::logs;
    }
    return d;
}

Resume::OnDropped Resume::server_dropped(const protocol::DroppedFrame& frame) {
    if (!options_.resume)
        return {std::nullopt, Dropped{Dropped::Kind::server_live, frame.count, frame.after_id}};
    if (syncing()) return {};  // the answer in flight covers what was skipped
    std::string after = last_id();
    if (after.empty()) after = frame.after_id;
    return {resume_request(std::move(after)), std::nullopt};
}

std::string Resume::last_id() const {
    std::lock_guard lock(mu_);
    return last_id_;
}

std::uint64_t Resume::duplicates_skipped() const {
    std::lock_guard lock(mu_);
    return duplicates_skipped_;
}

}  // namespace smartlog::client
