// protocol/entry_events.cpp: parse_entries_with_events, entries read from Boost.JSON's event
// parser (protocol/entry_parser.hpp).
#include <boost/json/basic_parser_impl.hpp>
#include <optional>

#include "protocol/encode.hpp"
#include "protocol/entry_parser.hpp"
#include "protocol/entry_rules.hpp"
#include "protocol/timestamp.hpp"

namespace smartlog::protocol {

namespace {

using boost::system::error_code;
using string_view = boost::json::string_view;

using entry_rules::Flag;
using entry_rules::Keys;
using entry_rules::Seen;

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
        if (layout == EntryLayout::single_entry) out_.result.entries_found = true;
    }

    ParsedEntries take() { return out_.take(); }

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
            case Target::type: out_.result.type.assign(text); break;
            case Target::ref:
                out_.result.ref.clear();
                append_json_string(out_.result.ref, text);
                break;
            case Target::message:
                fields_.message = Seen::string;
                fields_.entry.message.assign(text);
                fields_.entry.message_is_plain = is_plain(s, n);
                break;
            case Target::level:
                fields_.level = Seen::string;
                fields_.level_text.assign(text);
                break;
            case Target::timestamp:
                fields_.timestamp = Seen::string;
                fields_.timestamp_ms = parse_iso8601_ms(text);
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
            fields_.metadata_present = true;
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
                out_.message_keys.reset();
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
                keys_ = stack_.back() == Node::entry ? &fields_.keys : &out_.message_keys;
                keys_->reset();
                keys_->present = true;
                if (object) return push(Node::encryption);
                keys_->bad = true;
                break;
            case Target::encrypted: fields_.encrypted = Flag::other; break;
            case Target::is_encrypted:
            case Target::transmission_key:
            case Target::encrypted_key: keys_->bad = true; break;
            case Target::message: fields_.message = Seen::other; break;
            case Target::level: fields_.level = Seen::other; break;
            case Target::timestamp: fields_.timestamp = Seen::other; break;
            case Target::type: out_.result.type.clear(); break;
            case Target::ref: out_.result.ref.clear(); break;
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
        if (node == Node::entry) {
            slot_ = Target::ignored;
            out_.finish_entry(fields_, limits_);
        }
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
        out_.result.entries_found = true;
        next_index_ = 0;
        return push(Node::entries);
    }
    void lose_entries() { out_.lose_entries(); }

    bool begin_entry() {
        fields_.begin(next_index_++);
        return push(Node::entry);
    }

    void refuse_element() { out_.refuse_element(next_index_++); }

    // A string, number, true, false or null that is neither metadata nor an entry field.
    void scalar_elsewhere(bool is_null = false) {
        switch (target()) {
            case Target::root:
                if (layout_ == EntryLayout::single_entry) refuse_element();
                break;
            case Target::element: refuse_element(); break;
            case Target::type: out_.result.type.clear(); break;
            case Target::ref: out_.result.ref.clear(); break;
            case Target::data:
                lose_entries();
                out_.message_keys.reset();
                break;
            case Target::logs: lose_entries(); break;
            case Target::message: fields_.message = is_null ? Seen::absent : Seen::other; break;
            case Target::level: fields_.level = is_null ? Seen::absent : Seen::other; break;
            case Target::timestamp: fields_.timestamp = is_null ? Seen::absent : Seen::other; break;
            case Target::encrypted: fields_.encrypted = is_null ? Flag::absent : Flag::other; break;
            case Target::encryption: {
                // null: no keys; any other scalar is a malformed object.
                Keys& keys = stack_.back() == Node::entry ? fields_.keys : out_.message_keys;
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
            fields_.timestamp = Seen::number;
            fields_.timestamp_ms = millis_of(value);
        } else if (target() == Target::ref) {
            out_.result.ref = ref_of(value);
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
            fields_.encrypted = literal == "true" ? Flag::yes : Flag::no;
        } else if (boolean && target() == Target::is_encrypted) {
            keys_->is_encrypted = literal == "true";
        } else {
            scalar_elsewhere(literal == "null");
        }
        return true;
    }

    std::string& current_metadata() { return fields_.entry.metadata; }

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
            fields_.metadata_present = true;
        }
        separate_metadata();
    }
    void separate_metadata() {
        std::string& out = current_metadata();
        if (!out.empty() && out.back() != '{' && out.back() != '[' && out.back() != ':')
            out.push_back(',');
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
    std::vector<Node> stack_;
    Target slot_ = Target::ignored;
    std::size_t skip_depth_ = 0;
    std::size_t metadata_depth_ = 0;
    std::size_t next_index_;

    entry_rules::Collected out_;
    entry_rules::EntryFields fields_;
    Keys* keys_ = nullptr;  // the one being read: the entry's or the message's

    std::string key_, string_, number_;  // parts of a split key, string or number
};

}  // namespace

boost::system::result<ParsedEntries, error_code> parse_entries_with_events(
    std::string_view text, EntryLayout layout, const Limits& limits,
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
