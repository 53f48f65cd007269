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

/** One parallelFor call: chunks are claimed from `next` by whichever thread is running. */
struct Job {
  const std::function<void(size_t, size_t)>* fn = nullptr;
  size_t n = 0;
  size_t chunks = 0;
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};

  /** Claims and runs chunks until none is left. */
  void work() {
    for (;;) {
      const size_t c = next.fetch_add(1, std::memory_order_relaxed);
      if (c >= chunks) return;
      (*fn)(n * c / chunks, n * (c + 1) / chunks);
      done.fetch_add(1, std::memory_order_release);
    }
  }
};

/**
 * Workers that help with the current job. Chunks are claimed dynamically, so the calling thread
 * never waits for a worker that is not running (on a loaded machine one may be descheduled for a
 * whole time slice): it runs every unclaimed chunk itself and waits only for chunks already begun.
 */
class Pool {
 public:
  explicit Pool(int threads) : threads_(threads) {
    for (int i = 1; i < threads; i++) workers_.emplace_back([this] { loop(); });
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
    auto job = std::make_shared<Job>();
    job->fn = &fn;
    job->n = n;
    // A few chunks per thread, so that the work balances when a thread runs late.
    job->chunks = std::min<size_t>(n, static_cast<size_t>(threads_) * 4);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = job;
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    job->work();
    while (job->done.load(std::memory_order_acquire) < job->chunks) std::this_thread::yield();
    std::lock_guard<std::mutex> lock(mutex_);
    if (job_ == job) job_.reset();
  }

 private:
  void loop() {
    uint64_t seen = 0;
    for (;;) {
      // Spin a little (the next kernel usually follows within microseconds), then sleep.
      for (int spin = 0; generation_.load(std::memory_order_acquire) == seen && spin < 20000; spin++) {
      }
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_.load() != seen; });
        seen = generation_.load();
        if (stop_) return;
        job = job_;
      }
      if (job) job->work();
    }
  }

  const int threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::shared_ptr<Job> job_;
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
