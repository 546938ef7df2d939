#include "core/field_query.hpp"

#include <charconv>
#include <cmath>

namespace smartlog::core {

namespace {

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool is_name_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

std::optional<double> as_number(std::string_view text) {
    if (text.empty()) return std::nullopt;
    double value = 0;
    const char* first = text.data();
    if (*first == '+') ++first;  // from_chars takes no plus sign
    auto [ptr, ec] = std::from_chars(first, text.data() + text.size(), value);
    if (ec != std::errc{} || ptr != text.data() + text.size() || !std::isfinite(value))
        return std::nullopt;
    return value;
}

// Reads a quoted string starting at text[i] == '"'; leaves i after the closing quote.
std::optional<std::string> read_quoted(std::string_view text, std::size_t& i) {
    std::string out;
    for (++i; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '"') {
            ++i;
            return out;
        }
        if (c == '\\' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\')) ++i;
        out += text[i];
    }
    return std::nullopt;
}

// `name(.name)*` then an operator, at the start of `term`; the operator's length in `op_size`.
std::optional<FieldOp> field_operator(std::string_view term, std::size_t& name_end,
                                      std::size_t& op_size) {
    std::size_t i = 0;
    if (term.empty() || !((term[0] >= 'a' && term[0] <= 'z') ||
                          (term[0] >= 'A' && term[0] <= 'Z') || term[0] == '_')) {
        return std::nullopt;
    }
    while (i < term.size() && (is_name_char(term[i]) || term[i] == '.')) ++i;
    name_end = i;
    const std::string_view rest = term.substr(i);
    auto starts = [&](std::string_view op) { return rest.substr(0, op.size()) == op; };
    op_size = 2;
    if (starts("!=")) return FieldOp::ne;
    if (starts(">=")) return FieldOp::ge;
    if (starts("<=")) return FieldOp::le;
    op_size = 1;
    if (starts("=")) return FieldOp::eq;
    if (starts(">")) return FieldOp::gt;
    if (starts("<")) return FieldOp::lt;
    return std::nullopt;
}

// ---- a forward-only reader of JSON text: finds one member, never builds a document ----------

struct Cursor {
    std::string_view text;
    std::size_t i = 0;

    void skip_space() {
        while (i < text.size() && is_space(text[i])) ++i;
    }
    bool eat(char c) {
        skip_space();
        if (i < text.size() && text[i] == c) {
            ++i;
            return true;
        }
        return false;
    }
    // Past a string whose opening quote is at i; false if it does not close.
    bool skip_string() {
        for (++i; i < text.size(); ++i) {
            if (text[i] == '\\') {
                ++i;
            } else if (text[i] == '"') {
                ++i;
                return true;
            }
        }
        return false;
    }
    // Past one value of any kind. Nested containers are skipped by counting brackets, so depth
    // costs no stack.
    bool skip_value() {
        skip_space();
        if (i >= text.size()) return false;
        if (text[i] == '"') return skip_string();
        if (text[i] == '{' || text[i] == '[') {
            std::size_t depth = 0;
            while (i < text.size()) {
                const char c = text[i];
                if (c == '"') {
                    if (!skip_string()) return false;
                    continue;
                }
                if (c == '{' || c == '[') ++depth;
                if (c == '}' || c == ']') {
                    if (--depth == 0) {
                        ++i;
                        return true;
                    }
                }
                ++i;
            }
            return false;
        }
        const std::size_t start = i;
        while (i < text.size() && !is_space(text[i]) && text[i] != ',' && text[i] != '}' &&
               text[i] != ']')
            ++i;
        return i > start;
    }
};

void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

std::optional<unsigned> hex4(std::string_view s) {
    if (s.size() < 4) return std::nullopt;
    unsigned v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + 4, v, 16);
    if (ec != std::errc{} || ptr != s.data() + 4) return std::nullopt;
    return v;
}

// Decodes the JSON string whose opening quote is at c.i; leaves c.i past it.
std::optional<std::string> read_json_string(Cursor& c) {
    std::string out;
    const std::string_view t = c.text;
    for (std::size_t& i = ++c.i; i < t.size(); ++i) {
        const char ch = t[i];
        if (ch == '"') {
            ++i;
            return out;
        }
        if (ch != '\\') {
            out += ch;
            continue;
        }
        if (++i >= t.size()) return std::nullopt;
        switch (t[i]) {
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'u': {
                auto cp = hex4(t.substr(i + 1));
                if (!cp) return std::nullopt;
                i += 4;
                if (*cp >= 0xD800 && *cp < 0xDC00 && t.substr(i + 1, 2) == "\\u") {
                    if (auto low = hex4(t.substr(i + 3)); low && *low >= 0xDC00 && *low < 0xE000) {
                        *cp = 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00);
                        i += 6;
                    }
                }
                append_utf8(out, *cp);
                break;
            }
            default: out += t[i];  // \" \\ \/
        }
    }
    return std::nullopt;
}

// Leaves the cursor on the value at `path` inside the object at the cursor; false if absent.
bool find_member(Cursor& c, const std::vector<std::string>& path) {
    for (const std::string& name : path) {
        if (!c.eat('{')) return false;
        bool found = false;
        if (c.eat('}')) return false;
        for (;;) {
            c.skip_space();
            if (c.i >= c.text.size() || c.text[c.i] != '"') return false;
            auto key = read_json_string(c);
            if (!key || !c.eat(':')) return false;
            if (*key == name) {
                found = true;
                break;
            }
            if (!c.skip_value()) return false;
            if (c.eat(',')) continue;
            return false;  // '}' or garbage: not here
        }
        if (!found) return false;
    }
    c.skip_space();
    return c.i < c.text.size();
}

template <class T>
bool compare(FieldOp op, const T& a, const T& b) {
    switch (op) {
        case FieldOp::eq: return a == b;
        case FieldOp::ne: return a != b;
        case FieldOp::lt: return a < b;
        case FieldOp::le: return a <= b;
        case FieldOp::gt: return a > b;
        case FieldOp::ge: return a >= b;
    }
    return false;
}

bool condition_holds(std::string_view metadata, const FieldCondition& f) {
    Cursor c{metadata};
    if (!find_member(c, f.path)) return f.op == FieldOp::ne;
    const char first = c.text[c.i];
    if (first == '"') {
        auto value = read_json_string(c);
        if (!value) return f.op == FieldOp::ne;
        return compare<std::string_view>(f.op, *value, f.value);
    }
    if (first == '{' || first == '[') return f.op == FieldOp::ne;
    const std::size_t start = c.i;
    c.skip_value();
    const std::string_view literal = c.text.substr(start, c.i - start);
    if (literal == "true" || literal == "false" || literal == "null") {
        if (f.op == FieldOp::eq) return literal == f.value;
        if (f.op == FieldOp::ne) return literal != f.value;
        return false;
    }
    const auto number = as_number(literal);
    if (!number || !f.number) return f.op == FieldOp::ne;
    return compare(f.op, *number, *f.number);
}

}  // namespace

std::variant<SearchQuery, std::string> parse_search(std::string_view search) {
    SearchQuery out;
    bool quoted_seen = false;
    std::size_t i = 0;
    while (i < search.size()) {
        if (is_space(search[i])) {
            ++i;
            continue;
        }
        if (search[i] == '"') {
            auto text = read_quoted(search, i);
            if (!text) return std::string("a quote is not closed");
            quoted_seen = true;
            out.text += (out.text.empty() ? "" : " ") + *text;
            continue;
        }
        std::size_t end = i;
        while (end < search.size() && !is_space(search[end]) && search[end] != '"') ++end;
        std::string_view term = search.substr(i, end - i);
        std::size_t name_end = 0, op_size = 0;
        const auto op = field_operator(term, name_end, op_size);
        if (!op) {
            // Not a field term: text up to the next space (a quote inside it is kept as written).
            while (end < search.size() && !is_space(search[end])) ++end;
            out.text += (out.text.empty() ? "" : " ") + std::string(search.substr(i, end - i));
            i = end;
            continue;
        }
        FieldCondition f;
        f.op = *op;
        const std::string_view path = term.substr(0, name_end);
        std::size_t from = 0;
        for (;;) {
            const std::size_t dot = path.find('.', from);
            const std::string_view segment =
                path.substr(from, dot == std::string_view::npos ? dot : dot - from);
            if (segment.empty())
                return "\"" + std::string(path) + "\": a field name has an empty part";
            f.path.emplace_back(segment);
            if (dot == std::string_view::npos) break;
            from = dot + 1;
        }
        if (f.path.size() > kMaxFieldPathDepth) {
            return "\"" + std::string(path) + "\": at most " + std::to_string(kMaxFieldPathDepth) +
                   " levels of fields";
        }
        i += name_end + op_size;
        if (i < search.size() && search[i] == '"') {
            auto value = read_quoted(search, i);
            if (!value) return std::string("a quote is not closed");
            f.value = std::move(*value);
        } else {
            std::size_t value_end = i;
            while (value_end < search.size() && !is_space(search[value_end])) ++value_end;
            f.value = std::string(search.substr(i, value_end - i));
            i = value_end;
        }
        f.number = as_number(f.value);
        if (out.fields.size() == kMaxFieldConditions) {
            return "at most " + std::to_string(kMaxFieldConditions) + " field conditions";
        }
        out.fields.push_back(std::move(f));
    }
    if (out.fields.empty() && !quoted_seen) out.text = std::string(search);
    return out;
}

bool fields_match(std::string_view metadata_json, const std::vector<FieldCondition>& fields) {
    for (const FieldCondition& f : fields) {
        if (!condition_holds(metadata_json, f)) return false;
    }
    return true;
}

std::string format_condition(const FieldCondition& condition) {
    std::string out;
    for (const std::string& segment : condition.path) out += (out.empty() ? "" : ".") + segment;
    switch (condition.op) {
        case FieldOp::eq: out += "="; break;
        case FieldOp::ne: out += "!="; break;
        case FieldOp::lt: out += "<"; break;
        case FieldOp::le: out += "<="; break;
        case FieldOp::gt: out += ">"; break;
        case FieldOp::ge: out += ">="; break;
    }
    // A value starting with '=' would read as part of the operator (`a<` then `=1` is `a<=1`).
    bool plain = !condition.value.empty() && condition.value.front() != '=';
    for (char c : condition.value) plain = plain && !is_space(c) && c != '"' && c != '\\';
    if (plain) return out + condition.value;
    out += '"';
    for (char c : condition.value) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + '"';
}

}  // namespace smartlog::core
