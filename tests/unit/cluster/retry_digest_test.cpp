// retry_digest (cluster/bus.hpp): what tells a producer's batch sent again from another batch
// under the same ref.
#include <gtest/gtest.h>

#include "cluster/bus.hpp"

namespace smartlog::cluster {
namespace {

std::vector<protocol::IncomingEntry> batch() {
    std::vector<protocol::IncomingEntry> out(2);
    out[0].index = 0;
    out[0].level = "info";
    out[0].message = "started";
    out[1].index = 2;  // entry 1 was rejected
    out[1].level = "error";
    out[1].message = "failed";
    out[1].timestamp = 1700000000000;
    out[1].metadata = R"({"k":1})";
    return out;
}

TEST(RetryDigest, TheSameEntriesGiveTheSameDigest) {
    EXPECT_EQ(retry_digest(batch()), retry_digest(batch()));
    EXPECT_NE(retry_digest(batch()), retry_digest({}));
}

TEST(RetryDigest, AnyFieldOfAnyEntryChangesIt) {
    const std::uint64_t base = retry_digest(batch());
    const std::vector<void (*)(std::vector<protocol::IncomingEntry>&)> changes{
        [](auto& b) { b[0].message = "started!"; },
        [](auto& b) { b[0].level = "warn"; },
        [](auto& b) { b[0].timestamp = 0; },  // given as 0 is not absent
        [](auto& b) { b[1].timestamp = 1700000000001; },
        [](auto& b) { b[1].metadata.clear(); },
        [](auto& b) { b[1].encrypted = true; },
        [](auto& b) { b[1].encryption = R"({"transmissionKey":"t","encryptedKey":"k"})"; },
        [](auto& b) { b[1].index = 1; },
        [](auto& b) { b.pop_back(); },
        [](auto& b) { b.push_back(b.back()); },
        // The same bytes split differently between two fields.
        [](auto& b) {
            b[0].level = "infostarted";
            b[0].message.clear();
        },
    };
    for (std::size_t i = 0; i < changes.size(); ++i) {
        auto b = batch();
        changes[i](b);
        EXPECT_NE(retry_digest(b), base) << "change " << i;
    }
}

}  // namespace
}  // namespace smartlog::cluster
