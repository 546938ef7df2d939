#include "protocol/entry_parser.hpp"
#include "protocol/entry_recycling.hpp"

#include <gtest/gtest.h>

#include <random>

#include "tests/support/entries_compare.hpp"
#include "tests/support/entries_oracle.hpp"

namespace smartlog::protocol {
namespace {

ParsedEntries parse(std::string_view text, EntryLayout layout = EntryLayout::logs_frame,
                    Limits limits = {}) {
    auto parsed = parse_entries(text, layout, limits);
    EXPECT_TRUE(parsed) << text << ": " << (parsed ? "" : parsed.error().message());
    return parsed ? std::move(*parsed) : ParsedEntries{};
}

std::string frame_of(std::string_view entries) {
    return R"({"type":"logs","data":{"logs":[)" + std::string(entries) + "]}}";
}

TEST(EntryParser, ReadsTheSeedsLogsFrame) {
    auto p = parse(R"({"type":"logs","ref":3,"data":{"logs":[
        {"timestamp":1700000000123,"level":"WARNING","message":"disk \"full\"\n","metadata":{"host":"a","n":[1,2.50,-0,1e400,true,null]}}
    ]}})");
    EXPECT_EQ(p.type, "logs");
    EXPECT_EQ(p.ref, "3");
    ASSERT_TRUE(p.entries_found);
    ASSERT_EQ(p.entries.accepted.size(), 1u);
    const IncomingEntry& e = p.entries.accepted[0];
    EXPECT_EQ(e.timestamp, 1700000000123);
    EXPECT_EQ(e.level, "warn");
    EXPECT_EQ(e.message, "disk \"full\"\n");
    // Compact, numbers as the producer spelled them (a document would print 2.5E0 and Infinity).
    EXPECT_EQ(e.metadata, R"({"host":"a","n":[1,2.50,-0,1e400,true,null]})");
}

TEST(EntryParser, MetadataIsCompactWithStringsEscapedAsTheEncoderDoes) {
    auto p = parse(frame_of(
        R"({"message":"m","metadata" : { "a\u00e9\/" : [ ] , "b" : { } , "c":"x\u0001\t" }})"));
    ASSERT_EQ(p.entries.accepted.size(), 1u);
    EXPECT_EQ(p.entries.accepted[0].metadata, "{\"a\xC3\xA9/\":[],\"b\":{},\"c\":\"x\\u0001\\t\"}");
}

TEST(EntryParser, ScalarAndNullMetadataAreKept) {
    auto p = parse(frame_of(
        R"({"message":"a","metadata":"text"},{"message":"b","metadata":null},{"message":"c","metadata":12.0},{"message":"d"})"));
    ASSERT_EQ(p.entries.accepted.size(), 4u);
    EXPECT_EQ(p.entries.accepted[0].metadata, R"("text")");
    EXPECT_EQ(p.entries.accepted[1].metadata, "null");
    EXPECT_EQ(p.entries.accepted[2].metadata, "12.0");
    EXPECT_EQ(p.entries.accepted[3].metadata, "");
}

TEST(EntryParser, DuplicateKeysKeepTheLastAsADocumentWould) {
    auto p = parse(R"({"type":"ping","type":"logs","data":{"logs":[{"message":"lost"}]},
                       "data":{"logs":[{"message":"lost too"}],"logs":[
                           {"message":5,"message":"kept","level":"debug","level":null,
                            "metadata":{"a":1},"metadata":[2],"timestamp":"x","timestamp":7}]}})");
    EXPECT_EQ(p.type, "logs");
    ASSERT_EQ(p.entries.accepted.size(), 1u);
    EXPECT_TRUE(p.entries.rejected.empty());
    const IncomingEntry& e = p.entries.accepted[0];
    EXPECT_EQ(e.index, 0u);
    EXPECT_EQ(e.message, "kept");
    EXPECT_EQ(e.level, "info");
    EXPECT_EQ(e.metadata, "[2]");
    EXPECT_EQ(e.timestamp, 7);
    // Inside metadata, duplicates stay as sent: the producer's object, not a document's.
    auto dup = parse(frame_of(R"({"message":"m","metadata":{"k":1,"k":2}})"));
    EXPECT_EQ(dup.entries.accepted.at(0).metadata, R"({"k":1,"k":2})");
    // A later `data` without logs loses the earlier array.
    EXPECT_FALSE(parse(R"({"type":"logs","data":{"logs":[]},"data":{}})").entries_found);
    EXPECT_FALSE(parse(R"({"type":"logs","data":{"logs":[]},"data":null})").entries_found);
}

TEST(EntryParser, RefusesEntriesOneByOneWithTheReason) {
    Limits limits;
    limits.max_message_bytes = 10;
    limits.max_metadata_bytes = 12;
    auto p = parse(frame_of(R"(
        {"message":"ok","unknown":{"deep":[{"message":"no"}]},"metadata":{"a":1}},
        {"level":"info"},
        {"message":null},
        {"message":"x","level":5},
        "just a string", [1,{"message":"nested"}], 7, null, true,
        {"message":"this message is too long"},
        {"message":"m","metadata":{"big":"0123456789"}},
        {"message":"m","level":"0123456789012345678901234567890123"},
        {"message":"m","timestamp":"last tuesday"},
        {"message":"m","timestamp":-1},
        {"message":"m","timestamp":1e300},
        {"message":"m","timestamp":true},
        {"message":"iso","timestamp":"2024-05-01T12:00:00.250Z"})"),
                   EntryLayout::logs_frame, limits);
    ASSERT_EQ(p.entries.accepted.size(), 2u);
    EXPECT_EQ(p.entries.accepted[0].index, 0u);
    EXPECT_EQ(p.entries.accepted[0].metadata, R"({"a":1})");
    EXPECT_EQ(p.entries.accepted[1].index, 16u);
    EXPECT_EQ(p.entries.accepted[1].timestamp, 1714564800250);
    std::vector<std::pair<std::size_t, std::string>> rejected;
    for (const auto& r : p.entries.rejected) rejected.emplace_back(r.index, r.message);
    const std::string not_object = "entry must be an object",
                      no_message = "message is required and must be a string",
                      bad_time = "timestamp must be ms since the epoch or ISO-8601";
    EXPECT_EQ(rejected, (std::vector<std::pair<std::size_t, std::string>>{
                            {1, no_message},
                            {2, no_message},
                            {3, "level must be a string"},
                            {4, not_object},
                            {5, not_object},
                            {6, not_object},
                            {7, not_object},
                            {8, not_object},
                            {9, "message is larger than max_message_bytes (10)"},
                            {10, "metadata is larger than max_metadata_bytes (12)"},
                            {11, "level is longer than 32 characters"},
                            {12, bad_time},
                            {13, bad_time},
                            {14, bad_time},
                            {15, bad_time}}));
}

TEST(EntryParser, EscapedAndSplitStringsAndKeysAreReadWhole) {
    // Escapes make the parser hand a string over in parts.
    auto p = parse(
        R"({"t\u0079pe":"lo\u0067s","data":{"l\u006fgs":[{"mess\u0061ge":"a\"b\\c\u00e9\ud83d\ude00 end","le\u0076el":"E\u0052ROR"}]}})");
    EXPECT_EQ(p.type, "logs");
    ASSERT_EQ(p.entries.accepted.size(), 1u);
    EXPECT_EQ(p.entries.accepted[0].message, "a\"b\\c\xC3\xA9\xF0\x9F\x98\x80 end");
    EXPECT_EQ(p.entries.accepted[0].level, "error");
}

TEST(EntryParser, AMessageIsPlainOnlyWhenItWasOneRunOfTheTextWithoutEscapes) {
    auto p = parse(frame_of(
        R"({"message":"plain é"},{"message":"\u0041"},{"message":"a\"b"},{"message":"a\nb"},{"message":""})"));
    ASSERT_EQ(p.entries.accepted.size(), 5u);
    std::vector<bool> plain;
    for (const auto& e : p.entries.accepted) plain.push_back(e.message_is_plain);
    // "\u0041" unescapes to a harmless "A", but only the text's own runs are trusted.
    EXPECT_EQ(plain, (std::vector<bool>{true, false, false, false, true}));
}

TEST(EntryParser, OtherMessagesCarryTheirTypeAndNoEntries) {
    auto p = parse(R"({"type":"auth","ref":"r","data":{"userId":"u","appId":"a"}})");
    EXPECT_EQ(p.type, "auth");
    EXPECT_EQ(p.ref, R"("r")");
    EXPECT_FALSE(p.entries_found);
    EXPECT_EQ(parse(R"([{"type":"logs"}])").type, "");
    EXPECT_EQ(parse(R"({"type":["logs"]})").type, "");
    EXPECT_EQ(parse(R"("logs")").type, "");
}

TEST(EntryParser, HttpBodiesAndNdjsonLines) {
    EXPECT_EQ(parse(R"([{"message":"a"},{"message":"b"}])", EntryLayout::ingest_body)
                  .entries.accepted.size(),
              2u);
    EXPECT_EQ(parse(R"({"logs":[{"message":"a"}],"extra":1})", EntryLayout::ingest_body)
                  .entries.accepted.size(),
              1u);
    EXPECT_FALSE(parse(R"({"logs":{}})", EntryLayout::ingest_body).entries_found);
    EXPECT_FALSE(parse(R"({"data":{"logs":[]}})", EntryLayout::ingest_body).entries_found);
    EXPECT_FALSE(parse("5", EntryLayout::ingest_body).entries_found);

    auto line = parse_entries(R"({"message":"one"})", EntryLayout::single_entry, Limits{},
                              {.first_index = 4});
    ASSERT_TRUE(line);
    ASSERT_EQ(line->entries.accepted.size(), 1u);
    EXPECT_EQ(line->entries.accepted[0].index, 4u);
    auto not_entry = parse("[1]", EntryLayout::single_entry);
    ASSERT_EQ(not_entry.entries.rejected.size(), 1u);
    EXPECT_EQ(not_entry.entries.rejected[0].message, "entry must be an object");
}

TEST(EntryParser, FailsOnlyOnTextThatIsNotJson) {
    for (std::string_view text :
         {"", "{", R"({"type":"logs"} x)", R"({"a":1,})", "\"\xff\"", "{\"a\":\"\x01\"}"}) {
        EXPECT_FALSE(parse_entries(text, EntryLayout::logs_frame, Limits{})) << text;
    }
    EXPECT_TRUE(parse_entries(" {\"type\":\"logs\"} \n", EntryLayout::logs_frame, Limits{}));
    std::string deep(64, '[');
    deep += std::string(64, ']');
    EXPECT_TRUE(parse_entries(deep, EntryLayout::logs_frame, Limits{}));
    EXPECT_FALSE(parse_entries("[" + deep + "]", EntryLayout::logs_frame, Limits{}));
    // A WebSocket frame comes UTF-8-checked: the parser then does not check again.
    EXPECT_TRUE(
        parse_entries("\"\xff\"", EntryLayout::logs_frame, Limits{}, {.utf8_checked = true}));
}

// Seeded random frames built from pieces that stress the parser's bookkeeping (duplicates,
// nulls, nesting, escapes, wrong types), each compared with what a JSON document says.
std::string random_value(std::mt19937_64& rng, int depth);

std::string random_scalar(std::mt19937_64& rng) {
    static const char* kScalars[] = {"null",
                                     "true",
                                     "false",
                                     "0",
                                     "-0",
                                     "7",
                                     "-12",
                                     "1.5",
                                     "2.50",
                                     "1e3",
                                     "1E400",
                                     "-1e-400",
                                     "18446744073709551615",
                                     "18446744073709551616",
                                     "9223372036854775808",
                                     "\"\"",
                                     "\"x\"",
                                     "\"a\\\"b\"",
                                     "\"\\u00e9\\/\"",
                                     "\"\\ud83d\\ude00\"",
                                     "\"WARNING\"",
                                     "\"Error\"",
                                     "\"2024-05-01T12:00:00Z\"",
                                     "\"0123456789012345678901234567890123\"",
                                     "\"tab\\there\"",
                                     "\"\\u0000\""};
    return kScalars[rng() % std::size(kScalars)];
}

std::string random_key(std::mt19937_64& rng) {
    static const char* kKeys[] = {"message",       "level", "timestamp", "metadata",
                                  "type",          "ref",   "data",      "logs",
                                  "mess\\u0061ge", "x",     "",          "metadata"};
    return std::string("\"") + kKeys[rng() % std::size(kKeys)] + "\"";
}

std::string random_object(std::mt19937_64& rng, int depth) {
    std::string out = "{";
    const int n = static_cast<int>(rng() % 5);
    for (int i = 0; i < n; ++i)
        out += (i ? "," : "") + random_key(rng) + ":" + random_value(rng, depth + 1);
    return out + "}";
}

std::string random_value(std::mt19937_64& rng, int depth) {
    const auto pick = rng() % 10;
    if (depth > 5 || pick < 5) return random_scalar(rng);
    if (pick < 8) return random_object(rng, depth);
    std::string out = "[";
    const int n = static_cast<int>(rng() % 4);
    for (int i = 0; i < n; ++i) out += (i ? "," : "") + random_value(rng, depth + 1);
    return out + "]";
}

std::string random_entry(std::mt19937_64& rng) {
    if (rng() % 8 == 0) return random_value(rng, 3);
    std::string out = "{";
    const int n = 1 + static_cast<int>(rng() % 5);
    for (int i = 0; i < n; ++i) {
        const auto which = rng() % 6;
        std::string key =
            which == 5 ? random_key(rng) : std::string(i == 0 ? "\"message\"" : random_key(rng));
        std::string value = key == "\"message\"" && rng() % 3
                                ? "\"hello " + std::to_string(rng() % 100) + "\""
                                : random_value(rng, 2);
        out += (i ? "," : "") + key + ":" + value;
    }
    return out + "}";
}

// The original NehonixSmartLogger library's encryption mode (its src/logger.ts,
// sendLogToWebSocket): the entry says `encrypted: true`, the keys stand beside `logs`, after it.
TEST(EntryParser, KeepsTheOriginalLibrarysEncryptionMode) {
    auto p = parse(R"({"type":"logs","data":{"userId":"u","appId":"a","logs":[
        {"id":"9f3a","timestamp":"2024-05-01T12:00:00.000Z","level":"log","message":"0a1b:c2d3","encrypted":true}
    ],"encryption":{"isEncrypted":true,"transmissionKey":"aa11","encryptedKey":"bb22:cc33"}}})");
    ASSERT_EQ(p.entries.accepted.size(), 1u);
    EXPECT_TRUE(p.refusal.empty());
    const IncomingEntry& e = p.entries.accepted[0];
    EXPECT_EQ(e.level, "log");
    EXPECT_TRUE(e.encrypted);
    EXPECT_EQ(e.encryption, R"({"transmissionKey":"aa11","encryptedKey":"bb22:cc33"})");
}

TEST(EntryParser, MessageKeysCoverItsEntriesUnlessOneSaysOtherwise) {
    auto p = parse(
        R"({"type":"logs","data":{"encryption":{"transmissionKey":"t","encryptedKey":"k"},"logs":[
        {"message":"a"},
        {"message":"b","encrypted":false},
        {"message":"c","encryption":{"transmissionKey":"own","encryptedKey":"own\"k"}},
        {"message":"d","encrypted":null}
    ]}})");
    ASSERT_EQ(p.entries.accepted.size(), 4u);
    const auto& a = p.entries.accepted;
    EXPECT_TRUE(a[0].encrypted);
    EXPECT_EQ(a[0].encryption, R"({"transmissionKey":"t","encryptedKey":"k"})");
    EXPECT_FALSE(a[1].encrypted);
    EXPECT_EQ(a[1].encryption, "");
    EXPECT_TRUE(a[2].encrypted);
    EXPECT_EQ(a[2].encryption, R"({"transmissionKey":"own","encryptedKey":"own\"k"})");
    EXPECT_TRUE(a[3].encrypted);

    // Without keys, `encrypted: true` alone still marks the entry; `isEncrypted: false` and
    // `encryption: null` say nothing.
    auto bare = parse(frame_of(R"({"message":"x","encrypted":true},{"message":"y"})"));
    EXPECT_TRUE(bare.entries.accepted[0].encrypted);
    EXPECT_EQ(bare.entries.accepted[0].encryption, "");
    EXPECT_FALSE(bare.entries.accepted[1].encrypted);
    auto off = parse(
        R"({"type":"logs","data":{"logs":[{"message":"x"}],"encryption":{"isEncrypted":false,"transmissionKey":"t","encryptedKey":"k"}}})");
    EXPECT_FALSE(off.entries.accepted[0].encrypted);
    auto null_keys =
        parse(R"({"type":"logs","data":{"logs":[{"message":"x"}],"encryption":null}})");
    EXPECT_FALSE(null_keys.entries.accepted[0].encrypted);
    EXPECT_TRUE(null_keys.refusal.empty());
}

TEST(EntryParser, MalformedEncryptionIsRefused) {
    // Beside `logs`: the whole message.
    for (std::string_view keys :
         {R"("yes")", R"({"transmissionKey":"t"})", R"({"transmissionKey":"t","encryptedKey":5})",
          R"({"transmissionKey":{"k":1},"encryptedKey":"k"})", R"([])"}) {
        auto p = parse(R"({"type":"logs","data":{"logs":[{"message":"x"}],"encryption":)" +
                       std::string(keys) + "}}");
        EXPECT_FALSE(p.refusal.empty()) << keys;
        EXPECT_FALSE(p.refusal_too_large) << keys;
    }
    auto long_key = parse(
        R"({"type":"logs","data":{"logs":[{"message":"x"}],"encryption":{"transmissionKey":")" +
        std::string(kMaxEncryptionKeyBytes + 1, 'a') + R"(","encryptedKey":"k"}}})");
    EXPECT_FALSE(long_key.refusal.empty());
    // In an entry: that entry.
    auto p = parse(frame_of(
        R"({"message":"a","encrypted":"yes"},{"message":"b","encryption":{"encryptedKey":"k"}},{"message":"c"})"));
    ASSERT_EQ(p.entries.rejected.size(), 2u);
    EXPECT_EQ(p.entries.rejected[0].message, "encrypted must be a boolean");
    EXPECT_EQ(p.entries.rejected[1].index, 1u);
    ASSERT_EQ(p.entries.accepted.size(), 1u);
    EXPECT_TRUE(p.refusal.empty());
}

TEST(EntryParser, MessageKeysCannotMultiplyATinyEntriesMessage) {
    const std::string key(200, 'k');
    std::string entries;
    for (int i = 0; i < 3000; ++i) entries += std::string(i ? "," : "") + R"({"message":""})";
    auto p = parse(R"({"type":"logs","data":{"logs":[)" + entries +
                   R"(],"encryption":{"transmissionKey":")" + key + R"(","encryptedKey":")" + key +
                   R"("}}})");
    EXPECT_TRUE(p.refusal_too_large);
    EXPECT_FALSE(p.refusal.empty());
}

TEST(EntryParser, EntriesAreReadIntoTheBuffersOfRecycledOnesAndKeepNothingOfThem) {
    drop_recycled_entries();
    const std::string long_message(1000, 'm');
    auto first = parse(
        R"({"type":"logs","data":{"encryption":{"transmissionKey":"t","encryptedKey":"k"},"logs":[)"
        R"({"timestamp":1700000000123,"level":"error","message":")" +
        long_message + R"(","metadata":{"a":[1,2,3]}}]}})");
    ASSERT_EQ(first.entries.accepted.size(), 1u);
    ASSERT_TRUE(first.entries.accepted[0].encrypted);
    recycle_entries(std::move(first.entries.accepted));

    // The first entry of a message is read into the reader's own buffers; each later one into
    // those of a recycled entry.
    auto second = parse(frame_of(R"({"message":"a"},{"message":"b"})"));
    ASSERT_EQ(second.entries.accepted.size(), 2u);
    const IncomingEntry& e = second.entries.accepted[1];
    EXPECT_GE(e.message.capacity(), long_message.size()) << "not read into a recycled entry";
    EXPECT_EQ(e.index, 1u);
    EXPECT_EQ(e.message, "b");
    EXPECT_EQ(e.level, "info");
    EXPECT_FALSE(e.timestamp.has_value());
    EXPECT_EQ(e.metadata, "");
    EXPECT_FALSE(e.encrypted);
    EXPECT_EQ(e.encryption, "");
}

TEST(EntryParser, AnEntryWhoseStringsGrewLargeIsNotKept) {
    drop_recycled_entries();
    auto first = parse(frame_of(R"({"message":")" + std::string(5000, 'm') + R"("})"));
    recycle_entries(std::move(first.entries.accepted));
    auto second = parse(frame_of(R"({"message":"a"},{"message":"b"})"));
    ASSERT_EQ(second.entries.accepted.size(), 2u);
    EXPECT_LT(second.entries.accepted[1].message.capacity(), 5000u);
}

TEST(EntryParser, AgreesWithADocumentOnRandomFrames) {
    std::mt19937_64 rng(20261129);
    Limits limits;
    limits.max_message_bytes = 12;
    limits.max_metadata_bytes = 40;
    for (int round = 0; round < 3000; ++round) {
        std::string entries;
        const int n = static_cast<int>(rng() % 6);
        for (int i = 0; i < n; ++i) entries += (i ? "," : "") + random_entry(rng);
        std::string text;
        EntryLayout layout = EntryLayout::logs_frame;
        switch (rng() % 5) {
            case 0:
                text = R"({"type":"logs","ref":)" + random_scalar(rng) + R"(,"data":{"logs":[)" +
                       entries + "]}}";
                break;
            case 1: {
                // Duplicate `logs` and `data` keys: the last one counts, whatever it holds.
                static const char* kLaterLogs[] = {"", R"(,"logs":[{"message":"later"}])",
                                                   R"(,"logs":null)", R"(,"logs":{})"};
                static const char* kLaterData[] = {"",
                                                   R"(,"data":{"logs":[{"message":"last"}]})",
                                                   R"(,"data":{})",
                                                   R"(,"data":null)",
                                                   R"(,"data":[])",
                                                   R"(,"data":{"logs":7})"};
                text = R"({"data":{"logs":[)" + entries + "]" +
                       kLaterLogs[rng() % std::size(kLaterLogs)] + R"(},"type":"logs")" +
                       kLaterData[rng() % std::size(kLaterData)] + R"(,"x":)" +
                       random_value(rng, 1) + "}";
                break;
            }
            case 2: text = random_object(rng, 0); break;
            case 3:
                layout = EntryLayout::ingest_body;
                text = rng() % 2 ? "[" + entries + "]" : R"({"logs":[)" + entries + "]}";
                break;
            default:
                layout = EntryLayout::single_entry;
                text = random_entry(rng);
                break;
        }
        auto want = testing::decode_with_document(text, layout, limits);
        auto got = parse_entries(text, layout, limits);
        ASSERT_EQ(bool(want), bool(got)) << text;
        if (!got) continue;
        const std::string diff = testing::differences(*got, *want, limits);
        ASSERT_EQ(diff, "") << text;
        // The scanner reads it, and exactly as the event parser does.
        ASSERT_TRUE(scan_entries(text, layout, limits)) << text;
        ASSERT_EQ(testing::scanner_differences(text, layout, limits), "") << text;
        // Later frames are read into these entries' buffers, as on the server.
        recycle_entries(std::move(got->entries.accepted));
    }
}

// The scanner against the event parser on the same random frames, damaged: it must refuse
// whatever the event parser refuses and read the rest to the byte. Whitespace and escapes are
// added too, which take the metadata off its copied-whole path.
TEST(EntryParser, TheScannerReadsExactlyAsTheEventParserOnDamagedFrames) {
    std::mt19937_64 rng(20261205);
    Limits limits;
    limits.max_message_bytes = 12;
    limits.max_metadata_bytes = 40;
    static const char kNoise[] = {' ', '\n', '\t', '"', '\\', ',', ':', '{',    '}',    '[',
                                  ']', '0',  '-',  'e', '.',  'u', 'n', '\x01', '\xC3', '\xA9'};
    std::size_t scanned = 0, valid = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string entries;
        const int n = 1 + static_cast<int>(rng() % 4);
        for (int i = 0; i < n; ++i) entries += (i ? "," : "") + random_entry(rng);
        std::string text = R"({"type":"logs","ref":)" + random_scalar(rng) +
                           R"(,"data":{"logs":[)" + entries + "]}}";
        const int edits = static_cast<int>(rng() % 4);
        for (int k = 0; k < edits && !text.empty(); ++k) {
            const std::size_t at = rng() % text.size();
            switch (rng() % 4) {
                case 0: text.insert(at, 1, ' '); break;
                case 1: text.insert(at, 1, kNoise[rng() % std::size(kNoise)]); break;
                case 2: text.erase(at, 1); break;
                default: text[at] = kNoise[rng() % std::size(kNoise)]; break;
            }
        }
        for (auto layout :
             {EntryLayout::logs_frame, EntryLayout::ingest_body, EntryLayout::single_entry}) {
            ASSERT_EQ(testing::scanner_differences(text, layout, limits), "") << text;
            if (parse_entries_with_events(text, layout, limits)) {
                ++valid;
                if (scan_entries(text, layout, limits)) ++scanned;
            }
        }
    }
    // Everything valid here is the scanner's to read: no number in these frames is of the
    // forms it leaves to the event parser.
    EXPECT_GT(valid, 10000u);
    EXPECT_EQ(scanned, valid);
}

TEST(EntryParser, TheScannerLeavesRareNumbersToTheEventParser) {
    const std::string huge_exponent = frame_of(R"({"message":"m","metadata":1e1234567890})");
    EXPECT_FALSE(scan_entries(huge_exponent, EntryLayout::logs_frame, Limits{}));
    auto parsed = parse(huge_exponent);
    ASSERT_EQ(parsed.entries.accepted.size(), 1u);
    EXPECT_EQ(parsed.entries.accepted[0].metadata, "1e1234567890");
    // What Boost.JSON refuses is refused, with its error.
    auto overflow = parse_entries(frame_of(R"({"message":"m","metadata":1e99999999999})"),
                                  EntryLayout::logs_frame, Limits{});
    ASSERT_FALSE(overflow);
    EXPECT_EQ(overflow.error(), boost::json::error::exponent_overflow);
    // A fractional timestamp and ref are valued by Boost.JSON's own number reading.
    auto fractional = scan_entries(
        R"({"type":"logs","ref":2.5,"data":{"logs":[{"message":"m","timestamp":1.7e12}]}})",
        EntryLayout::logs_frame, Limits{});
    ASSERT_TRUE(fractional);
    EXPECT_EQ(fractional->ref, "2.5E0");
    ASSERT_EQ(fractional->entries.accepted.size(), 1u);
    EXPECT_EQ(fractional->entries.accepted[0].timestamp, 1700000000000);
}

TEST(EntryParser, TheScannerGivesTheEventParsersErrors) {
    // parse_entries asks the event parser whenever the scanner refuses: the client is told
    // what Boost.JSON says, as before.
    for (std::string_view text : {"", "{", "[1,]", "{\"a\":tru}", "\"\\x\"", "\"\\ud800\"",
                                  "\"\\udc00\"", "01", "\"\xC3\"", "{\"a\":1}x"}) {
        auto events = parse_entries_with_events(text, EntryLayout::logs_frame, Limits{});
        auto parsed = parse_entries(text, EntryLayout::logs_frame, Limits{});
        ASSERT_FALSE(events) << text;
        ASSERT_FALSE(parsed) << text;
        EXPECT_EQ(parsed.error(), events.error()) << text;
        EXPECT_FALSE(scan_entries(text, EntryLayout::logs_frame, Limits{})) << text;
    }
}

}  // namespace
}  // namespace smartlog::protocol
