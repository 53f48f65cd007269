// One-pass statistics for the sparsity metrics (metrics.cc).
#pragma once
#include <cstddef>

namespace fsn {

/** A closed or open interval, already widened by the tolerance and rounded to float32. */
struct Interval {
  float lo, hi;
  bool loOpen, hiOpen, empty;
};

struct IntervalSet {
  const Interval* intervals;
  size_t count;
};

void intervalStats(size_t rows, size_t cols, const float* x, const IntervalSet& set, float* inside, float* everOutside);
void rowSumSquares(size_t rows, size_t cols, const float* t, float* out);
void maskedRowSumSquares(size_t rows, size_t cols, const float* u, const float* v, const float* x, const IntervalSet& set, float* out, float* inside,
                         float* everOutside);

}  // namespace fsn
