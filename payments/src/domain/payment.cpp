#include "domain/payment.hpp"

namespace ticketing::payments {

std::string_view ToString(AttemptStatus status) {
    switch (status) {
        case AttemptStatus::kPending:
            return "pending";
        case AttemptStatus::kSucceeded:
            return "succeeded";
        case AttemptStatus::kFailed:
            return "failed";
    }
    return "failed";
}

std::optional<AttemptStatus> ParseAttemptStatus(std::string_view text) {
    for (auto s : {AttemptStatus::kPending, AttemptStatus::kSucceeded, AttemptStatus::kFailed}) {
        if (ToString(s) == text) {
            return s;
        }
    }
    return std::nullopt;
}

std::string_view ToString(PaymentStatus status) {
    switch (status) {
        case PaymentStatus::kAuthorized:
            return "authorized";
        case PaymentStatus::kCaptured:
            return "captured";
        case PaymentStatus::kReleased:
            return "released";
        case PaymentStatus::kFailed:
            return "failed";
    }
    return "failed";
}

std::optional<PaymentStatus> ParsePaymentStatus(std::string_view text) {
    for (auto s : {PaymentStatus::kAuthorized,
                   PaymentStatus::kCaptured,
                   PaymentStatus::kReleased,
                   PaymentStatus::kFailed}) {
        if (ToString(s) == text) {
            return s;
        }
    }
    return std::nullopt;
}

std::string_view ToString(Settlement settlement) {
    return settlement == Settlement::kCapture ? "capture" : "release";
}

}  // namespace ticketing::payments
