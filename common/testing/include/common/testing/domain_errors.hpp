// DomainErrorOf: what a call of domain code refused with, as a short text for assertions:
// "not found", "not owner", "conflict", "rule: <message>", "declined: <message>",
// "unavailable: <message>"; "no error" when it returned. Other exceptions propagate.
//
//     EXPECT_EQ(test::DomainErrorOf([&] { service.Get("bad"); }), "not found");
//
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <utility>

#include "common/domain/errors.hpp"

namespace ticketing::test {

template <class F>
std::string DomainErrorOf(F&& call) {
    try {
        std::forward<F>(call)();
    } catch (const domain::Error& e) {
        switch (e.kind()) {
            case domain::ErrorKind::kNotFound:
                return "not found";
            case domain::ErrorKind::kNotOwner:
                return "not owner";
            case domain::ErrorKind::kConflict:
                return "conflict";
            case domain::ErrorKind::kRuleViolation:
                return std::string("rule: ") + e.what();
            case domain::ErrorKind::kDeclined:
                return std::string("declined: ") + e.what();
            case domain::ErrorKind::kUnavailable:
                return std::string("unavailable: ") + e.what();
        }
    }
    return "no error";
}

}  // namespace ticketing::test
