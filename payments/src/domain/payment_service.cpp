#include "domain/payment_service.hpp"

#include "common/domain/errors.hpp"
#include "common/log/log.hpp"

namespace ticketing::payments {

PaymentService::PaymentService(PaymentsTransactions& transactions,
                               PaymentGateway& gateway,
                               const util::Clock& clock,
                               util::IdGenerator& ids,
                               PaymentServiceOptions options)
    : transactions_(transactions),
      gateway_(gateway),
      clock_(clock),
      ids_(ids),
      options_(std::move(options)) {}

Payment PaymentService::Pay(const std::string& user_id,
                            const std::string& order_id,
                            const std::string& token,
                            const std::string& traceparent) {
    if (!util::IsValidId(order_id)) {
        throw domain::NotFoundError();
    }
    Settled settled = Authorize(Claim(user_id, order_id, token), traceparent);
    switch (settled.outcome) {
        case Outcome::kPaid:
            return *settled.payment;
        case Outcome::kDeclined:
            throw domain::DeclinedError(settled.message);
        case Outcome::kInvalid:
            throw domain::RuleViolation(settled.message);
        case Outcome::kCancelled:
            throw domain::RuleViolation(std::string(kCannotPayCancelled));
        case Outcome::kInProgress:
            throw domain::RuleViolation(std::string(kPaymentInProgress));
        case Outcome::kUnavailable:
            break;
    }
    throw domain::UnavailableError(std::string(kGatewayUnavailable));
}

PaymentAttempt PaymentService::Claim(const std::string& user_id,
                                     const std::string& order_id,
                                     const std::string& token) {
    return transactions_.Run([&](PaymentsUnitOfWork& uow) {
        auto order = uow.orders().Find(order_id);
        if (!order) {
            throw domain::NotFoundError();
        }
        if (order->user_id != user_id) {
            throw domain::NotOwnerError();
        }
        if (order->status == OrderStatus::kCancelled) {
            throw domain::RuleViolation(std::string(kCannotPayCancelled));
        }
        if (order->status == OrderStatus::kComplete) {
            throw domain::RuleViolation(std::string(kAlreadyPaid));
        }
        const auto now = clock_.Now();
        const auto lease = now + options_.lease;
        PaymentAttempt attempt{ids_.NewId(),
                               order->id,
                               order->price,
                               token,
                               AttemptStatus::kPending,
                               std::nullopt,
                               std::nullopt,
                               lease,
                               now};
        if (uow.attempts().Insert(attempt)) {
            return attempt;
        }
        auto active = uow.attempts().FindActive(order->id);
        if (!active) {
            throw domain::ConflictError();  // the attempt in our way is gone already: retry
        }
        if (active->status == AttemptStatus::kSucceeded) {
            throw domain::RuleViolation(std::string(kAlreadyPaid));
        }
        // Pending: a live request owns it until its lease ends. After that it was abandoned
        // (its request gave up or its process died) and this request resumes it with the
        // attempt's stored token, amount and key (not this request's token), so a charge made
        // back then is found, not repeated.
        if (active->lease_until > now || active->created_at <= now - options_.resume_window ||
            !uow.attempts().TakeOver(active->id, active->lease_until, lease)) {
            throw domain::RuleViolation(std::string(kPaymentInProgress));
        }
        active->lease_until = lease;
        return *active;
    });
}

Payment PaymentService::Find(const std::string& user_id, const std::string& payment_id) {
    if (!util::IsValidId(payment_id)) {
        throw domain::NotFoundError();
    }
    return transactions_.Read([&](PaymentsUnitOfWork& uow) {
        auto payment = uow.payments().Find(payment_id);
        if (!payment) {
            throw domain::NotFoundError();
        }
        auto order = uow.orders().Find(payment->order_id);
        if (!order || order->user_id != user_id) {
            throw domain::NotOwnerError();
        }
        return *payment;
    });
}

PaymentService::Settled PaymentService::Authorize(const PaymentAttempt& attempt,
                                                  const std::string& traceparent) {
    std::string charge_id;
    try {
        charge_id = gateway_
                        .Authorize(attempt.amount,
                                   kCurrency,
                                   attempt.source,
                                   AuthorizeIdempotencyKey(attempt))
                        .charge_id;
    } catch (const GatewayError& e) {
        if (e.kind() == GatewayError::Kind::kUnavailable) {
            // Unknown whether the gateway authorised: keep the attempt pending, with its key, for
            // the next request or Recover() to resume at once.
            transactions_.Run([&](PaymentsUnitOfWork& uow) {
                uow.attempts().EndLease(attempt.id, clock_.Now());
            });
            log::Warn("authorisation not settled: gateway unavailable",
                      {{"order_id", attempt.order_id}, {"attempt_id", attempt.id}});
            return {Outcome::kUnavailable, std::nullopt, e.what()};
        }
        bool failed = transactions_.Run([&](PaymentsUnitOfWork& uow) {
            return uow.attempts().MarkFailed(attempt.id, e.what(), clock_.Now());
        });
        if (!failed) {
            return OutcomeOf(attempt.id);
        }
        log::Info("authorisation refused",
                  {{"order_id", attempt.order_id},
                   {"attempt_id", attempt.id},
                   {"reason", ToString(e.kind())}});
        return {e.kind() == GatewayError::Kind::kDeclined ? Outcome::kDeclined : Outcome::kInvalid,
                std::nullopt,
                e.what()};
    }
    return RecordAuthorization(attempt, charge_id, traceparent);
}

PaymentService::Settled PaymentService::RecordAuthorization(const PaymentAttempt& attempt,
                                                            const std::string& charge_id,
                                                            const std::string& traceparent) {
    const auto now = clock_.Now();
    struct Recorded {
        Payment payment;
        bool order_cancelled = false;
    };
    auto recorded = transactions_.Run([&](PaymentsUnitOfWork& uow) -> std::optional<Recorded> {
        // Ordered against the order:cancelled listener: whichever commits second sees the
        // other's change (the listener then releases this payment, or this sees the cancel).
        uow.orders().Lock(attempt.order_id);
        auto order = uow.orders().Find(attempt.order_id);
        if (!uow.attempts().MarkSucceeded(attempt.id, charge_id, now)) {
            return std::nullopt;  // settled by whoever resumed it
        }
        Payment payment;
        payment.id = ids_.NewId();
        payment.order_id = attempt.order_id;
        payment.attempt_id = attempt.id;
        payment.stripe_id = charge_id;
        payment.created_at = now;
        payment.amount = attempt.amount;
        Recorded r{std::move(payment), order && order->status == OrderStatus::kCancelled};
        uow.payments().Insert(r.payment);
        if (!r.order_cancelled) {
            // Published once this commits (the runner wakes the relay then).
            uow.outbox().Add(events::PaymentCreated{r.payment.id, r.payment.order_id, charge_id},
                             {traceparent, now});
        }
        return r;
    });
    if (!recorded) {
        return OutcomeOf(attempt.id);
    }
    if (!recorded->order_cancelled) {
        log::Info("payment authorised",
                  {{"order_id", attempt.order_id},
                   {"payment_id", recorded->payment.id},
                   {"charge_id", charge_id}});
        return {Outcome::kPaid, recorded->payment, ""};
    }
    // No one pays for an order they do not get: no payment:created, and the hold is released.
    log::Warn("order cancelled during the authorisation: releasing",
              {{"order_id", attempt.order_id}, {"payment_id", recorded->payment.id}});
    try {
        SettlePayment(recorded->payment, Settlement::kRelease);
    } catch (const GatewayError& e) {
        // Still due and recorded as such (authorized, order cancelled): Recover() repeats it
        // with the same key.
        log::Warn("release deferred",
                  {{"payment_id", recorded->payment.id}, {"reason", ToString(e.kind())}});
    }
    return {Outcome::kCancelled, recorded->payment, ""};
}

PaymentService::Settled PaymentService::OutcomeOf(const std::string& attempt_id) {
    return transactions_.Read([&](PaymentsUnitOfWork& uow) -> Settled {
        auto attempt = uow.attempts().Find(attempt_id);
        if (!attempt || attempt->status == AttemptStatus::kPending) {
            return {Outcome::kInProgress, std::nullopt, ""};
        }
        if (attempt->status == AttemptStatus::kFailed) {
            return {Outcome::kDeclined, std::nullopt, attempt->failure.value_or("")};
        }
        auto payment = uow.payments().FindOfOrder(attempt->order_id);
        auto order = uow.orders().Find(attempt->order_id);
        if (!payment || (order && order->status == OrderStatus::kCancelled)) {
            return {Outcome::kCancelled, payment, ""};
        }
        return {Outcome::kPaid, payment, ""};
    });
}

std::optional<PaymentStatus> PaymentService::SettleOrder(const std::string& order_id) {
    auto due = transactions_.Read(
        [&](PaymentsUnitOfWork& uow) { return uow.payments().DueSettlements(order_id, 1); });
    if (due.empty()) {
        return std::nullopt;
    }
    return SettlePayment(due.front().payment, due.front().settlement);
}

PaymentStatus PaymentService::SettlePayment(const Payment& payment, Settlement settlement) {
    const std::string key = SettlementIdempotencyKey(payment, settlement);
    PaymentStatus status =
        settlement == Settlement::kCapture ? PaymentStatus::kCaptured : PaymentStatus::kReleased;
    std::optional<std::string> refund_id, failure;
    try {
        if (settlement == Settlement::kCapture) {
            gateway_.Capture(payment.stripe_id, key);
        } else {
            auto released = gateway_.Release(payment.stripe_id, key);
            if (!released.refund_id.empty()) {
                refund_id = released.refund_id;
            }
        }
    } catch (const GatewayError& e) {
        if (e.kind() == GatewayError::Kind::kUnavailable) {
            throw;  // still authorised: whoever called retries with the same key
        }
        status = PaymentStatus::kFailed;
        failure = e.what();
    }
    bool recorded = transactions_.Run([&](PaymentsUnitOfWork& uow) {
        return uow.payments().RecordSettlement(
            payment.id, status, refund_id, failure, clock_.Now());
    });
    if (!recorded) {
        // Settled by another delivery, replica or the sweep first (the same key made the
        // gateway's answer the same): report what is recorded.
        auto now_recorded = transactions_.Read(
            [&](PaymentsUnitOfWork& uow) { return uow.payments().Find(payment.id); });
        return now_recorded ? now_recorded->status : status;
    }
    if (status == PaymentStatus::kFailed) {
        log::Error("payment settlement refused by the gateway",
                   {{"order_id", payment.order_id},
                    {"payment_id", payment.id},
                    {"settlement", ToString(settlement)},
                    {"error", *failure}});
        if (options_.on_settlement_failed) {
            options_.on_settlement_failed(settlement);
        }
    } else {
        log::Info(settlement == Settlement::kCapture ? "payment captured" : "payment released",
                  {{"order_id", payment.order_id}, {"payment_id", payment.id}});
    }
    return status;
}

RecoveryReport PaymentService::Recover() {
    RecoveryReport report;
    const auto now = clock_.Now();
    auto expired = transactions_.Read([&](PaymentsUnitOfWork& uow) {
        return uow.attempts().Expired(now, now - options_.resume_window, options_.recovery_batch);
    });
    report.more = expired.size() >= options_.recovery_batch;
    for (auto& attempt : expired) {
        const auto lease = now + options_.lease;
        bool mine = transactions_.Run([&](PaymentsUnitOfWork& uow) {
            return uow.attempts().TakeOver(attempt.id, attempt.lease_until, lease);
        });
        if (!mine) {
            continue;  // a request or another replica resumed it first
        }
        attempt.lease_until = lease;
        log::Info("resuming an abandoned payment attempt",
                  {{"order_id", attempt.order_id}, {"attempt_id", attempt.id}});
        if (Authorize(attempt, "").outcome == Outcome::kUnavailable) {
            ++report.failures;
        } else {
            ++report.attempts_settled;
        }
    }
    auto due = transactions_.Read([&](PaymentsUnitOfWork& uow) {
        return uow.payments().DueSettlements(std::nullopt, options_.recovery_batch);
    });
    report.more = report.more || due.size() >= options_.recovery_batch;
    for (const auto& [payment, settlement] : due) {
        try {
            SettlePayment(payment, settlement);
            ++report.settlements_made;
        } catch (const GatewayError& e) {
            ++report.failures;
            log::Warn("due settlement not made",
                      {{"payment_id", payment.id},
                       {"settlement", ToString(settlement)},
                       {"reason", ToString(e.kind())}});
        }
    }
    return report;
}

}  // namespace ticketing::payments
