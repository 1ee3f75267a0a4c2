#include "worker_pool.hpp"

namespace ticketing::http {

WorkerPool::WorkerPool(std::size_t threads) {
    threads_.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i) {
        threads_.emplace_back([this] { Loop(); });
    }
}

WorkerPool::~WorkerPool() {
    Shutdown();
}

void WorkerPool::Post(std::function<void()> task) {
    bool wake = false;
    {
        std::lock_guard lock(mu_);
        tasks_.push_back(std::move(task));
        // Under load every worker is busy and will find the task when it comes back for the
        // next one: waking nobody then saves a futex call per request.
        wake = idle_ > 0;
    }
    if (wake) {
        cv_.notify_one();
    }
}

void WorkerPool::Shutdown() {
    {
        std::lock_guard lock(mu_);
        if (stopping_ && threads_.empty()) {
            return;
        }
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) {
        if (t.joinable()) {
            t.join();
        }
    }
    threads_.clear();
}

void WorkerPool::Loop() {
    for (;;) {
        std::function<void()> task;
        {
            std::unique_lock lock(mu_);
            ++idle_;
            cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
            --idle_;
            if (tasks_.empty()) {
                return;  // stopping and drained
            }
            task = std::move(tasks_.front());
            tasks_.pop_front();
        }
        task();
    }
}

}  // namespace ticketing::http
