// web/assets.cpp: path lookup over the files embedded at build time.
// Constant data only: safe from any thread.
#include "web/assets.hpp"

#include "web/embedded_files.hpp"

namespace smartlog::web {

const Asset* find_asset(std::string_view path) {
    if (path == "/") path = "/index.html";
    // A handful of files: a linear scan beats any index in size and clarity.
    for (const auto& file : detail::embedded_files()) {
        if (file.path == path) return &file.asset;
    }
    return nullptr;
}

}  // namespace smartlog::web
