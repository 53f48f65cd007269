#include "pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace fsn {
namespace {

class Pool {
 public:
  explicit Pool(int threads) {
    for (int i = 1; i < threads; i++) workers_.emplace_back([this, i] { loop(static_cast<size_t>(i)); });
    threads_ = threads;
  }

  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }

  int threads() const { return threads_; }

  void run(size_t n, const std::function<void(size_t, size_t)>& fn) {
    size_t chunks = std::min<size_t>(n, threads_);
    {
      // The job and its generation are published together: a worker reads both under the lock.
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &fn;
      n_ = n;
      chunks_ = chunks;
      pending_.store(static_cast<int>(chunks) - 1);
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    fn(0, n / chunks);
    while (pending_.load(std::memory_order_acquire) > 0) std::this_thread::yield();
  }

 private:
  void loop(size_t index) {
    uint64_t seen = 0;
    for (;;) {
      // Spin a little (the next kernel usually follows within microseconds), then sleep.
      for (int spin = 0; generation_.load(std::memory_order_acquire) == seen && spin < 20000; spin++) {
      }
      const std::function<void(size_t, size_t)>* job;
      size_t n, chunks;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_.load() != seen; });
        seen = generation_.load();
        if (stop_) return;
        job = job_;
        n = n_;
        chunks = chunks_;
      }
      if (index < chunks) {
        (*job)(n * index / chunks, n * (index + 1) / chunks);
        pending_.fetch_sub(1, std::memory_order_release);
      }
    }
  }

  std::vector<std::thread> workers_;
  int threads_ = 1;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  const std::function<void(size_t, size_t)>* job_ = nullptr;
  size_t n_ = 0;
  size_t chunks_ = 0;
  bool stop_ = false;
};

std::unique_ptr<Pool>& pool() {
  static std::unique_ptr<Pool> instance;
  return instance;
}

int defaultThreads() {
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(std::min(hw, 64u));
}

}  // namespace

int threadCount() {
  if (!pool()) pool() = std::make_unique<Pool>(defaultThreads());
  return pool()->threads();
}

void setThreadCount(int threads) {
  threads = std::max(1, std::min(threads, 64));
  pool().reset();
  pool() = std::make_unique<Pool>(threads);
}

void parallelFor(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn) {
  if (n == 0) return;
  if (threadCount() == 1 || n < 2 * std::max<size_t>(grain, 1)) {
    fn(0, n);
    return;
  }
  pool()->run(n, fn);
}

}  // namespace fsn
