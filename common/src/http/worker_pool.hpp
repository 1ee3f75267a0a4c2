// WorkerPool: a fixed set of threads running posted tasks in FIFO order. The HTTP server runs
// blocking handlers here so they never stall its I/O threads.
// Thread-safety: Post from any thread; Shutdown once (runs what is queued, then joins).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ticketing::http {

class WorkerPool final {
public:
    // At most `queue_limit` tasks wait for a thread; TryPost refuses more.
    WorkerPool(std::size_t threads, std::size_t queue_limit);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // False (and the task not queued) when queue_limit tasks are already waiting.
    bool TryPost(std::function<void()> task);
    void Shutdown();

private:
    void Loop();

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> tasks_;
    std::size_t queue_limit_;
    bool stopping_ = false;
    std::size_t idle_ = 0;  // workers waiting for a task
    std::vector<std::thread> threads_;
};

}  // namespace ticketing::http
