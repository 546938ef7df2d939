// core/entry.hpp: one log entry (docs/protocol.md) as the server keeps it: its LogEntry JSON
// text, written once, with views of its fields into that text. One heap allocation holds the
// shared_ptr's control block, the views and the bytes (docs/performance.md, "One allocation per
// entry"). Immutable once built; shared between histories, batches and the storage thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace smartlog::core {

class Entry;
using EntryPtr = std::shared_ptr<const Entry>;

// What an entry is made of, as make_entry() takes it: the server's fields and the producer's.
struct EntryFields {
    std::string_view id{};       // UUIDv7, time-ordered: comparing ids compares arrival order
    std::int64_t timestamp = 0;  // ms since the Unix epoch
    std::string_view level{};    // normalised (core/level.hpp)
    std::string_view message{};
    std::string_view metadata{};    // JSON text, compact, as its decoder wrote it; empty: none
    bool encrypted = false;         // the message is ciphertext (the original library's mode)
    std::string_view encryption{};  // its keys as a JSON object text; empty when none were sent
    std::string_view app_id{};
    std::string_view user_id{};
    // The message is known to hold no byte JSON escapes (IncomingEntry::message_is_plain), so it
    // is copied without a scan.
    bool message_is_plain = false;
};

class Entry {
public:
    // The entry as a LogEntry JSON object: fan-out and storage copy these bytes, not fields.
    std::string_view encoded() const noexcept { return {bytes_, encoded_size_}; }

    std::string_view id() const noexcept { return view(id_); }
    std::int64_t timestamp() const noexcept { return timestamp_; }
    std::string_view level() const noexcept { return view(level_); }
    std::string_view app_id() const noexcept { return view(app_id_); }
    std::string_view user_id() const noexcept { return view(user_id_); }
    // The message as its JSON string holds it, between the quotes: escaped when
    // message_escaped(). What a search compares is message().
    std::string_view message_json() const noexcept { return view(message_); }
    bool message_escaped() const noexcept { return message_escaped_; }
    // The message's text: message_json() itself when it holds no escape, else unescaped into
    // `scratch` (whose capacity the caller may keep from call to call).
    std::string_view message(std::string& scratch) const;
    std::string message() const;
    // JSON text of each (a view of the encoded text); empty when absent.
    std::string_view metadata() const noexcept { return view(metadata_); }
    std::string_view encryption() const noexcept { return view(encryption_); }
    bool encrypted() const noexcept { return encrypted_; }

    // The bytes this entry holds in memory: its one allocation, control block included.
    std::size_t bytes() const noexcept { return held_; }

    // Where a field lies among the entry's bytes.
    struct Span {
        std::uint32_t at = 0;
        std::uint32_t size = 0;
    };
    // For std::allocate_shared only: entries come from make_entry() and entry_from_encoded().
    struct Key {
    private:
        Key() = default;
        friend class EntryBuilder;
    };
    explicit Entry(Key) noexcept {}

private:
    friend class EntryBuilder;
    std::string_view view(Span s) const noexcept { return {bytes_ + s.at, s.size}; }

    // The encoded text, then (for id, level, app_id and user_id when their JSON string needed
    // escapes) their raw text, so that each field is a view.
    const char* bytes_ = nullptr;
    std::uint32_t encoded_size_ = 0;
    std::uint32_t held_ = 0;
    std::int64_t timestamp_ = 0;
    Span id_, level_, message_, metadata_, encryption_, app_id_, user_id_;
    bool encrypted_ = false;
    bool message_escaped_ = false;
};

// The entry of `fields`, encoded as the seed's LogEntry: {"id","timestamp","level","message",
// "metadata"?,"encrypted"?,"encryption"?,"appId","userId"}, strings escaped byte for byte as
// Boost.JSON's serialiser does (docs/protocol.md). REQUIRES: strings are valid UTF-8, metadata
// and encryption valid compact JSON or empty; the encoded entry is under 4 GiB.
EntryPtr make_entry(const EntryFields& fields);

// The entry whose encoded text is `encoded`, in make_entry()'s layout (what the store keeps);
// null when the text is not in that layout.
EntryPtr entry_from_encoded(std::string_view encoded);

// The id of an entry encoded in make_entry()'s layout as its JSON string holds it (the ids the
// server makes need no escape); empty when the text does not start as that layout does.
std::string_view id_of_encoded(std::string_view encoded) noexcept;

// The message's text of an entry encoded in make_entry()'s layout, into `out` (replaced): the
// same bytes as entry_from_encoded(encoded)->message(). False when the text is not in that
// layout. Allocates only what `out` needs.
bool message_of_encoded(std::string_view encoded, std::string& out);

}  // namespace smartlog::core
