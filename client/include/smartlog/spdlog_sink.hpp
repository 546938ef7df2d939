// smartlog/spdlog_sink.hpp: an spdlog sink that sends a logger's lines to smartlog.
//
//   auto client = std::make_shared<smartlog::Client>(options);  // mode = Mode::producer
//   client->start();
//   auto sink = std::make_shared<smartlog::spdlog_sink_mt>(client);
//   spdlog::logger logger("shop", {sink});
//
// Each line becomes one entry: spdlog's level (warning -> warn, critical -> fatal on the
// server), the formatted message (the payload, not the pattern), the time of the log call,
// and metadata {"logger": name, "thread": id, and "file"/"line"/"function" when known}.
// Header-only, so the library does not depend on spdlog; it needs spdlog >= 1.9.
// Thread: as spdlog's sinks; Client::log never blocks on the network, so neither does this
// (unless the client was given OverflowPolicy::block).
#pragma once

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <smartlog/client.hpp>
#include <string_view>
#include <utility>

namespace smartlog {

template <class Mutex>
class spdlog_sink final : public spdlog::sinks::base_sink<Mutex> {
public:
    // REQUIRES: client non-null. The sink shares ownership, so the client outlives the logger.
    explicit spdlog_sink(std::shared_ptr<Client> client) : client_(std::move(client)) {}

    const std::shared_ptr<Client>& client() const noexcept { return client_; }
    // Entries log() could not queue (see Client::log).
    std::uint64_t refused() const noexcept { return refused_; }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        const auto level = spdlog::level::to_string_view(msg.level);
        Metadata metadata;
        metadata.add("logger", std::string_view(msg.logger_name.data(), msg.logger_name.size()));
        metadata.add("thread", static_cast<std::int64_t>(msg.thread_id));
        if (!msg.source.empty()) {
            metadata.add("file", msg.source.filename);
            metadata.add("line", static_cast<std::int64_t>(msg.source.line));
            if (msg.source.funcname) metadata.add("function", msg.source.funcname);
        }
        const auto when =
            std::chrono::time_point_cast<std::chrono::system_clock::duration>(msg.time);
        if (!client_->log(std::string_view(level.data(), level.size()),
                          std::string_view(msg.payload.data(), msg.payload.size()), metadata,
                          when)) {
            ++refused_;
        }
    }
    void flush_() override { client_->flush(); }

private:
    std::shared_ptr<Client> client_;
    std::uint64_t refused_ = 0;
};

using spdlog_sink_mt = spdlog_sink<std::mutex>;
using spdlog_sink_st = spdlog_sink<spdlog::details::null_mutex>;

}  // namespace smartlog
