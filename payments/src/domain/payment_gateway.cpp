#include "domain/payment_gateway.hpp"

namespace ticketing::payments {

std::string_view ToString(GatewayError::Kind kind) {
    switch (kind) {
        case GatewayError::Kind::kDeclined:
            return "declined";
        case GatewayError::Kind::kInvalid:
            return "invalid";
        case GatewayError::Kind::kUnavailable:
            return "unavailable";
    }
    return "unavailable";
}

}  // namespace ticketing::payments
