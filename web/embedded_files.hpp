// web/embedded_files.hpp: the table that web/embed.cmake generates at build time.
// Internal to smartlog_web; everything here is constant data, safe from any thread.
#pragma once

#include <span>
#include <string_view>

#include "web/assets.hpp"

namespace smartlog::web::detail {

struct EmbeddedFile {
    std::string_view path;  // URL path, starting with '/'
    Asset asset;
};

// Every embedded file, in the order web/CMakeLists.txt lists them.
std::span<const EmbeddedFile> embedded_files() noexcept;

}  // namespace smartlog::web::detail
