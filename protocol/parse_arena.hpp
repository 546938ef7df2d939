// protocol/parse_arena.hpp: the memory received frames' JSON documents are parsed into. Not
// thread-safe: one per thread that decodes frames (the server's net thread has one).
//
// One buffer serves every message, and each message gets a fresh monotonic_resource over it:
// a document costs no per-node malloc and no destructor walk, and what a large message takes
// beyond the buffer goes back to `upstream` with the next message. Reusing one resource with
// release() between messages would not do: in Boost 1.81 its next block size keeps doubling
// across releases, and after a few hundred messages larger than the buffer it asked for 32 GiB.
#pragma once

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/storage_ptr.hpp>
#include <cstddef>
#include <memory>
#include <optional>

namespace smartlog::protocol {

class ParseArena {
public:
    // A buffer that holds a typical control message's document whole.
    static constexpr std::size_t kDefaultBufferBytes = 64 * 1024;
    ParseArena() : ParseArena(kDefaultBufferBytes) {}
    // REQUIRES: buffer_bytes > 0. `upstream` serves what a message needs beyond the buffer.
    explicit ParseArena(std::size_t buffer_bytes, boost::json::storage_ptr upstream = {})
        : buffer_(std::make_unique<unsigned char[]>(buffer_bytes)),
          size_(buffer_bytes),
          upstream_(std::move(upstream)) {}
    ParseArena(const ParseArena&) = delete;
    ParseArena& operator=(const ParseArena&) = delete;

    // The storage for the next message's document. REQUIRES: the previous message's document
    // is gone (its memory is handed out again). The storage stays valid until the next call.
    boost::json::storage_ptr next() {
        arena_.reset();
        arena_.emplace(buffer_.get(), size_, upstream_);
        return boost::json::storage_ptr(&*arena_);
    }

private:
    std::unique_ptr<unsigned char[]> buffer_;
    std::size_t size_;
    boost::json::storage_ptr upstream_;
    std::optional<boost::json::monotonic_resource> arena_;
};

}  // namespace smartlog::protocol
