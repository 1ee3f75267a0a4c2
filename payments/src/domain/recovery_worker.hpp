// RecoveryWorker: a thread that runs PaymentService::Recover() at start and then every
// `interval`, so payment attempts abandoned by a crash or a gateway outage are settled and due
// captures and releases are made even when no request or event comes for their order. A pass
// that filled its batch while the gateway answered is followed by the next at once. main() owns
// one.
// Thread-safety: construct and destroy on one thread; the destructor stops and joins.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace ticketing::payments {

class PaymentService;

class RecoveryWorker final {
public:
    RecoveryWorker(PaymentService& service, std::chrono::milliseconds interval);
    ~RecoveryWorker();
    RecoveryWorker(const RecoveryWorker&) = delete;
    RecoveryWorker& operator=(const RecoveryWorker&) = delete;

private:
    void Run();

    PaymentService& service_;
    std::chrono::milliseconds interval_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread thread_;  // last: it starts in the constructor and uses the members above
};

}  // namespace ticketing::payments
