// One-pass statistics for the sparsity metrics: counts of entries inside a set of intervals (with the
// per-column "ever outside" flags dead-neuron counts need), row sums of squares, and row sums of
// (u v)^2 over the entries of x outside the intervals. They read their inputs once and write only
// the small results, so a layer's captures are not copied into intermediates.
//
// Every interval becomes two closed comparisons: x is below it when x < lo' and above when x > hi',
// with lo' = the next float above lo for an open end (x <= lo <=> x < nextafter(lo, +inf) for every
// non-NaN float), an infinite end never compared true, and an empty interval (everything is outside
// it) as lo' = +inf, hi' = -inf. The loops are then branch-free and vectorise.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "metrics.h"
#include "pool.h"

namespace fsn {
namespace {

struct Bounds {
  std::vector<float> lo, hi;  // outside interval k <=> x < lo[k] || x > hi[k]
};

Bounds boundsOf(const IntervalSet& set) {
  Bounds b;
  const float inf = std::numeric_limits<float>::infinity();
  for (size_t k = 0; k < set.count; k++) {
    const Interval& iv = set.intervals[k];
    if (iv.empty) {
      b.lo.push_back(inf);
      b.hi.push_back(-inf);
      continue;
    }
    b.lo.push_back(iv.loOpen ? std::nextafter(iv.lo, inf) : iv.lo);
    b.hi.push_back(iv.hiOpen ? std::nextafter(iv.hi, -inf) : iv.hi);
  }
  return b;
}

/** out[j] = 1.0f where x[j] is outside every interval, else 0.0f, for one row of n entries (vectorised). */
inline void outsideRow(const float* __restrict x, size_t n, const Bounds& b, float* __restrict out) {
  const size_t k = b.lo.size();
  const float lo0 = k > 0 ? b.lo[0] : 0.0f, hi0 = k > 0 ? b.hi[0] : 0.0f;
  if (k == 0) {
    for (size_t j = 0; j < n; j++) out[j] = 1.0f;
    return;
  }
  for (size_t j = 0; j < n; j++) {
    const float v = x[j];
    out[j] = (v < lo0) | (v > hi0) ? 1.0f : 0.0f;
  }
  for (size_t q = 1; q < k; q++) {
    const float lo = b.lo[q], hi = b.hi[q];
    for (size_t j = 0; j < n; j++) {
      const float v = x[j];
      out[j] = (v < lo) | (v > hi) ? out[j] : 0.0f;
    }
  }
}

constexpr size_t kGrainRows = 64;

}  // namespace

/**
 * For x [rows, cols]: inside[0] = the number of entries inside some interval (NaN if any entry is
 * NaN), everOutside[j] = 1 if some row has column j outside every interval, else 0 (NaN if the
 * column holds a NaN), as the plain-op indicator gives.
 */
void intervalStats(size_t rows, size_t cols, const float* x, const IntervalSet& set, float* inside, float* everOutside) {
  const Bounds b = boundsOf(set);
  const int threads = threadCount();
  const size_t chunks = std::min<size_t>(static_cast<size_t>(threads), std::max<size_t>(1, rows / kGrainRows));
  std::vector<uint64_t> outsideCounts(chunks, 0);
  std::vector<std::vector<uint8_t>> flags(chunks, std::vector<uint8_t>(cols, 0)), nans(chunks, std::vector<uint8_t>(cols, 0));
  parallelFor(chunks, 1, [&](size_t c0, size_t c1) {
    std::vector<float> out(cols);
    std::vector<int32_t> flag(cols), nan(cols);
    for (size_t c = c0; c < c1; c++) {
      std::fill(flag.begin(), flag.end(), 0);
      std::fill(nan.begin(), nan.end(), 0);
      float* __restrict o = out.data();
      int32_t* __restrict f = flag.data();
      int32_t* __restrict na = nan.data();
      uint64_t count = 0;
      for (size_t r = rows * c / chunks; r < rows * (c + 1) / chunks; r++) {
        const float* __restrict row = x + r * cols;
        outsideRow(row, cols, b, o);
        int32_t rowCount = 0;  // integer sums vectorise (float ones would be added in order)
        for (size_t j = 0; j < cols; j++) {
          const int32_t out1 = o[j] != 0.0f;
          rowCount += out1;
          f[j] |= out1;
          na[j] |= row[j] != row[j];
        }
        count += static_cast<uint64_t>(rowCount);
      }
      outsideCounts[c] = count;
      for (size_t j = 0; j < cols; j++) {
        flags[c][j] = f[j] != 0;
        nans[c][j] = na[j] != 0;
      }
    }
  });
  uint64_t outside = 0;
  bool anyNan = false;
  for (size_t c = 0; c < chunks; c++) outside += outsideCounts[c];
  for (size_t j = 0; j < cols; j++) {
    uint8_t any = 0, nan = 0;
    for (size_t c = 0; c < chunks; c++) {
      any |= flags[c][j];
      nan |= nans[c][j];
    }
    anyNan |= nan != 0;
    everOutside[j] = nan ? std::numeric_limits<float>::quiet_NaN() : (any ? 1.0f : 0.0f);
  }
  inside[0] = anyNan ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(rows * cols - outside);
}

/** out[r] = sum_j t[r, j]^2: eight float lanes per row, added in double. */
void rowSumSquares(size_t rows, size_t cols, const float* t, float* out) {
  parallelFor(rows, std::max<size_t>(1, 16384 / std::max<size_t>(cols, 1)), [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
      const float* row = t + r * cols;
      float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      size_t j = 0;
      for (; j + 8 <= cols; j += 8)
        for (int l = 0; l < 8; l++) lanes[l] += row[j + l] * row[j + l];
      double s = 0;
      for (int l = 0; l < 8; l++) s += lanes[l];
      for (; j < cols; j++) s += static_cast<double>(row[j]) * row[j];
      out[r] = static_cast<float>(s);
    }
  });
}

/** out[r] = sum_j (u[r, j] v[r, j])^2 over the j with x[r, j] outside every interval (NaN where x is NaN). */
void maskedRowSumSquares(size_t rows, size_t cols, const float* u, const float* v, const float* x, const IntervalSet& set, float* out) {
  const Bounds b = boundsOf(set);
  parallelFor(rows, std::max<size_t>(1, 8192 / std::max<size_t>(cols, 1)), [&](size_t r0, size_t r1) {
    std::vector<float> mask(cols);
    for (size_t r = r0; r < r1; r++) {
      const size_t base = r * cols;
      const float* __restrict ur = u + base;
      const float* __restrict vr = v + base;
      const float* __restrict xr = x + base;
      outsideRow(xr, cols, b, mask.data());
      float* __restrict mr = mask.data();
      int32_t nan = 0;
      for (size_t j = 0; j < cols; j++) {
        const float w = ur[j] * vr[j];
        mr[j] = mr[j] != 0.0f ? w * w : 0.0f;  // in place: the masked squares
        nan |= xr[j] != xr[j];
      }
      float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      size_t j = 0;
      for (; j + 8 <= cols; j += 8)
        for (int l = 0; l < 8; l++) lanes[l] += mr[j + l];
      double s = 0;
      for (int l = 0; l < 8; l++) s += lanes[l];
      for (; j < cols; j++) s += mr[j];
      out[r] = nan ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(s);
    }
  });
}

}  // namespace fsn
