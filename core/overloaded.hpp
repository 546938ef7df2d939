// core/overloaded.hpp: one visitor out of several lambdas, for std::visit. Header only.
#pragma once

namespace smartlog::core {

// std::visit(overloaded{[](A&) {...}, [](B&) {...}}, variant);
template <class... Ts>
struct overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;  // clang 14 has no aggregate deduction

}  // namespace smartlog::core
