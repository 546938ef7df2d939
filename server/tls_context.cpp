#include "server/tls_context.hpp"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sstream>

namespace smartlog::server {

namespace {

namespace ssl = boost::asio::ssl;

std::string read_file(const std::string& key, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ConfigError(
            fmt::format("{}: \"{}\" cannot be read: {}", key, path, std::strerror(errno)));
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The reason of OpenSSL's oldest queued error, and the queue emptied.
std::string openssl_reason() {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) return "unknown reason";
    const char* reason = ERR_reason_error_string(code);
    return reason ? reason : "unknown reason";
}

// Mozilla's "intermediate" TLS 1.2 suites without DHE (no DH parameters to manage); TLS 1.3
// suites are OpenSSL's defaults, all of them AEAD.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

}  // namespace

std::unique_ptr<ssl::context> make_tls_context(const Settings& settings) {
    if (settings.tls_cert.empty() && settings.tls_key.empty()) return nullptr;
    if (settings.tls_cert.empty() || settings.tls_key.empty()) {
        throw ConfigError(fmt::format("{}: set, but {} is not: set both or neither",
                                      settings.tls_cert.empty() ? "tls_key" : "tls_cert",
                                      settings.tls_cert.empty() ? "tls_cert" : "tls_key"));
    }
    const std::string cert_pem = read_file("tls_cert", settings.tls_cert);
    const std::string key_pem = read_file("tls_key", settings.tls_key);

    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    SSL_CTX* native = ctx->native_handle();
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                     ssl::context::single_dh_use);
    SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
        throw ConfigError("TLS: OpenSSL refused the protocol floor or cipher list: " +
                          openssl_reason());
    }
    // An encrypted key would otherwise make OpenSSL prompt on the terminal at start-up.
    SSL_CTX_set_default_passwd_cb(native, [](char*, int, int, void*) { return 0; });

    boost::system::error_code ec;
    ctx->use_certificate_chain(boost::asio::buffer(cert_pem), ec);
    if (ec) {
        throw ConfigError(fmt::format("tls_cert: \"{}\" holds no usable PEM certificate: {}",
                                      settings.tls_cert, ec.message()));
    }
    {
        ERR_clear_error();
        // Parsed apart from the context first, so that "not a key" and "not this
        // certificate's key" get different messages.
        std::unique_ptr<BIO, decltype(&BIO_free)> bio(
            BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())), &BIO_free);
        std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
            bio ? PEM_read_bio_PrivateKey(
                      bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr)
                : nullptr,
            &EVP_PKEY_free);
        if (!key) {
            throw ConfigError(
                fmt::format("tls_key: \"{}\" holds no usable PEM private key (an encrypted key is "
                            "not supported): {}",
                            settings.tls_key, openssl_reason()));
        }
        if (SSL_CTX_use_PrivateKey(native, key.get()) != 1 ||
            SSL_CTX_check_private_key(native) != 1) {
            ERR_clear_error();
            throw ConfigError(
                fmt::format("tls_key: \"{}\" does not match the certificate in tls_cert \"{}\"",
                            settings.tls_key, settings.tls_cert));
        }
    }
    return ctx;
}

}  // namespace smartlog::server
