// The settings of cluster mode (docs/cluster.md, "Settings"): cluster_redis and node_id.
#include <gtest/gtest.h>

#include <cstdlib>

#include "server/config.hpp"
#include "tests/unit/server/config_errors.hpp"

namespace smartlog::server {
namespace {

using test_support::config_error;
using test_support::load_error;

TEST(ConfigCluster, UnsetMeansASingleNode) {
    Settings s;
    EXPECT_TRUE(s.cluster_redis.empty());
    EXPECT_TRUE(s.node_id.empty());
}

TEST(ConfigCluster, ReadsTheFileTheFlagsAndTheEnvironment) {
    Config c;
    apply_toml(c,
               "[server]\ncluster_redis = [\"redis://:pw@10.0.0.5:6379\", \"redis://r2\"]\n"
               "node_id = \"a\"\n",
               "x");
    EXPECT_EQ(c.settings.cluster_redis, "redis://:pw@10.0.0.5:6379,redis://r2");
    EXPECT_EQ(c.settings.node_id, "a");

    std::vector<const char*> argv{"smartlogd", "--cluster-redis", "redis://127.0.0.1:7000",
                                  "--node-id", "b"};
    auto r = load_config(static_cast<int>(argv.size()), argv.data());
    EXPECT_EQ(r.config.settings.cluster_redis, "redis://127.0.0.1:7000");
    EXPECT_EQ(r.config.settings.node_id, "b");

    ::setenv("SMARTLOG_CLUSTER_REDIS", "redis://127.0.0.1:7001", 1);
    std::vector<const char*> bare{"smartlogd"};
    r = load_config(static_cast<int>(bare.size()), bare.data());
    ::unsetenv("SMARTLOG_CLUSTER_REDIS");
    EXPECT_EQ(r.config.settings.cluster_redis, "redis://127.0.0.1:7001");
}

TEST(ConfigCluster, RefusesBadUrlsWithoutShowingPasswords) {
    auto e = config_error("[server]\ncluster_redis = \"http://r:1\"\n");
    EXPECT_NE(e.find("test.toml:2: server.cluster_redis"), std::string::npos) << e;
    EXPECT_NE(e.find("expected redis://"), std::string::npos) << e;
    e = config_error("[server]\ncluster_redis = [\"redis://a:1\", \"redis://a:1\"]\n");
    EXPECT_NE(e.find("listed twice"), std::string::npos) << e;

    e = load_error({"--cluster-redis", "redis://:hunter2@r:0"});
    EXPECT_NE(e.find("--cluster-redis"), std::string::npos) << e;
    EXPECT_NE(e.find("port"), std::string::npos) << e;
    EXPECT_EQ(e.find("hunter2"), std::string::npos) << e;
}

}  // namespace
}  // namespace smartlog::server
