// RecoveryWorker: a thread that runs PaymentService::Recover() at start and then every
// `interval`, so payment attempts abandoned by a crash or a gateway outage are settled and due
// captures and releases are made even when no request or event comes for their order. A pass
// that filled its batch while the gateway answered is followed by the next at once. The service's
// builder owns one and starts it with the service.
// Thread-safety: Start, Stop and the destructor on one thread; the destructor stops and joins.
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
    ~RecoveryWorker();  // Stop()
    RecoveryWorker(const RecoveryWorker&) = delete;
    RecoveryWorker& operator=(const RecoveryWorker&) = delete;

    // Starts the thread (its first pass runs at once); idempotent.
    void Start();
    // Ends the pass in progress and joins; idempotent.
    void Stop();

private:
    void Run();

    PaymentService& service_;
    std::chrono::milliseconds interval_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace ticketing::payments
