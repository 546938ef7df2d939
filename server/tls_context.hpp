// server/tls_context.hpp: the server's TLS context, built once at start-up from tls_cert and
// tls_key (docs/protocol.md "TLS"). Start-up only; the context is then read by the net thread.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>

#include "server/config.hpp"

namespace smartlog::server {

// nullptr when neither tls_cert nor tls_key is set (plain ws:// and http://). Otherwise a
// server context with TLS 1.2 as the floor, forward-secret AEAD ciphers only for TLS 1.2, no
// compression and no renegotiation, holding that certificate chain and key.
// Throws ConfigError naming the setting: only one of the two set, a file that cannot be read,
// no PEM certificate or key in it (an encrypted key counts as none: there is no prompt),
// a key that does not match the certificate.
std::unique_ptr<boost::asio::ssl::context> make_tls_context(const Settings& settings);

}  // namespace smartlog::server
