#include "domain/recovery_worker.hpp"

#include <exception>

#include "common/log/log.hpp"

#include "domain/payment_service.hpp"

namespace ticketing::payments {

RecoveryWorker::RecoveryWorker(PaymentService& service, std::chrono::milliseconds interval)
    : service_(service), interval_(interval) {}

RecoveryWorker::~RecoveryWorker() {
    Stop();
}

void RecoveryWorker::Start() {
    std::lock_guard lock(mu_);
    if (thread_.joinable()) {
        return;
    }
    stopping_ = false;
    thread_ = std::thread([this] { Run(); });
}

void RecoveryWorker::Stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void RecoveryWorker::Run() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
        lock.unlock();
        bool again = false;
        try {
            auto report = service_.Recover();
            // A full batch after an outage (hundreds of attempts in doubt, captures due): go on
            // at once while the gateway answers, rather than one batch per interval.
            again = report.more && report.failures == 0;
            if (report.attempts_settled + report.settlements_made + report.failures > 0) {
                log::Info("payment recovery pass",
                          {{"attempts_settled", report.attempts_settled},
                           {"settlements_made", report.settlements_made},
                           {"failures", report.failures}});
            }
        } catch (const std::exception& e) {
            // The database is down, most likely: the next pass tries again.
            log::Warn("payment recovery pass failed", {{"error", e.what()}});
        }
        lock.lock();
        if (!again) {
            cv_.wait_for(lock, interval_, [this] { return stopping_; });
        }
    }
}

}  // namespace ticketing::payments
