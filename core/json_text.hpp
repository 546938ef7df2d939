// core/json_text.hpp: the few byte-level JSON operations an entry's text needs (core/entry.hpp):
// escaping a string as Boost.JSON's serialiser does, unescaping one, and finding where a string
// or a value ends in compact JSON the server wrote. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace smartlog::core::json_text {

inline constexpr std::size_t npos = std::string_view::npos;

// True when `s` holds a byte that a JSON string must escape: '"', '\\' or a control character.
bool needs_escape(std::string_view s) noexcept;
// The size of `s` escaped (without the quotes): '"', '\\', \b \t \n \f \r take two bytes, the
// other control characters six (\u00xx), every other byte one.
std::size_t escaped_size(std::string_view s) noexcept;
// Writes `s` escaped, byte for byte as Boost.JSON's serialiser does, at `out` (escaped_size(s)
// bytes); returns the end.
char* write_escaped(char* out, std::string_view s) noexcept;

// Appends the text a JSON string's contents (between its quotes) stand for to `out`. False when
// an escape is malformed (then `out` holds a part of it). \u escapes of surrogate pairs give
// the character they pair into; a lone surrogate gives U+FFFD.
bool append_unescaped(std::string_view escaped, std::string& out);

// Appends code point `cp` (at most U+10FFFF) as UTF-8.
void append_utf8(std::string& out, unsigned long cp);

// Where the string whose contents start at `at` ends: the index of its closing quote, or npos.
std::size_t string_end(std::string_view text, std::size_t at) noexcept;
// Where the JSON value starting at `at` ends (one past its last byte), or npos when it does
// not. Checks the nesting of brackets and the quotes, not the grammar: for text the server
// wrote itself (an entry's metadata), which is valid JSON.
std::size_t value_end(std::string_view text, std::size_t at) noexcept;

}  // namespace smartlog::core::json_text
