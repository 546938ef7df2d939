#include "core/entry.hpp"

#include <cassert>
#include <charconv>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>

#include "core/json_text.hpp"

namespace smartlog::core {

namespace {

// An allocator that makes std::allocate_shared's one allocation (control block and Entry)
// `extra` bytes longer, and says where those bytes start: the entry's text lives there. The
// block's size comes from the allocator's own rebound type, so nothing assumes the library's
// layout of a control block. `out` is read during allocate_shared alone.
struct Placement {
    char* bytes = nullptr;
    std::size_t total = 0;  // the whole allocation
};

template <class T>
struct TrailingBytes {
    using value_type = T;

    std::size_t extra;
    Placement* out;

    TrailingBytes(std::size_t e, Placement* o) noexcept : extra(e), out(o) {}
    template <class U>
    TrailingBytes(const TrailingBytes<U>& other) noexcept : extra(other.extra), out(other.out) {}

    T* allocate(std::size_t n) {
        const std::size_t total = n * sizeof(T) + extra;
        char* p = static_cast<char*>(::operator new(total));
        out->bytes = p + n * sizeof(T);
        out->total = total;
        return reinterpret_cast<T*>(p);
    }
    // Unsized: clang leaves sized deallocation off by default.
    void deallocate(T* p, std::size_t) noexcept { ::operator delete(static_cast<void*>(p)); }
    template <class U>
    bool operator==(const TrailingBytes<U>& other) const noexcept {
        return extra == other.extra;
    }
};

}  // namespace

// Builds entries: the only code that writes an Entry's members.
class EntryBuilder {
public:
    // A new entry with `size` bytes for its text, which the caller fills, and its members.
    static std::shared_ptr<Entry> allocate(std::size_t size) {
        if (size > std::numeric_limits<std::uint32_t>::max() / 2)
            throw std::length_error("a log entry of 2 GiB or more");
        Placement where;
        auto e = std::allocate_shared<Entry>(TrailingBytes<Entry>(size, &where), Entry::Key{});
        e->bytes_ = where.bytes;
        e->held_ = static_cast<std::uint32_t>(where.total);
        return e;
    }

    static EntryPtr make(const EntryFields& f);
    static EntryPtr from_encoded(std::string_view encoded);
};

namespace {

using Span = Entry::Span;

// A string field: its raw text and the size it takes escaped.
struct Text {
    std::string_view raw;
    std::size_t escaped;
    bool plain() const noexcept { return escaped == raw.size(); }
};

Text text_of(std::string_view s) {
    return {s, json_text::needs_escape(s) ? json_text::escaped_size(s) : s.size()};
}

// The keys and punctuation between the fields, in order.
constexpr std::string_view kId = "{\"id\":\"";
constexpr std::string_view kTimestamp = "\",\"timestamp\":";
constexpr std::string_view kLevel = ",\"level\":\"";
constexpr std::string_view kMessage = "\",\"message\":\"";
constexpr std::string_view kMetadata = ",\"metadata\":";
constexpr std::string_view kEncrypted = ",\"encrypted\":true";
constexpr std::string_view kEncryption = ",\"encryption\":";
constexpr std::string_view kApp = ",\"appId\":\"";
constexpr std::string_view kUser = "\",\"userId\":\"";
constexpr std::string_view kEnd = "\"}";

class Writer {
public:
    explicit Writer(char* base) noexcept : base_(base), p_(base) {}
    void put(std::string_view s) noexcept {
        if (s.empty()) return;  // an empty view may have no data() at all: memcpy wants one
        std::memcpy(p_, s.data(), s.size());
        p_ += s.size();
    }
    Span put_span(std::string_view s) noexcept {
        const Span span{at(), static_cast<std::uint32_t>(s.size())};
        put(s);
        return span;
    }
    Span put_string(const Text& t) noexcept {
        const Span span{at(), static_cast<std::uint32_t>(t.escaped)};
        if (t.plain()) {
            put(t.raw);
        } else {
            p_ = json_text::write_escaped(p_, t.raw);
        }
        return span;
    }
    std::uint32_t at() const noexcept { return static_cast<std::uint32_t>(p_ - base_); }

private:
    char* base_;
    char* p_;
};

// Reads make_entry()'s layout, field by field.
class Reader {
public:
    explicit Reader(std::string_view text) noexcept : t_(text) {}
    bool take(std::string_view literal) noexcept {
        if (t_.substr(i_, literal.size()) != literal) return false;
        i_ += literal.size();
        return true;
    }
    // The string contents from here to the closing quote, which stays unread.
    bool string(Span& out) noexcept {
        const std::size_t end = json_text::string_end(t_, i_);
        if (end == json_text::npos) return false;
        out = {static_cast<std::uint32_t>(i_), static_cast<std::uint32_t>(end - i_)};
        i_ = end;
        return true;
    }
    bool value(Span& out) noexcept {
        const std::size_t end = json_text::value_end(t_, i_);
        if (end == json_text::npos || end == i_) return false;
        out = {static_cast<std::uint32_t>(i_), static_cast<std::uint32_t>(end - i_)};
        i_ = end;
        return true;
    }
    bool integer(std::int64_t& out) noexcept {
        const char* end = t_.data() + t_.size();
        const auto [ptr, ec] = std::from_chars(t_.data() + i_, end, out);
        if (ec != std::errc()) return false;
        i_ = static_cast<std::size_t>(ptr - t_.data());
        return true;
    }
    bool at_end() const noexcept { return i_ == t_.size(); }

private:
    std::string_view t_;
    std::size_t i_ = 0;
};

bool has_escape(std::string_view s) noexcept { return s.find('\\') != std::string_view::npos; }

}  // namespace

EntryPtr EntryBuilder::make(const EntryFields& f) {
    const Text id = text_of(f.id);
    const Text level = text_of(f.level);
    const Text message =
        f.message_is_plain ? Text{f.message, f.message.size()} : text_of(f.message);
    const Text app = text_of(f.app_id);
    const Text user = text_of(f.user_id);
    char timestamp[24];
    const auto ts_end = std::to_chars(timestamp, timestamp + sizeof timestamp, f.timestamp).ptr;
    const std::string_view ts(timestamp, static_cast<std::size_t>(ts_end - timestamp));

    std::size_t size = kId.size() + id.escaped + kTimestamp.size() + ts.size() + kLevel.size() +
                       level.escaped + kMessage.size() + message.escaped + kApp.size() +
                       app.escaped + kUser.size() + user.escaped + kEnd.size() +
                       1;  // the message's closing quote
    if (!f.metadata.empty()) size += kMetadata.size() + f.metadata.size();
    if (f.encrypted) size += kEncrypted.size();
    if (!f.encryption.empty()) size += kEncryption.size() + f.encryption.size();
    std::size_t raw = 0;
    for (const Text* t : {&id, &level, &app, &user}) {
        if (!t->plain()) raw += t->raw.size();
    }

    std::shared_ptr<Entry> e = allocate(size + raw);
    Writer w(const_cast<char*>(e->bytes_));
    w.put(kId);
    e->id_ = w.put_string(id);
    w.put(kTimestamp);
    w.put(ts);
    e->timestamp_ = f.timestamp;
    w.put(kLevel);
    e->level_ = w.put_string(level);
    w.put(kMessage);
    e->message_ = w.put_string(message);
    e->message_escaped_ = !message.plain();
    w.put("\"");
    if (!f.metadata.empty()) {
        w.put(kMetadata);
        e->metadata_ = w.put_span(f.metadata);
    }
    if (f.encrypted) w.put(kEncrypted);
    e->encrypted_ = f.encrypted;
    if (!f.encryption.empty()) {
        w.put(kEncryption);
        e->encryption_ = w.put_span(f.encryption);
    }
    w.put(kApp);
    e->app_id_ = w.put_string(app);
    w.put(kUser);
    e->user_id_ = w.put_string(user);
    w.put(kEnd);
    e->encoded_size_ = w.at();
    assert(e->encoded_size_ == size);
    // Fields whose JSON string holds escapes are also kept raw, so that each is a view.
    if (!id.plain()) e->id_ = w.put_span(id.raw);
    if (!level.plain()) e->level_ = w.put_span(level.raw);
    if (!app.plain()) e->app_id_ = w.put_span(app.raw);
    if (!user.plain()) e->user_id_ = w.put_span(user.raw);
    return e;
}

EntryPtr EntryBuilder::from_encoded(std::string_view encoded) {
    if (encoded.size() > std::numeric_limits<std::uint32_t>::max() / 2) return nullptr;
    Reader r(encoded);
    Span id, level, message, metadata, encryption, app, user;
    std::int64_t timestamp = 0;
    const bool ok = r.take(kId) && r.string(id) && r.take(kTimestamp) && r.integer(timestamp) &&
                    r.take(kLevel) && r.string(level) && r.take(kMessage) && r.string(message) &&
                    r.take("\"") && (!r.take(kMetadata) || r.value(metadata));
    if (!ok) return nullptr;
    const bool encrypted = r.take(kEncrypted);
    if (r.take(kEncryption) && !r.value(encryption)) return nullptr;
    if (!(r.take(kApp) && r.string(app) && r.take(kUser) && r.string(user) && r.take(kEnd) &&
          r.at_end())) {
        return nullptr;
    }
    auto view = [encoded](Span s) { return encoded.substr(s.at, s.size); };
    // The raw text of the fields whose JSON string holds escapes, kept after the encoded text.
    std::string raw;
    Span* const escaped_fields[] = {&id, &level, &app, &user};
    for (std::size_t k = 0; k < 4; ++k) {
        if (!has_escape(view(*escaped_fields[k]))) continue;
        const std::size_t before = raw.size();
        if (!json_text::append_unescaped(view(*escaped_fields[k]), raw)) return nullptr;
        *escaped_fields[k] = {static_cast<std::uint32_t>(encoded.size() + before),
                              static_cast<std::uint32_t>(raw.size() - before)};
    }

    std::shared_ptr<Entry> e = allocate(encoded.size() + raw.size());
    char* bytes = const_cast<char*>(e->bytes_);
    std::memcpy(bytes, encoded.data(), encoded.size());
    if (!raw.empty()) std::memcpy(bytes + encoded.size(), raw.data(), raw.size());
    e->encoded_size_ = static_cast<std::uint32_t>(encoded.size());
    e->timestamp_ = timestamp;
    e->id_ = id;
    e->level_ = level;
    e->message_ = message;
    e->message_escaped_ = has_escape(view(message));
    e->metadata_ = metadata;
    e->encrypted_ = encrypted;
    e->encryption_ = encryption;
    e->app_id_ = app;
    e->user_id_ = user;
    return e;
}

std::string_view Entry::message(std::string& scratch) const {
    if (!message_escaped_) return message_json();
    scratch.clear();
    json_text::append_unescaped(message_json(), scratch);
    return scratch;
}

std::string Entry::message() const {
    std::string out;
    if (!message_escaped_) return std::string(message_json());
    json_text::append_unescaped(message_json(), out);
    return out;
}

std::string_view id_of_encoded(std::string_view encoded) noexcept {
    Reader r(encoded);
    Span id;
    if (!(r.take(kId) && r.string(id))) return {};
    return encoded.substr(id.at, id.size);
}

bool message_of_encoded(std::string_view encoded, std::string& out) {
    Reader r(encoded);
    Span id, level, message;
    std::int64_t timestamp = 0;
    if (!(r.take(kId) && r.string(id) && r.take(kTimestamp) && r.integer(timestamp) &&
          r.take(kLevel) && r.string(level) && r.take(kMessage) && r.string(message))) {
        return false;
    }
    out.clear();
    return json_text::append_unescaped(encoded.substr(message.at, message.size), out);
}

EntryPtr make_entry(const EntryFields& fields) { return EntryBuilder::make(fields); }

EntryPtr entry_from_encoded(std::string_view encoded) {
    return EntryBuilder::from_encoded(encoded);
}

}  // namespace smartlog::core
