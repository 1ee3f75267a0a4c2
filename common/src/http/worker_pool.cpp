#include "worker_pool.hpp"

namespace ticketing::http {

WorkerPool::WorkerPool(std::size_t threads, std::size_t queue_limit) : queue_limit_(queue_limit) {
    threads_.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i) {
        threads_.emplace_back([this] { Loop(); });
    }
}

WorkerPool::~WorkerPool() {
    Shutdown();
}

bool WorkerPool::TryPost(std::function<void()> task) {
    bool wake = false;
    {
        std::lock_guard lock(mu_);
        if (tasks_.size() >= queue_limit_) {
            return false;
        }
        tasks_.push_back(std::move(task));
        // Under load every worker is busy and will find the task when it comes back for the
        // next one: waking nobody then saves a futex call per request.
        wake = idle_ > 0;
    }
    if (wake) {
        cv_.notify_one();
    }
    return true;
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
