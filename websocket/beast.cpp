// websocket/beast.cpp: Boost.Beast's compiled part, what <boost/beast/src.hpp> holds, but for
// its UTF-8 checker, which utf8_checker.cpp defines instead, and its test streams, which
// nothing here uses. Whatever links this library compiles Beast with
// BOOST_BEAST_SEPARATE_COMPILATION (websocket/CMakeLists.txt), so these definitions exist once.
// As <boost/beast/src.hpp> does: the sources then instantiate what they must (http::basic_parser).
#define BOOST_BEAST_SOURCE

#include <boost/beast/core/detail/config.hpp>

#if defined(BOOST_BEAST_HEADER_ONLY)
#error "Beast must be built with BOOST_BEAST_SEPARATE_COMPILATION (websocket/CMakeLists.txt)"
#endif

#include <boost/beast/core/detail/base64.ipp>
#include <boost/beast/core/detail/impl/temporary_buffer.ipp>
#include <boost/beast/core/detail/sha1.ipp>
#include <boost/beast/core/impl/error.ipp>
#include <boost/beast/core/impl/file_posix.ipp>
#include <boost/beast/core/impl/file_stdio.ipp>
#include <boost/beast/core/impl/file_win32.ipp>
#include <boost/beast/core/impl/flat_static_buffer.ipp>
#include <boost/beast/core/impl/saved_handler.ipp>
#include <boost/beast/core/impl/static_buffer.ipp>
#include <boost/beast/core/impl/string.ipp>
#include <boost/beast/http/detail/basic_parser.ipp>
#include <boost/beast/http/detail/rfc7230.ipp>
#include <boost/beast/http/impl/basic_parser.ipp>
#include <boost/beast/http/impl/error.ipp>
#include <boost/beast/http/impl/field.ipp>
#include <boost/beast/http/impl/fields.ipp>
#include <boost/beast/http/impl/rfc7230.ipp>
#include <boost/beast/http/impl/status.ipp>
#include <boost/beast/http/impl/verb.ipp>
#include <boost/beast/websocket/detail/hybi13.ipp>
#include <boost/beast/websocket/detail/mask.ipp>
#include <boost/beast/websocket/detail/pmd_extension.ipp>
#include <boost/beast/websocket/detail/prng.ipp>
#include <boost/beast/websocket/detail/service.ipp>
#include <boost/beast/websocket/impl/error.ipp>
// utf8_checker.cpp defines the checker against the class as Boost 1.81 declares it (Debian 12's
// Boost); with any other Boost, Beast's own definition is used.
#include <boost/version.hpp>
#if BOOST_VERSION != 108100
#include <boost/beast/websocket/detail/utf8_checker.ipp>
#endif
#include <boost/beast/zlib/detail/deflate_stream.ipp>
#include <boost/beast/zlib/detail/inflate_stream.ipp>
#include <boost/beast/zlib/impl/error.ipp>
