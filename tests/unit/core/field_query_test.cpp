#include "core/field_query.hpp"

#include <gtest/gtest.h>

#include "core/filter.hpp"

namespace smartlog::core {
namespace {

SearchQuery parse(std::string_view text) {
    auto r = parse_search(text);
    EXPECT_TRUE(std::holds_alternative<SearchQuery>(r)) << text << ": " << std::get<std::string>(r);
    return std::holds_alternative<SearchQuery>(r) ? std::get<SearchQuery>(r) : SearchQuery{};
}

std::string refusal(std::string_view text) {
    auto r = parse_search(text);
    return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : "(accepted)";
}

bool match(std::string_view search, std::string_view metadata) {
    return fields_match(metadata, parse(search).fields);
}

TEST(FieldQuery, PlainTextStaysExactlyAsWritten) {
    EXPECT_EQ(parse("  payment   failed ").text, "  payment   failed ");
    EXPECT_TRUE(parse("payment failed").fields.empty());
    EXPECT_EQ(parse("10>5").text, "10>5");  // a name starts with a letter or _
}

TEST(FieldQuery, SplitsFieldTermsFromText) {
    const auto q = parse("timeout status>=500 user.id=42 trace_id=\"a b\" \"x=1\"");
    EXPECT_EQ(q.text, "timeout x=1");
    ASSERT_EQ(q.fields.size(), 3u);
    EXPECT_EQ(q.fields[0].path, (std::vector<std::string>{"status"}));
    EXPECT_EQ(q.fields[0].op, FieldOp::ge);
    EXPECT_EQ(q.fields[0].number, 500.0);
    EXPECT_EQ(q.fields[1].path, (std::vector<std::string>{"user", "id"}));
    EXPECT_EQ(q.fields[2].value, "a b");
    EXPECT_FALSE(q.fields[2].number);
    EXPECT_EQ(format_condition(q.fields[2]), "trace_id=\"a b\"");
}

TEST(FieldQuery, RefusesWhatItCannotRead) {
    EXPECT_EQ(refusal("a=\"open"), "a quote is not closed");
    EXPECT_EQ(refusal("a..b=1"), "\"a..b\": a field name has an empty part");
    EXPECT_EQ(refusal("a.b.c.d.e.f.g.h.i=1"), "\"a.b.c.d.e.f.g.h.i\": at most 8 levels of fields");
    EXPECT_EQ(refusal("a=1 a=2 a=3 a=4 a=5 a=6 a=7 a=8 a=9"), "at most 8 field conditions");
}

TEST(FieldQuery, MatchesMetadataMembers) {
    const std::string_view m =
        R"({"status":502,"user":{"id":42,"name":"Zoë"},"ok":false,"tags":["a"],"note":null})";
    EXPECT_TRUE(match("status>=500", m));
    EXPECT_FALSE(match("status<500", m));
    EXPECT_TRUE(match("status=502.0", m));
    EXPECT_TRUE(match("user.id=42", m));
    EXPECT_TRUE(match("user.name=Zoë", m));
    EXPECT_FALSE(match("user.name=zoë", m));  // values are case-sensitive
    EXPECT_TRUE(match("ok=false note=null", m));
    EXPECT_FALSE(match("tags=a", m));  // containers equal nothing
    EXPECT_FALSE(match("missing=1", m));
    EXPECT_TRUE(match("missing!=1", m));   // absent: only != holds
    EXPECT_FALSE(match("status=abc", m));  // a number never equals a word
    EXPECT_TRUE(match("user.id!=43 status>500", m));
}

TEST(FieldQuery, ReadsEscapesAndSkipsNestedValues) {
    EXPECT_TRUE(match("k=\"a\\\"b\"", R"({"x":{"k":"no"},"k":"a\"b"})"));
    EXPECT_TRUE(match("e=é", R"({"s":"]}","arr":[{"e":"x"}],"e":"\u00e9"})"));
    EXPECT_TRUE(match("u=😀", R"({"u":"\ud83d\ude00"})"));
}

TEST(FieldQuery, MalformedMetadataMatchesNothingButNotEqual) {
    for (std::string_view m : {"", "{", "{\"a\":", "[1]", "{\"a\" 1}", "{\"a\":\"1}", "nonsense"}) {
        EXPECT_FALSE(match("a=1", m)) << m;
        EXPECT_TRUE(match("a!=1", m)) << m;
    }
}

TEST(FieldQuery, FilterAppliesFieldsToEntries) {
    Filter f;
    f.fields = parse("status>=500").fields;
    EXPECT_FALSE(f.accepts_all());
    EXPECT_TRUE(f.matches(*make_entry({.metadata = R"({"status":503})"})));
    EXPECT_FALSE(f.matches(*make_entry({.metadata = R"({"status":200})"})));
}

}  // namespace
}  // namespace smartlog::core
