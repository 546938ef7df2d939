// tests/unit/storage/query_queue_test.cpp: the order in which waiting queries reach a reader.
#include "storage/query_queue.hpp"

#include <gtest/gtest.h>

namespace smartlog::storage {
namespace {

QueryJob job(const std::string& app, std::size_t tag) {
    QueryJob j;
    j.query.app_id = app;
    j.query.limit = tag;  // tells the jobs apart
    return j;
}

TEST(QueryQueueTest, AnAppsSecondQueryWaitsForItsFirstWhileOtherAppsRun) {
    QueryQueue queue;
    queue.push(job("a", 1));
    queue.push(job("a", 2));
    queue.push(job("b", 3));
    auto first = queue.take();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->query.limit, 1u);
    // a's second query must wait: b's runs on the next reader.
    auto second = queue.take();
    ASSERT_TRUE(second);
    EXPECT_EQ(second->query.app_id, "b");
    EXPECT_FALSE(queue.take()) << "a second reader took an app that has a query running";
    queue.finished("a");
    auto third = queue.take();
    ASSERT_TRUE(third);
    EXPECT_EQ(third->query.limit, 2u);
}

TEST(QueryQueueTest, AppsAreServedInTurnEachInCallOrder) {
    QueryQueue queue;
    for (std::size_t i = 1; i <= 3; ++i) queue.push(job("a", i));
    queue.push(job("b", 10));
    std::vector<std::size_t> order;
    while (auto j = queue.take()) {
        order.push_back(j->query.limit);
        queue.finished(j->query.app_id);
    }
    EXPECT_EQ(order, (std::vector<std::size_t>{1, 10, 2, 3}));
}

TEST(QueryQueueTest, DrainGivesBackEveryQueryNotStarted) {
    QueryQueue queue;
    queue.push(job("a", 1));
    queue.push(job("a", 2));
    queue.push(job("b", 3));
    ASSERT_TRUE(queue.take());
    EXPECT_EQ(queue.drain().size(), 2u);
    queue.finished("a");
    EXPECT_FALSE(queue.take());
}

}  // namespace
}  // namespace smartlog::storage
