#include "cluster/bus_message.hpp"

#include <gtest/gtest.h>

#include "core/cluster_id.hpp"

namespace smartlog::cluster {
namespace {

protocol::IncomingEntry entry(std::string message, std::int64_t ts) {
    protocol::IncomingEntry e;
    e.timestamp = ts;
    e.level = "info";
    e.message = std::move(message);
    return e;
}

// What the Redis function puts in front of a payload (cluster/redis_functions.cpp).
std::string batch_message(std::string_view epoch, std::uint64_t first, std::uint64_t count,
                          std::int64_t time, std::string_view app, std::string_view payload) {
    return "B" + std::string(epoch) + " " + std::to_string(first) + " " + std::to_string(count) +
           " " + std::to_string(time) + " " + std::to_string(app.size()) + ":" + std::string(app) +
           "\n" + std::string(payload);
}

TEST(BusMessage, CarriesABatchFromProducerToEveryNode) {
    std::vector<protocol::IncomingEntry> in{entry("one", 10), entry("two \"quoted\"", 11)};
    in[1].level = "error";
    in[1].metadata = R"({"k":1})";
    in[1].encrypted = true;
    in[1].encryption = R"({"transmissionKey":"x"})";
    const std::string text =
        batch_message("1700000000000001", 7, 2, 1700000000000, "shop", encode_payload("u1", in));

    const auto m = parse_bus_message(text);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->kind, 'B');
    EXPECT_EQ(m->epoch, "1700000000000001");
    EXPECT_EQ(m->first, 7u);
    EXPECT_EQ(m->count, 2u);
    EXPECT_EQ(m->app, "shop");

    const auto out = decode_batch(*m, 0);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->user_id, "u1");
    ASSERT_EQ(out->entries.size(), 2u);
    EXPECT_EQ(out->entries[0].message, "one");
    EXPECT_EQ(out->entries[1].message, "two \"quoted\"");
    EXPECT_EQ(out->entries[1].level, "error");
    EXPECT_EQ(out->entries[1].metadata, R"({"k":1})");
    EXPECT_TRUE(out->entries[1].encrypted);
    EXPECT_EQ(out->entries[1].encryption, R"({"transmissionKey":"x"})");
    EXPECT_EQ(out->entries[1].timestamp, 11);
    const auto id = core::parse_cluster_id(out->ids[1]);
    ASSERT_TRUE(id);
    EXPECT_EQ(id->offset, 8u);
    EXPECT_EQ(id->time_ms, 1700000000000);
    EXPECT_EQ(id->tag, core::epoch_tag("shop", "1700000000000001"));
    EXPECT_LT(out->ids[0], out->ids[1]);
}

TEST(BusMessage, DecodesOnlyTheEntriesFromAnOffsetOn) {
    std::vector<protocol::IncomingEntry> in{entry("a", 1), entry("b", 2), entry("c", 3)};
    const std::string text = batch_message("5", 10, 3, 99, "x", encode_payload("u", in));
    const auto out = decode_batch(*parse_bus_message(text), 11);
    ASSERT_TRUE(out);
    ASSERT_EQ(out->entries.size(), 2u);
    EXPECT_EQ(out->entries[0].message, "b");
    EXPECT_EQ(core::parse_cluster_id(out->ids[0])->offset, 11u);
}

TEST(BusMessage, RefusesDamagedMessages) {
    EXPECT_FALSE(parse_bus_message(""));
    EXPECT_FALSE(parse_bus_message("X1 2 3 4 1:a\n"));
    EXPECT_FALSE(parse_bus_message("B1 2 3 4 5:a\n"));  // app shorter than said
    EXPECT_FALSE(parse_bus_message("B1 x 3 4 1:a\n"));
    std::vector<protocol::IncomingEntry> in{entry("a", 1)};
    std::string payload = encode_payload("u", in);
    // A count that the payload does not hold, and a payload cut short.
    EXPECT_FALSE(decode_batch(*parse_bus_message(batch_message("1", 1, 2, 1, "a", payload)), 0));
    payload.pop_back();
    EXPECT_FALSE(decode_batch(*parse_bus_message(batch_message("1", 1, 1, 1, "a", payload)), 0));
}

TEST(BusMessage, ReadsAClear) {
    const auto m = parse_bus_message("C17 41 3 1234 3:app\nalice");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->kind, 'C');
    EXPECT_EQ(m->epoch, "17");
    EXPECT_EQ(m->first, 41u);
    EXPECT_EQ(m->count, 3u);
    EXPECT_EQ(m->body, "alice");
}

TEST(BusMessage, CarriesAProducersMetrics) {
    const std::string text = encode_app_metrics("shop", "u:1", R"({"rps":[1,2]})", 1700000000123);
    const auto m = parse_bus_message(text);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->kind, 'M');
    EXPECT_EQ(m->app, "shop");
    EXPECT_EQ(m->time_ms, 1700000000123);
    const auto metrics = decode_app_metrics(*m);
    ASSERT_TRUE(metrics);
    EXPECT_EQ(metrics->user_id, "u:1");
    EXPECT_EQ(metrics->metrics, R"({"rps":[1,2]})");
    EXPECT_FALSE(decode_batch(*m, 0)) << "not a batch";

    EXPECT_FALSE(decode_app_metrics(*parse_bus_message("M0 0 0 5 1:a\n9:ab")));
    EXPECT_FALSE(decode_app_metrics(*parse_bus_message("M0 0 0 5 1:a\nab")));
    EXPECT_FALSE(decode_app_metrics(*parse_bus_message("C17 41 3 1234 3:app\nalice")));
}

}  // namespace
}  // namespace smartlog::cluster
