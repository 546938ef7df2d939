// Producers' entries for the hub tests: one IncomingEntry per message, as a `logs` message
// that passed validation would give them.
#pragma once

#include <initializer_list>
#include <vector>

#include "protocol/messages.hpp"

namespace smartlog::test_support {

inline std::vector<protocol::IncomingEntry> incoming(std::initializer_list<const char*> messages,
                                                     const char* level = "info") {
    std::vector<protocol::IncomingEntry> out;
    for (const char* m : messages) {
        protocol::IncomingEntry e;
        e.level = level;
        e.message = m;
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace smartlog::test_support
