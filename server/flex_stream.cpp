#include "server/flex_stream.hpp"

#include <cerrno>
#include <sys/socket.h>
#include <sys/types.h>

namespace smartlog::server {

bool FlexStream::recv_now(int fd, char* into, std::size_t size, std::size_t& got,
                          beast::error_code& ec) noexcept {
    const ssize_t r = ::recv(fd, into, size, MSG_DONTWAIT);
    if (r > 0) {
        got = static_cast<std::size_t>(r);
        return true;
    }
    if (r == 0) {
        ec = net::error::eof;
        return true;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return false;
    ec = beast::error_code(errno, boost::system::system_category());
    return true;
}

}  // namespace smartlog::server
