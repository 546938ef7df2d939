#include "protocol/entry_parser.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <optional>

#include "core/level.hpp"
#include "protocol/encode.hpp"
#include "protocol/timestamp.hpp"

namespace smartlog::protocol {

namespace {

using boost::system::error_code;
using string_view = boost::json::string_view;

// A field of an entry as last seen: docs/protocol.md treats null as absent.
enum class Seen : std::uint8_t { absent, string, number, other };

// An entry's `encrypted` as last seen.
enum class Flag : std::uint8_t { absent, yes, no, other };

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

constexpr const char* kKeysRule =
    "encryption must be an object with string transmissionKey and encryptedKey of at most 256 "
    "bytes";

// The events of Boost.JSON's basic_parser, turned into entries. The structure the layout names
// (frame, its data, the array, each entry) is a small stack; everything else is either ignored
// (skip_depth_) or, inside an entry's metadata, written out as compact JSON (metadata_depth_).
class EntryHandler {
public:
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);

    EntryHandler(std::string_view input, EntryLayout layout, const Limits& limits,
                 std::size_t first_index)
        : input_(input), layout_(layout), limits_(limits), next_index_(first_index) {
        if (layout == EntryLayout::single_entry) result_.entries_found = true;
    }

    ParsedEntries take() {
        attach_message_keys();
        return std::move(result_);
    }

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_comment_part(string_view, error_code&) { return true; }
    bool on_comment(string_view, error_code&) { return true; }

    bool on_object_begin(error_code&) { return begin_container('{'); }
    bool on_array_begin(error_code&) { return begin_container('['); }
    bool on_object_end(std::size_t, error_code&) { return end_container('}'); }
    bool on_array_end(std::size_t, error_code&) { return end_container(']'); }

    bool on_key_part(string_view s, std::size_t n, error_code&) {
        if (!skip_depth_) gather(key_, s, n);
        return true;
    }
    bool on_key(string_view s, std::size_t n, error_code&) {
        if (skip_depth_) return true;
        const std::string_view key = gathered(key_, s, n);
        if (metadata_depth_) {
            separate_metadata();
            append_string(current_metadata(), key, is_plain(s, n));
            current_metadata().push_back(':');
        } else {
            slot_ = slot_for(key);
        }
        return true;
    }

    bool on_string_part(string_view s, std::size_t n, error_code&) {
        if (!skip_depth_) gather(string_, s, n);
        return true;
    }
    bool on_string(string_view s, std::size_t n, error_code&) {
        if (skip_depth_) return true;
        const std::string_view text = gathered(string_, s, n);
        if (metadata_depth_ || target() == Target::metadata) {
            begin_metadata_scalar();
            append_string(current_metadata(), text, is_plain(s, n));
            return true;
        }
        switch (target()) {
            case Target::type: result_.type.assign(text); break;
            case Target::ref:
                result_.ref.clear();
                append_json_string(result_.ref, text);
                break;
            case Target::message:
                message_ = Seen::string;
                entry_.message.assign(text);
                entry_.message_is_plain = is_plain(s, n);
                break;
            case Target::level:
                level_ = Seen::string;
                level_text_.assign(text);
                break;
            case Target::timestamp:
                timestamp_ = Seen::string;
                timestamp_ms_ = parse_iso8601_ms(text);
                break;
            case Target::transmission_key: keys_->transmission_key.emplace(text); break;
            case Target::encrypted_key: keys_->encrypted_key.emplace(text); break;
            default: scalar_elsewhere(); break;
        }
        return true;
    }

    bool on_number_part(string_view s, error_code&) {
        if (!skip_depth_) number_.append(s.data(), s.size());
        return true;
    }
    bool on_int64(std::int64_t i, string_view s, error_code&) { return on_number(i, s); }
    bool on_uint64(std::uint64_t u, string_view s, error_code&) { return on_number(u, s); }
    bool on_double(double d, string_view s, error_code&) { return on_number(d, s); }

    bool on_bool(bool b, error_code&) { return on_literal(b ? "true" : "false"); }
    bool on_null(error_code&) { return on_literal("null"); }

private:
    // What the value being read is, given where the parser stands.
    enum class Target : std::uint8_t {
        root,
        type,
        ref,
        data,
        logs,
        element,
        message,
        level,
        timestamp,
        metadata,
        encrypted,
        encryption,
        is_encrypted,
        transmission_key,
        encrypted_key,
        ignored
    };
    // Objects and arrays of the layout's structure.
    enum class Node : std::uint8_t { frame, frame_data, body, entries, entry, encryption };

    Target slot_for(std::string_view key) const {
        switch (stack_.back()) {
            case Node::frame:
                if (key == "type") return Target::type;
                if (key == "ref") return Target::ref;
                if (key == "data") return Target::data;
                return Target::ignored;
            case Node::frame_data:
            case Node::body:
                if (key == "logs") return Target::logs;
                if (key == "encryption") return Target::encryption;
                return Target::ignored;
            case Node::entry:
                if (key == "message") return Target::message;
                if (key == "level") return Target::level;
                if (key == "timestamp") return Target::timestamp;
                if (key == "metadata") return Target::metadata;
                if (key == "encrypted") return Target::encrypted;
                if (key == "encryption") return Target::encryption;
                return Target::ignored;
            case Node::encryption:
                if (key == "isEncrypted") return Target::is_encrypted;
                if (key == "transmissionKey") return Target::transmission_key;
                if (key == "encryptedKey") return Target::encrypted_key;
                return Target::ignored;
            case Node::entries: break;
        }
        return Target::ignored;
    }

    Target target() const {
        if (stack_.empty()) return Target::root;
        if (stack_.back() == Node::entries) return Target::element;
        return slot_;
    }

    bool begin_container(char open) {
        if (skip_depth_) {
            ++skip_depth_;
            return true;
        }
        if (metadata_depth_ || target() == Target::metadata) {
            if (!metadata_depth_) current_metadata().clear();
            separate_metadata();
            current_metadata().push_back(open);
            ++metadata_depth_;
            metadata_present_ = true;
            return true;
        }
        const bool object = open == '{';
        switch (target()) {
            case Target::root:
                if (layout_ == EntryLayout::logs_frame && object) return push(Node::frame);
                if (layout_ == EntryLayout::ingest_body)
                    return object ? push(Node::body) : begin_entries();
                if (layout_ == EntryLayout::single_entry && object) return begin_entry();
                if (layout_ == EntryLayout::single_entry) refuse_element();
                break;
            case Target::data:
                lose_entries();
                message_keys_.reset();
                if (object) return push(Node::frame_data);
                break;
            case Target::logs:
                lose_entries();
                if (!object) return begin_entries();
                break;
            case Target::element:
                if (object) return begin_entry();
                refuse_element();
                break;
            case Target::encryption:
                // The entry's own keys, or the message's (beside `logs`).
                keys_ = stack_.back() == Node::entry ? &entry_keys_ : &message_keys_;
                keys_->reset();
                keys_->present = true;
                if (object) return push(Node::encryption);
                keys_->bad = true;
                break;
            case Target::encrypted: encrypted_ = Flag::other; break;
            case Target::is_encrypted:
            case Target::transmission_key:
            case Target::encrypted_key: keys_->bad = true; break;
            case Target::message: message_ = Seen::other; break;
            case Target::level: level_ = Seen::other; break;
            case Target::timestamp: timestamp_ = Seen::other; break;
            case Target::type: result_.type.clear(); break;
            case Target::ref: result_.ref.clear(); break;
            default: break;
        }
        skip_depth_ = 1;
        return true;
    }

    bool end_container(char close) {
        if (skip_depth_) {
            --skip_depth_;
            return true;
        }
        if (metadata_depth_) {
            current_metadata().push_back(close);
            --metadata_depth_;
            return true;
        }
        const Node node = stack_.back();
        stack_.pop_back();
        if (node == Node::entry) finish_entry();
        if (node == Node::encryption) {
            keys_->finish();
            // Back in the entry or data object, after the `encryption` key.
            slot_ = Target::ignored;
        }
        return true;
    }

    bool push(Node node) {
        stack_.push_back(node);
        slot_ = Target::ignored;
        return true;
    }

    // The array of entries: a later one (a duplicate `data` or `logs` key) replaces it.
    bool begin_entries() {
        result_.entries_found = true;
        next_index_ = 0;
        return push(Node::entries);
    }
    void lose_entries() {
        result_.entries_found = false;
        result_.entries.accepted.clear();
        result_.entries.rejected.clear();
        flags_.clear();
    }

    bool begin_entry() {
        entry_ = IncomingEntry{};
        entry_.index = next_index_++;
        message_ = level_ = timestamp_ = Seen::absent;
        timestamp_ms_.reset();
        metadata_present_ = false;
        encrypted_ = Flag::absent;
        entry_keys_.reset();
        return push(Node::entry);
    }

    void refuse_element() {
        result_.entries.rejected.push_back({next_index_++, "entry must be an object"});
    }

    // A string, number, true, false or null that is neither metadata nor an entry field.
    void scalar_elsewhere(bool is_null = false) {
        switch (target()) {
            case Target::root:
                if (layout_ == EntryLayout::single_entry) refuse_element();
                break;
            case Target::element: refuse_element(); break;
            case Target::type: result_.type.clear(); break;
            case Target::ref: result_.ref.clear(); break;
            case Target::data:
                lose_entries();
                message_keys_.reset();
                break;
            case Target::logs: lose_entries(); break;
            case Target::message: message_ = is_null ? Seen::absent : Seen::other; break;
            case Target::level: level_ = is_null ? Seen::absent : Seen::other; break;
            case Target::timestamp: timestamp_ = is_null ? Seen::absent : Seen::other; break;
            case Target::encrypted: encrypted_ = is_null ? Flag::absent : Flag::other; break;
            case Target::encryption: {
                // null: no keys; any other scalar is a malformed object.
                Keys& keys = stack_.back() == Node::entry ? entry_keys_ : message_keys_;
                keys.reset();
                keys.present = keys.bad = !is_null;
                break;
            }
            case Target::is_encrypted:
            case Target::transmission_key:
            case Target::encrypted_key:
                if (!is_null) keys_->bad = true;
                break;
            default: break;
        }
    }

    template <class Number>
    bool on_number(Number value, string_view last_part) {
        if (skip_depth_) return true;
        if (metadata_depth_ || target() == Target::metadata) {
            begin_metadata_scalar();
            // The producer's spelling: valid JSON (the parser checked it), unlike what a
            // serialiser prints for doubles out of range.
            current_metadata() += number_;
            current_metadata().append(last_part.data(), last_part.size());
        } else if (target() == Target::timestamp) {
            timestamp_ = Seen::number;
            timestamp_ms_ = millis_of(value);
        } else if (target() == Target::ref) {
            result_.ref = ref_of(value);
        } else {
            scalar_elsewhere();
        }
        number_.clear();
        return true;
    }

    static std::string ref_of(std::int64_t i) { return std::to_string(i); }
    static std::string ref_of(std::uint64_t u) { return std::to_string(u); }
    static std::string ref_of(double d) { return finite_json_number(d); }

    bool on_literal(std::string_view literal) {
        if (skip_depth_) return true;
        const bool boolean = literal == "true" || literal == "false";
        if (metadata_depth_ || target() == Target::metadata) {
            begin_metadata_scalar();
            current_metadata() += literal;
        } else if (boolean && target() == Target::encrypted) {
            encrypted_ = literal == "true" ? Flag::yes : Flag::no;
        } else if (boolean && target() == Target::is_encrypted) {
            keys_->is_encrypted = literal == "true";
        } else {
            scalar_elsewhere(literal == "null");
        }
        return true;
    }

    std::string& current_metadata() { return entry_.metadata; }

    // A string handed over whole and pointing into the input is a run of the text without
    // escapes: JSON allows no raw '"', '\\' or control character there, so it needs none either.
    // (Escaped strings come from the parser's own buffer, or in parts.)
    bool is_plain(string_view s, std::size_t total) const {
        const auto begin = reinterpret_cast<std::uintptr_t>(input_.data());
        const auto at = reinterpret_cast<std::uintptr_t>(s.data());
        return total == s.size() && at >= begin && at + s.size() <= begin + input_.size();
    }
    static void append_string(std::string& out, std::string_view s, bool plain) {
        if (!plain) return append_json_string(out, s);
        out.push_back('"');
        out += s;
        out.push_back('"');
    }

    // A scalar as the whole metadata value starts it afresh (a duplicate key replaces it).
    void begin_metadata_scalar() {
        if (!metadata_depth_) {
            current_metadata().clear();
            metadata_present_ = true;
        }
        separate_metadata();
    }
    void separate_metadata() {
        std::string& out = current_metadata();
        if (!out.empty() && out.back() != '{' && out.back() != '[' && out.back() != ':')
            out.push_back(',');
    }

    // The checks of docs/protocol.md, in the order the error messages were always given.
    void finish_entry() {
        slot_ = Target::ignored;
        if (auto why = refusal()) {
            result_.entries.rejected.push_back({entry_.index, std::move(*why)});
        } else {
            result_.entries.accepted.push_back(std::move(entry_));
            flags_.push_back(encrypted_);
        }
    }

    // The message's keys cover each of its entries that did not say `encrypted: false` and
    // has none of its own: the original library encrypts every entry of a message or none.
    void attach_message_keys() {
        if (!message_keys_.present) return;
        if (message_keys_.bad) {
            result_.refusal = kKeysRule;
            return;
        }
        const std::string keys = message_keys_.json();
        std::size_t attached = 0;
        auto& accepted = result_.entries.accepted;
        for (std::size_t i = 0; i < accepted.size(); ++i) {
            if (flags_[i] == Flag::no || !accepted[i].encryption.empty()) continue;
            accepted[i].encrypted = true;
            accepted[i].encryption = keys;
            attached += keys.size();
        }
        if (attached > kMaxAttachedEncryptionBytes) {
            result_.refusal = "encryption keys copied to each of " +
                              std::to_string(accepted.size()) +
                              " entries would take more than 1 MiB: send fewer entries per message";
            result_.refusal_too_large = true;
            for (auto& e : accepted) e.encryption.clear();
        }
    }

    std::optional<std::string> refusal() {
        if (message_ != Seen::string) return "message is required and must be a string";
        if (entry_.message.size() > limits_.max_message_bytes) {
            return "message is larger than max_message_bytes (" +
                   std::to_string(limits_.max_message_bytes) + ")";
        }
        if (level_ == Seen::absent) {
            entry_.level = "info";
        } else if (level_ != Seen::string) {
            return "level must be a string";
        } else if (auto level = core::normalize_level(level_text_)) {
            entry_.level = std::move(*level);
        } else {
            return "level is longer than 32 characters";
        }
        if (timestamp_ != Seen::absent) {
            const bool valid =
                timestamp_ms_ &&
                (timestamp_ == Seen::string || (timestamp_ == Seen::number && *timestamp_ms_ >= 0));
            if (!valid) return "timestamp must be ms since the epoch or ISO-8601";
            entry_.timestamp = timestamp_ms_;
        }
        if (!metadata_present_) {
            entry_.metadata.clear();
        } else if (entry_.metadata.size() > limits_.max_metadata_bytes) {
            return "metadata is larger than max_metadata_bytes (" +
                   std::to_string(limits_.max_metadata_bytes) + ")";
        }
        if (encrypted_ == Flag::other) return "encrypted must be a boolean";
        if (entry_keys_.present && entry_keys_.bad) return std::string(kKeysRule);
        entry_.encrypted =
            encrypted_ == Flag::yes || (entry_keys_.present && encrypted_ != Flag::no);
        if (entry_keys_.present && entry_.encrypted) entry_.encryption = entry_keys_.json();
        return std::nullopt;
    }

    // A string or key comes whole in `s` unless it held escapes or was split: then in parts.
    static void gather(std::string& into, string_view part, std::size_t total) {
        if (total == part.size()) into.clear();
        into.append(part.data(), part.size());
    }
    static std::string_view gathered(std::string& parts, string_view last, std::size_t total) {
        if (total == last.size()) return {last.data(), last.size()};
        parts.append(last.data(), last.size());
        return parts;
    }

    std::string_view input_;
    EntryLayout layout_;
    const Limits& limits_;
    ParsedEntries result_;
    std::vector<Node> stack_;
    Target slot_ = Target::ignored;
    std::size_t skip_depth_ = 0;
    std::size_t metadata_depth_ = 0;
    std::size_t next_index_;

    IncomingEntry entry_;
    Seen message_ = Seen::absent;
    Seen level_ = Seen::absent;
    Seen timestamp_ = Seen::absent;
    std::string level_text_;
    std::optional<std::int64_t> timestamp_ms_;
    bool metadata_present_ = false;
    Flag encrypted_ = Flag::absent;
    Keys entry_keys_;       // the entry's own `encryption`
    Keys message_keys_;     // the message's, beside `logs`: applied in take(), as it may come last
    Keys* keys_ = nullptr;  // the one being read
    std::vector<Flag> flags_;  // `encrypted` of each accepted entry, for the message's keys

    std::string key_, string_, number_;  // parts of a split key, string or number
};

}  // namespace

boost::system::result<ParsedEntries, error_code> parse_entries(std::string_view text,
                                                               EntryLayout layout,
                                                               const Limits& limits,
                                                               const EntryParseOptions& options) {
    boost::json::parse_options parse_options;
    parse_options.max_depth = 64;
    parse_options.allow_invalid_utf8 = options.utf8_checked;
    boost::json::basic_parser<EntryHandler> parser(parse_options, text, layout, limits,
                                                   options.first_index);
    error_code ec;
    const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
    if (!ec && used < text.size()) {
        // Only whitespace may follow the value, as boost::json::parse requires.
        ec = boost::json::error::extra_data;
    }
    if (ec) return ec;
    return parser.handler().take();
}

}  // namespace smartlog::protocol
