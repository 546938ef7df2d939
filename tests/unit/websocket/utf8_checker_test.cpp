// Beast's UTF-8 check of text frames as websocket/utf8_checker.cpp defines it: the same verdict
// as the byte-by-byte definition (protocol/utf8.hpp) on every split of a message into reads, and
// a failure as soon as the bytes received so far cannot begin well-formed UTF-8 (fail fast).
#include <boost/beast/websocket/detail/utf8_checker.hpp>
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "protocol/utf8.hpp"

namespace {

using boost::beast::websocket::detail::check_utf8;
using boost::beast::websocket::detail::utf8_checker;
using smartlog::protocol::utf8_sequence_length;

bool well_formed(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = utf8_sequence_length(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

// Whether some bytes appended to `s` make it well-formed: its last (at most three) bytes
// completed with each boundary of the second byte's possible ranges, then 0x80s.
bool can_begin_well_formed(std::string_view s) {
    if (well_formed(s)) return true;
    for (std::size_t missing = 1; missing <= 3; ++missing) {
        for (unsigned char second : {0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF}) {
            std::string completed(s);
            for (std::size_t k = 0; k < missing; ++k)
                completed.push_back(static_cast<char>(k == 0 ? second : 0x80));
            // Only a completion of the last sequence counts: the bytes added stay within it.
            if (well_formed(completed) && s.size() >= 1) {
                std::size_t start = s.size();
                while (start > 0 && (static_cast<unsigned char>(s[start - 1]) & 0xC0) == 0x80 &&
                       s.size() - start < 3)
                    --start;
                if (start > 0) --start;
                if (utf8_sequence_length(completed, start) == completed.size() - start) return true;
            }
        }
    }
    return false;
}

std::string random_text(std::mt19937_64& rng) {
    static const char* kPieces[] = {"a",
                                    "{\"m\":",
                                    "\xC3\xA9",
                                    "\xE2\x82\xAC",
                                    "\xF0\x9F\x98\x80",
                                    "\xED\x9F\xBF",
                                    "\xEF\xBF\xBF",
                                    "\xF4\x8F\xBF\xBF"};
    std::string out;
    const int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
        if (rng() % 12 == 0) {
            out.push_back(static_cast<char>(rng() % 256));  // anything, valid or not
        } else {
            out += kPieces[rng() % std::size(kPieces)];
        }
    }
    // Long ASCII runs, so that the vector path of the validator is taken.
    if (rng() % 2) out.insert(rng() % (out.size() + 1), std::string(rng() % 200, 'x'));
    return out;
}

TEST(Utf8Checker, AgreesWithTheDefinitionOnEverySplit) {
    std::mt19937_64 rng(20261205);
    for (int round = 0; round < 20000; ++round) {
        const std::string text = random_text(rng);
        utf8_checker checker;
        std::size_t at = 0;
        bool ok = true;
        while (at < text.size() && ok) {
            const std::size_t n = std::min<std::size_t>(text.size() - at, 1 + rng() % 24);
            ok = checker.write(reinterpret_cast<const std::uint8_t*>(text.data() + at), n);
            at += n;
            // Fails exactly when what has come so far cannot begin well-formed UTF-8.
            ASSERT_EQ(ok, can_begin_well_formed(std::string_view(text).substr(0, at)))
                << round << " at " << at;
        }
        if (ok) {
            EXPECT_EQ(checker.finish(), well_formed(text)) << round;
        } else {
            checker.reset();
        }
        EXPECT_EQ(check_utf8(text.data(), text.size()), well_formed(text)) << round;
    }
}

TEST(Utf8Checker, RefusesWhatRfc3629Refuses) {
    for (std::string_view bad :
         {"\xC0\x80", "\xC1\xBF", "\xE0\x9F\xBF", "\xED\xA0\x80", "\xF0\x8F\xBF\xBF",
          "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\x80", "\xFF"}) {
        EXPECT_FALSE(check_utf8(bad.data(), bad.size())) << bad;
    }
    for (std::string_view good :
         {"", "ascii", "caf\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xEF\xBF\xBF"}) {
        EXPECT_TRUE(check_utf8(good.data(), good.size())) << good;
    }
}

}  // namespace
