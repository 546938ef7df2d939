#include "server/routes/request_body.hpp"

#include <algorithm>
#include <cctype>

#include "protocol/decompress.hpp"

namespace smartlog::server::routes {

namespace {

std::string lower_trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return out;
}

}  // namespace

std::string media_type(const HttpRequest& req) {
    auto it = req.find(http::field::content_type);
    if (it == req.end()) return {};
    const std::string_view value = it->value();
    return lower_trimmed(value.substr(0, value.find(';')));
}

std::variant<std::string_view, BodyError> decoded_body(const HttpRequest& req,
                                                       std::size_t max_inflated,
                                                       std::string& storage,
                                                       std::string_view passthrough) {
    auto it = req.find(http::field::content_encoding);
    const std::string encoding = it == req.end() ? std::string() : lower_trimmed(it->value());
    if (encoding.empty() || encoding == "identity" ||
        (!passthrough.empty() && encoding == passthrough)) {
        return std::string_view(req.body());
    }
    protocol::Compression kind;
    if (encoding == "gzip" || encoding == "x-gzip") {
        kind = protocol::Compression::gzip;
    } else if (encoding == "deflate") {
        kind = protocol::Compression::deflate;
    } else {
        const bool printable = encoding.size() <= 32 &&
                               std::all_of(encoding.begin(), encoding.end(), [](unsigned char c) {
                                   return c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
                               });
        return BodyError{http::status::unsupported_media_type,
                         "Content-Encoding " +
                             (printable ? "\"" + encoding + "\" " : std::string()) +
                             "is not supported (gzip, deflate or none)"};
    }
    auto inflated = protocol::inflate_body(req.body(), kind, max_inflated);
    if (auto* error = std::get_if<protocol::InflateError>(&inflated)) {
        return BodyError{
            error->too_large ? http::status::payload_too_large : http::status::bad_request,
            error->message};
    }
    storage = std::move(std::get<std::string>(inflated));
    return std::string_view(storage);
}

}  // namespace smartlog::server::routes
