#include "core/entry.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/json_text.hpp"

namespace smartlog::core {
namespace {

EntryFields fields() {
    return {.id = "0190a5d0-0000-7000-8000-000000000001",
            .timestamp = 1714564800000,
            .level = "info",
            .message = "hello",
            .metadata = R"({"k":[1,2],"s":"}"})",
            .app_id = "app456",
            .user_id = "user123"};
}

void expect_same(const Entry& a, const Entry& b) {
    EXPECT_EQ(a.encoded(), b.encoded());
    EXPECT_EQ(a.id(), b.id());
    EXPECT_EQ(a.timestamp(), b.timestamp());
    EXPECT_EQ(a.level(), b.level());
    EXPECT_EQ(a.message_json(), b.message_json());
    EXPECT_EQ(a.message_escaped(), b.message_escaped());
    EXPECT_EQ(a.message(), b.message());
    EXPECT_EQ(a.metadata(), b.metadata());
    EXPECT_EQ(a.encrypted(), b.encrypted());
    EXPECT_EQ(a.encryption(), b.encryption());
    EXPECT_EQ(a.app_id(), b.app_id());
    EXPECT_EQ(a.user_id(), b.user_id());
}

TEST(Entry, FieldsAreViewsOfItsEncodedText) {
    const EntryPtr e = make_entry(fields());
    EXPECT_EQ(e->encoded(),
              R"({"id":"0190a5d0-0000-7000-8000-000000000001","timestamp":1714564800000,)"
              R"("level":"info","message":"hello","metadata":{"k":[1,2],"s":"}"},)"
              R"("appId":"app456","userId":"user123"})");
    EXPECT_EQ(e->id(), "0190a5d0-0000-7000-8000-000000000001");
    EXPECT_EQ(e->timestamp(), 1714564800000);
    EXPECT_EQ(e->level(), "info");
    EXPECT_EQ(e->message(), "hello");
    EXPECT_FALSE(e->message_escaped());
    EXPECT_EQ(e->metadata(), R"({"k":[1,2],"s":"}"})");
    EXPECT_EQ(e->app_id(), "app456");
    EXPECT_EQ(e->user_id(), "user123");
    const auto in_text = [&](std::string_view v) {
        return v.data() >= e->encoded().data() &&
               v.data() + v.size() <= e->encoded().data() + e->encoded().size();
    };
    for (std::string_view v :
         {e->id(), e->level(), e->message_json(), e->metadata(), e->app_id(), e->user_id()}) {
        EXPECT_TRUE(in_text(v)) << v;
    }
}

TEST(Entry, AnEscapedMessageIsViewedEscapedAndReadUnescaped) {
    auto f = fields();
    f.message = "say \"hi\"\n\x01";
    const EntryPtr e = make_entry(f);
    EXPECT_TRUE(e->message_escaped());
    EXPECT_EQ(e->message_json(), R"(say \"hi\"\n\u0001)");
    EXPECT_EQ(e->message(), f.message);
    std::string scratch;
    EXPECT_EQ(e->message(scratch), f.message);
}

// Names may hold any character: the ones JSON escapes are kept raw beside the text as well.
TEST(Entry, EscapedNamesAreAlsoKeptRaw) {
    auto f = fields();
    f.level = "we\"ird";
    f.app_id = "app\n1";
    f.user_id = "back\\slash";
    const EntryPtr e = make_entry(f);
    EXPECT_EQ(e->level(), "we\"ird");
    EXPECT_EQ(e->app_id(), "app\n1");
    EXPECT_EQ(e->user_id(), "back\\slash");
    EXPECT_NE(e->encoded().find(R"("level":"we\"ird")"), std::string_view::npos);
    EXPECT_NE(e->encoded().find(R"("appId":"app\n1")"), std::string_view::npos);
    EXPECT_NE(e->encoded().find(R"("userId":"back\\slash"})"), std::string_view::npos);
}

TEST(Entry, TheEncryptionModeIsKept) {
    auto f = fields();
    f.encrypted = true;
    f.encryption = R"({"transmissionKey":"t","encryptedKey":"k"})";
    const EntryPtr e = make_entry(f);
    EXPECT_TRUE(e->encrypted());
    EXPECT_EQ(e->encryption(), f.encryption);
    EXPECT_NE(e->encoded().find(R"(,"encrypted":true,"encryption":{"transmissionKey")"),
              std::string_view::npos);
}

// The store keeps only the encoded text: every field must come back from it.
TEST(Entry, ComesBackFromItsEncodedText) {
    const std::string with_nul("nul\0byte", 8);  // outlives the views of `cases`
    std::vector<EntryFields> cases;
    cases.push_back(fields());
    auto f = fields();
    f.metadata = {};
    f.timestamp = -5;
    cases.push_back(f);
    for (std::string_view metadata :
         {R"([1,{"a":"]"}])", R"("s\"}")", "12.5e3", "true", "null", R"({"a":{"b":{}}})"}) {
        f = fields();
        f.metadata = metadata;
        cases.push_back(f);
    }
    f = fields();
    f.message = "quote \" back \\ slash \t tab \x1f unit";
    f.level = "le\"vel";
    f.app_id = "a\\pp";
    f.user_id = "u\"";
    f.encrypted = true;
    f.encryption = R"({"transmissionKey":"t\"","encryptedKey":"k"})";
    cases.push_back(f);
    f.encryption = {};
    cases.push_back(f);
    f.message = with_nul;
    cases.push_back(f);
    for (const auto& c : cases) {
        const EntryPtr e = make_entry(c);
        const EntryPtr back = entry_from_encoded(e->encoded());
        ASSERT_TRUE(back) << e->encoded();
        expect_same(*e, *back);
        EXPECT_EQ(back->bytes(), e->bytes());
        EXPECT_EQ(id_of_encoded(e->encoded()), e->id());
        std::string message;
        ASSERT_TRUE(message_of_encoded(e->encoded(), message));
        EXPECT_EQ(message, e->message());
    }
}

TEST(Entry, TextNotInItsLayoutGivesNoEntry) {
    const std::string good(make_entry(fields())->encoded());
    for (
        std::string bad :
        {std::string(), std::string("{}"), std::string("not json"), good.substr(0, good.size() - 1),
         good + " ",
         std::string(
             R"({"timestamp":1,"id":"x","level":"info","message":"m","appId":"a","userId":"u"})"),
         std::string(
             R"({"id":"x","timestamp":z,"level":"info","message":"m","appId":"a","userId":"u"})"),
         std::string(
             R"({"id":"x","timestamp":1,"level":"info","message":"m,"appId":"a","userId":"u"})"),
         std::string(
             R"({"id":"x","timestamp":1,"level":"info","message":"m","metadata":{"a":1,"appId":"a","userId":"u"})")}) {
        EXPECT_FALSE(entry_from_encoded(bad)) << bad;
    }
    std::string message;
    EXPECT_FALSE(message_of_encoded("{}", message));
    EXPECT_EQ(id_of_encoded("{}"), "");
}

TEST(JsonText, UnescapesEveryEscape) {
    std::string out;
    ASSERT_TRUE(
        json_text::append_unescaped(R"(\"\\\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00\ud800x)", out));
    EXPECT_EQ(out,
              "\"\\/\b\f\n\r\t"
              "A\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdx");
    out.clear();
    EXPECT_FALSE(json_text::append_unescaped(R"(\q)", out));
    out.clear();
    EXPECT_FALSE(json_text::append_unescaped(R"(\u12)", out));
    out.clear();
    EXPECT_FALSE(json_text::append_unescaped("\\", out));
}

TEST(JsonText, EscapeAndUnescapeAreInverse) {
    for (int c = 0; c < 256; ++c) {
        const std::string raw = "a" + std::string(1, static_cast<char>(c)) + "b";
        std::string escaped(json_text::escaped_size(raw), '\0');
        EXPECT_EQ(json_text::write_escaped(escaped.data(), raw), escaped.data() + escaped.size());
        EXPECT_EQ(json_text::needs_escape(raw), escaped.size() != raw.size()) << c;
        std::string back;
        ASSERT_TRUE(json_text::append_unescaped(escaped, back));
        EXPECT_EQ(back, raw) << c;
    }
}

}  // namespace
}  // namespace smartlog::core
