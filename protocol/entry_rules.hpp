// protocol/entry_rules.hpp: what an entry's fields, once read, make of it (docs/protocol.md):
// accepted or refused and why, and the original library's encryption keys. Shared by the two
// readers of protocol/entry_parser.hpp (the scanner and the event parser), so that they differ
// only in how they read the text. Internal to smartlog_protocol.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/level.hpp"
#include "protocol/encode.hpp"
#include "protocol/entry_parser.hpp"
#include "protocol/entry_recycling.hpp"

namespace smartlog::protocol::entry_rules {

// A field of an entry as last seen: docs/protocol.md treats null as absent.
enum class Seen : std::uint8_t { absent, string, number, other };

// An entry's `encrypted` as last seen.
enum class Flag : std::uint8_t { absent, yes, no, other };

inline constexpr const char* kKeysRule =
    "encryption must be an object with string transmissionKey and encryptedKey of at most 256 "
    "bytes";

// An `encryption` object of the original library: {isEncrypted?, transmissionKey, encryptedKey}.
struct Keys {
    bool present = false;
    bool bad = false;
    std::optional<bool> is_encrypted;
    std::optional<std::string> transmission_key, encrypted_key;

    void reset() { *this = Keys{}; }
    // Checks the object once it is closed; an `isEncrypted: false` one says nothing.
    void finish() {
        if (bad) return;
        if (is_encrypted == false) {
            present = false;
            return;
        }
        bad = !transmission_key || !encrypted_key ||
              transmission_key->size() > kMaxEncryptionKeyBytes ||
              encrypted_key->size() > kMaxEncryptionKeyBytes;
    }
    std::string json() const {
        std::string out = "{\"transmissionKey\":";
        append_json_string(out, *transmission_key);
        out += ",\"encryptedKey\":";
        append_json_string(out, *encrypted_key);
        out += '}';
        return out;
    }
};

// One entry's fields as read so far; the last of duplicate keys counts.
struct EntryFields {
    IncomingEntry entry;
    Seen message = Seen::absent;
    Seen level = Seen::absent;
    Seen timestamp = Seen::absent;
    std::string level_text;
    std::optional<std::int64_t> timestamp_ms;
    bool metadata_present = false;
    Flag encrypted = Flag::absent;
    Keys keys;  // the entry's own `encryption`

    void begin(std::size_t index) {
        entry = IncomingEntry{};
        entry.index = index;
        message = level = timestamp = Seen::absent;
        timestamp_ms.reset();
        metadata_present = false;
        encrypted = Flag::absent;
        keys.reset();
    }

    // The checks of docs/protocol.md, in the order the error messages were always given;
    // completes `entry` when it passes.
    std::optional<std::string> refusal(const Limits& limits) {
        if (message != Seen::string) return "message is required and must be a string";
        if (entry.message.size() > limits.max_message_bytes) {
            return "message is larger than max_message_bytes (" +
                   std::to_string(limits.max_message_bytes) + ")";
        }
        if (level == Seen::absent) {
            entry.level = "info";
        } else if (level != Seen::string) {
            return "level must be a string";
        } else if (auto normalized = core::normalize_level(level_text)) {
            entry.level = std::move(*normalized);
        } else {
            return "level is longer than 32 characters";
        }
        if (timestamp != Seen::absent) {
            const bool valid = timestamp_ms && (timestamp == Seen::string ||
                                                (timestamp == Seen::number && *timestamp_ms >= 0));
            if (!valid) return "timestamp must be ms since the epoch or ISO-8601";
            entry.timestamp = timestamp_ms;
        }
        if (!metadata_present) {
            entry.metadata.clear();
        } else if (entry.metadata.size() > limits.max_metadata_bytes) {
            return "metadata is larger than max_metadata_bytes (" +
                   std::to_string(limits.max_metadata_bytes) + ")";
        }
        if (encrypted == Flag::other) return "encrypted must be a boolean";
        if (keys.present && keys.bad) return std::string(kKeysRule);
        entry.encrypted = encrypted == Flag::yes || (keys.present && encrypted != Flag::no);
        if (keys.present && entry.encrypted) entry.encryption = keys.json();
        return std::nullopt;
    }
};

// A message's entries as they are read.
struct Collected {
    ParsedEntries result;
    std::vector<Flag> flags;  // `encrypted` of each accepted entry, for the message's keys
    Keys message_keys;        // beside `logs`: applied in take(), as they may come last

    // The array of entries is replaced by a later one (a duplicate `data` or `logs` key).
    void lose_entries() {
        result.entries_found = false;
        result.entries.accepted.clear();
        result.entries.rejected.clear();
        flags.clear();
    }
    void refuse_element(std::size_t index) {
        result.entries.rejected.push_back({index, "entry must be an object"});
    }
    void finish_entry(EntryFields& fields, const Limits& limits) {
        if (auto why = fields.refusal(limits)) {
            result.entries.rejected.push_back({fields.entry.index, std::move(*why)});
        } else {
            result.entries.accepted.push_back(std::move(fields.entry));
            reuse_recycled_buffers(fields.entry);
            flags.push_back(fields.encrypted);
        }
    }

    ParsedEntries take() {
        attach_message_keys();
        return std::move(result);
    }

private:
    // The message's keys cover each of its entries that did not say `encrypted: false` and
    // has none of its own: the original library encrypts every entry of a message or none.
    void attach_message_keys() {
        if (!message_keys.present) return;
        if (message_keys.bad) {
            result.refusal = kKeysRule;
            return;
        }
        const std::string keys = message_keys.json();
        std::size_t attached = 0;
        auto& accepted = result.entries.accepted;
        for (std::size_t i = 0; i < accepted.size(); ++i) {
            if (flags[i] == Flag::no || !accepted[i].encryption.empty()) continue;
            accepted[i].encrypted = true;
            accepted[i].encryption = keys;
            attached += keys.size();
        }
        if (attached > kMaxAttachedEncryptionBytes) {
            result.refusal = "encryption keys copied to each of " +
                             std::to_string(accepted.size()) +
                             " entries would take more than 1 MiB: send fewer entries per message";
            result.refusal_too_large = true;
            for (auto& e : accepted) e.encryption.clear();
        }
    }
};

}  // namespace smartlog::protocol::entry_rules
