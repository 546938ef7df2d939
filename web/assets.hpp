// web/assets.hpp
#pragma once
#include <string_view>
namespace smartlog::web {
struct Asset {
    std::string_view content_type;
    std::string_view body;
};
// The embedded file served at `path` ("/" and "/index.html" are the page), or nullptr.
const Asset* find_asset(std::string_view path);
}  // namespace smartlog::web
