// client/connection.cpp: see connection.hpp. Network thread only.
#include "client/connection.hpp"

namespace smartlog::client {

Connection::Connection(net::io_context& ioc, WsUrl url, Options options, ssl::context* tls,
                       Listener& listener)
    : ioc_(ioc),
      url_(std::move(url)),
      options_(options),
      tls_(tls),
      listener_(listener),
      backoff_(options.reconnect_initial, options.reconnect_max, options.reconnect_jitter),
      reconnect_timer_(ioc) {}

void Connection::open() {
    reset();
    const std::uint64_t gen = generation_;
    link_ = Link::opening;
    transport_ = make_transport(ioc_, url_, options_.transport, tls_);
    transport_->async_open([weak = weak_from_this(), gen](beast::error_code ec) {
        auto self = weak.lock();
        if (!self || gen != self->generation_) return;
        if (ec) return self->on_lost(gen, ec.message());
        self->link_ = Link::open;
        self->do_read(gen);
        self->listener_.on_open();
    });
}

void Connection::do_read(std::uint64_t gen) {
    transport_->async_read([weak = weak_from_this(), gen](beast::error_code ec, std::string text) {
        auto self = weak.lock();
        if (!self || gen != self->generation_) return;
        if (ec) return self->on_lost(gen, ec.message());
        self->listener_.on_frame(text);
        // The listener may have dropped or replaced the transport meanwhile.
        if (gen == self->generation_) self->do_read(gen);
    });
}

void Connection::write(std::shared_ptr<const std::string> text) {
    if (link_ != Link::open) return;
    write_queue_.push_back(std::move(text));
    if (!writing_) do_write();
}

void Connection::do_write() {
    writing_ = true;
    const std::uint64_t gen = generation_;
    transport_->async_write(write_queue_.front(),
                            [weak = weak_from_this(), gen](beast::error_code ec) {
                                auto self = weak.lock();
                                if (!self || gen != self->generation_) return;
                                self->writing_ = false;
                                if (ec) return self->on_lost(gen, ec.message());
                                self->write_queue_.pop_front();
                                if (!self->write_queue_.empty()) return self->do_write();
                                if (self->link_ == Link::closing) self->send_close();
                            });
}

void Connection::on_lost(std::uint64_t gen, const std::string& why) {
    if (gen != generation_) return;
    reset();
    listener_.on_lost(why);
}

void Connection::fail(const std::string& why) { on_lost(generation_, why); }

void Connection::drop() { reset(); }

std::chrono::milliseconds Connection::reconnect_later() {
    const auto delay = backoff_.next();
    reconnect_timer_.expires_after(delay);
    reconnect_timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
        if (ec) return;
        if (auto self = weak.lock()) self->listener_.on_reconnect_due();
    });
    return delay;
}

void Connection::close() {
    if (link_ != Link::open) {
        reset();
        return listener_.on_closed();
    }
    link_ = Link::closing;
    // The close frame follows what is queued: the last batches and requests still leave.
    if (!writing_) send_close();
}

void Connection::send_close() {
    const std::uint64_t gen = generation_;
    // Reads stay pending until the close completes; the reset below makes them stale.
    transport_->async_close([weak = weak_from_this(), gen](beast::error_code) {
        auto self = weak.lock();
        if (!self || gen != self->generation_) return;
        self->reset();
        self->listener_.on_closed();
    });
}

void Connection::stop() {
    reconnect_timer_.cancel();
    reset();
}

void Connection::reset() {
    if (transport_) transport_->abort();
    transport_.reset();
    ++generation_;
    link_ = Link::idle;
    write_queue_.clear();
    writing_ = false;
}

}  // namespace smartlog::client
