// A small fork-join thread pool: parallelFor(n, fn) runs fn(begin, end) over [0, n) split in
// contiguous chunks, one per thread, the calling thread included. Workers spin briefly after a
// job (kernels come in quick succession), then sleep on a condition variable. The BLAS library is set
// to one thread: every parallel split is made here, so two thread pools never compete for the cores.
#pragma once
#include <cstddef>
#include <functional>

namespace fsn {

/** Threads used by parallelFor, the caller included (>= 1). */
int threadCount();
/** Sets the thread count (clamped to [1, 64]); restarts the workers. */
void setThreadCount(int threads);
/** Runs fn(begin, end) over [0, n) in at most threadCount() chunks; inline when n < 2 * grain. */
void parallelFor(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn);

}  // namespace fsn
