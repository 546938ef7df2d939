#include "server/ingest_limit.hpp"

#include <gtest/gtest.h>

namespace smartlog::server {
namespace {

using namespace std::chrono_literals;
using Outcome = IngestVerdict::Outcome;

const core::TokenBucket::time_point t0{std::chrono::hours(1)};

class IngestLimit : public ::testing::Test {
protected:
    std::unique_ptr<AppChannel> make_app(const std::string& id) {
        return std::make_unique<AppChannel>(ioc_, id, settings_, t0);
    }
    net::io_context ioc_;
    Settings settings_;
    std::vector<std::unique_ptr<AppChannel>> apps_;
};

TEST_F(IngestLimit, UnlimitedByDefault) {
    AppChannel& app = *apps_.emplace_back(make_app("a"));
    auto conn = connection_ingest_budget(settings_, t0);
    for (int i = 0; i < 10; ++i) EXPECT_TRUE(admit_entries(app, &conn, 1'000'000, t0).admitted());
    EXPECT_EQ(app.rate_limited, 0u);
}

TEST_F(IngestLimit, ABurstOfZeroIsOneSecondsWorth) {
    settings_.app_rate_limit = 50;
    EXPECT_EQ(app_ingest_budget(settings_, t0).burst(), 50u);
    settings_.app_rate_burst = 80;
    EXPECT_EQ(app_ingest_budget(settings_, t0).burst(), 80u);
}

TEST_F(IngestLimit, AppOverItsRateIsRefusedWholeAndCounted) {
    settings_.app_rate_limit = 100;
    AppChannel& app = *apps_.emplace_back(make_app("noisy"));
    ASSERT_TRUE(admit_entries(app, nullptr, 100, t0).admitted());
    auto v = admit_entries(app, nullptr, 10, t0 + 50ms);  // 5 back, 5 missing: 50 ms
    EXPECT_EQ(v.outcome, Outcome::rate_limited);
    EXPECT_EQ(v.retry_after, 50ms);
    EXPECT_NE(v.message.find("app \"noisy\""), std::string::npos) << v.message;
    EXPECT_NE(v.message.find("100 entries/s"), std::string::npos) << v.message;
    EXPECT_NE(v.message.find("retry in 50 ms"), std::string::npos) << v.message;
    EXPECT_EQ(app.rate_limited, 10u);
    EXPECT_TRUE(admit_entries(app, nullptr, 10, t0 + 100ms).admitted());
}

TEST_F(IngestLimit, OneNoisyAppDoesNotSpendAnothersBudget) {
    settings_.app_rate_limit = 10;
    AppChannel& noisy = *apps_.emplace_back(make_app("noisy"));
    AppChannel& quiet = *apps_.emplace_back(make_app("quiet"));
    ASSERT_TRUE(admit_entries(noisy, nullptr, 10, t0).admitted());
    EXPECT_FALSE(admit_entries(noisy, nullptr, 1, t0).admitted());
    EXPECT_TRUE(admit_entries(quiet, nullptr, 10, t0).admitted());
}

TEST_F(IngestLimit, ARefusalByTheConnectionSpendsNothingOfTheApp) {
    settings_.app_rate_limit = 100;
    settings_.connection_rate_limit = 10;
    AppChannel& app = *apps_.emplace_back(make_app("a"));
    auto conn = connection_ingest_budget(settings_, t0);
    ASSERT_TRUE(admit_entries(app, &conn, 10, t0).admitted());
    auto v = admit_entries(app, &conn, 5, t0);
    EXPECT_EQ(v.outcome, Outcome::rate_limited);
    EXPECT_NE(v.message.find("this connection"), std::string::npos) << v.message;
    EXPECT_NE(v.message.find("connection_rate_limit"), std::string::npos) << v.message;
    // The app still has 90 of its 100: another connection may use them.
    auto other = connection_ingest_budget(settings_, t0);
    EXPECT_TRUE(admit_entries(app, &other, 10, t0).admitted());
    EXPECT_FALSE(admit_entries(app, nullptr, 81, t0).admitted());
    EXPECT_TRUE(admit_entries(app, nullptr, 80, t0).admitted());
}

TEST_F(IngestLimit, MoreThanTheBurstIsNeverAdmittedAndSaysSo) {
    settings_.app_rate_limit = 1000;
    settings_.app_rate_burst = 200;
    AppChannel& app = *apps_.emplace_back(make_app("a"));
    auto v = admit_entries(app, nullptr, 201, t0 + 1h);
    EXPECT_EQ(v.outcome, Outcome::over_burst);
    EXPECT_NE(v.message.find("app_rate_burst 200"), std::string::npos) << v.message;
    EXPECT_NE(v.message.find("at most 200 entries per message"), std::string::npos) << v.message;
    settings_.connection_rate_limit = 5;
    auto conn = connection_ingest_budget(settings_, t0);
    v = admit_entries(app, &conn, 6, t0);
    EXPECT_EQ(v.outcome, Outcome::over_burst);
    EXPECT_NE(v.message.find("connection_rate_burst 5"), std::string::npos) << v.message;
}

}  // namespace
}  // namespace smartlog::server
