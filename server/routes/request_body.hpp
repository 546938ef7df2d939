// server/routes/request_body.hpp: a request body as its sender wrote it, before
// Content-Encoding (gzip, deflate), with the inflated size bounded by max_inflated_bytes.
// Pure function of the request (the fuzz targets call it too).
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "server/router.hpp"

namespace smartlog::server::routes {

struct BodyError {
    http::status status;  // 413 over the cap, 415 an unknown encoding, 400 corrupt data
    std::string message;
};

// The body of `req` with its Content-Encoding undone; `storage` holds the inflated bytes when
// there were any to inflate. "identity" or none: the body itself. `passthrough` names an
// encoding the caller undoes itself (the Loki API's "snappy"), left as it is here.
std::variant<std::string_view, BodyError> decoded_body(const HttpRequest& req,
                                                       std::size_t max_inflated,
                                                       std::string& storage,
                                                       std::string_view passthrough = {});

// The media type of the request, lower-cased, without parameters ("application/json").
std::string media_type(const HttpRequest& req);

}  // namespace smartlog::server::routes
