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
// Independent float accumulators per row: one 8-wide accumulator is bound by the add latency (about
// 15 GB/s per core here); 32 lanes keep several vector adds in flight (about 40 GB/s).
constexpr int kLanes = 32;

/** x outside the one interval [lo', hi'] (the common case: ReLU's flat region or rest value). */
struct OutsideOne {
  float lo, hi;
  int32_t operator()(size_t, float v) const { return (v < lo) | (v > hi); }
};

/** x outside every interval, read from a row mask made by outsideRow (any number of intervals). */
struct OutsideMask {
  const float* mask;
  int32_t operator()(size_t j, float) const { return mask[j] != 0.0f; }
};

/** The sum of the kLanes lanes by halving (vector adds, not a serial chain of kLanes adds); destroys them. */
inline float sumLanes(float* lanes) {
  for (int width = kLanes / 2; width >= 1; width /= 2)
    for (int l = 0; l < width; l++) lanes[l] += lanes[l + width];
  return lanes[0];
}

enum class Sums { None, V, UV };

/**
 * One pass over rows [r0, r1) of x [rows, cols] (with v, u of the same shape as Sums asks): counts
 * the entries outside the intervals (returned), ORs the per-column outside / NaN flags into f / na,
 * and for Sums != None writes out[r] = sum over the outside entries of w^2 (w = v or u v), NaN in a
 * row where x holds NaN. `makeOutside(row)` gives the predicate for one row.
 */
template <Sums mode, class MakeOutside>
uint64_t statsRows(size_t r0, size_t r1, size_t cols, const float* u, const float* v, const float* x, MakeOutside makeOutside, float* out,
                   int32_t* __restrict f, int32_t* __restrict na) {
  uint64_t count = 0;
  for (size_t r = r0; r < r1; r++) {
    const size_t base = r * cols;
    const float* __restrict xr = x + base;
    const float* __restrict vr = mode == Sums::None ? nullptr : v + base;
    const float* __restrict ur = mode == Sums::UV ? u + base : nullptr;
    const auto outside = makeOutside(xr);
    float lanes[kLanes] = {};
    int32_t counts[kLanes] = {}, rowNans[kLanes] = {};
    size_t j = 0;
    for (; j + kLanes <= cols; j += kLanes)
      for (int l = 0; l < kLanes; l++) {
        const float xv = xr[j + l];
        const int32_t o = outside(j + l, xv), isNan = xv != xv;
        counts[l] += o;
        f[j + l] |= o;
        na[j + l] |= isNan;
        rowNans[l] |= isNan;
        if (mode != Sums::None) {
          const float w = mode == Sums::UV ? ur[j + l] * vr[j + l] : vr[j + l];
          lanes[l] += o ? w * w : 0.0f;
        }
      }
    float tail = 0.0f;
    int32_t rowCount = 0, rowNan = 0;
    for (; j < cols; j++) {
      const float xv = xr[j];
      const int32_t o = outside(j, xv), isNan = xv != xv;
      rowCount += o;
      f[j] |= o;
      na[j] |= isNan;
      rowNan |= isNan;
      if (mode != Sums::None) {
        const float w = mode == Sums::UV ? ur[j] * vr[j] : vr[j];
        tail += o ? w * w : 0.0f;
      }
    }
    for (int l = 0; l < kLanes; l++) {
      rowCount += counts[l];
      rowNan |= rowNans[l];
    }
    const float s = mode == Sums::None ? 0.0f : sumLanes(lanes) + tail;
    if (mode != Sums::None) out[r] = rowNan ? std::numeric_limits<float>::quiet_NaN() : s;
    count += static_cast<uint64_t>(rowCount);
  }
  return count;
}

/**
 * The shared driver of intervalStats and maskedRowSumSquares: rows split in one chunk per thread,
 * each with its own column flags, merged at the end into inside[0] and everOutside[cols].
 */
template <Sums mode>
void statsPass(size_t rows, size_t cols, const float* u, const float* v, const float* x, const IntervalSet& set, float* out, float* inside, float* everOutside) {
  const Bounds b = boundsOf(set);
  const int threads = threadCount();
  const size_t chunks = std::min<size_t>(static_cast<size_t>(threads), std::max<size_t>(1, rows / kGrainRows));
  std::vector<uint64_t> outsideCounts(chunks, 0);
  std::vector<std::vector<int32_t>> flags(chunks, std::vector<int32_t>(cols, 0)), nans(chunks, std::vector<int32_t>(cols, 0));
  parallelFor(chunks, 1, [&](size_t c0, size_t c1) {
    std::vector<float> mask(b.lo.size() == 1 ? 0 : cols);
    for (size_t c = c0; c < c1; c++) {
      const size_t r0 = rows * c / chunks, r1 = rows * (c + 1) / chunks;
      int32_t* f = flags[c].data();
      int32_t* na = nans[c].data();
      if (b.lo.size() == 1) {
        const OutsideOne one{b.lo[0], b.hi[0]};
        outsideCounts[c] = statsRows<mode>(r0, r1, cols, u, v, x, [one](const float*) { return one; }, out, f, na);
      } else {
        float* m = mask.data();
        outsideCounts[c] = statsRows<mode>(r0, r1, cols, u, v, x, [&b, m, cols](const float* xr) {
          outsideRow(xr, cols, b, m);
          return OutsideMask{m};
        }, out, f, na);
      }
    }
  });
  uint64_t outside = 0;
  bool anyNan = false;
  for (size_t c = 0; c < chunks; c++) outside += outsideCounts[c];
  for (size_t j = 0; j < cols; j++) {
    int32_t any = 0, nan = 0;
    for (size_t c = 0; c < chunks; c++) {
      any |= flags[c][j];
      nan |= nans[c][j];
    }
    anyNan |= nan != 0;
    everOutside[j] = nan ? std::numeric_limits<float>::quiet_NaN() : (any ? 1.0f : 0.0f);
  }
  inside[0] = anyNan ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(rows * cols - outside);
}

}  // namespace

/**
 * For x [rows, cols]: inside[0] = the number of entries inside some interval (NaN if any entry is
 * NaN), everOutside[j] = 1 if some row has column j outside every interval, else 0 (NaN if the
 * column holds a NaN), as the plain-op indicator gives.
 */
void intervalStats(size_t rows, size_t cols, const float* x, const IntervalSet& set, float* inside, float* everOutside) {
  statsPass<Sums::None>(rows, cols, nullptr, nullptr, x, set, nullptr, inside, everOutside);
}

/** out[r] = sum_j t[r, j]^2: kLanes float lanes per row summed by halving, plus the tail. */
void rowSumSquares(size_t rows, size_t cols, const float* t, float* out) {
  parallelFor(rows, std::max<size_t>(1, 16384 / std::max<size_t>(cols, 1)), [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
      const float* __restrict row = t + r * cols;
      float lanes[kLanes] = {};
      size_t j = 0;
      for (; j + kLanes <= cols; j += kLanes)
        for (int l = 0; l < kLanes; l++) lanes[l] += row[j + l] * row[j + l];
      float tail = 0.0f;
      for (; j < cols; j++) tail += row[j] * row[j];
      out[r] = sumLanes(lanes) + tail;
    }
  });
}

/**
 * out[r] = sum_j (u[r, j] v[r, j])^2 over the j with x[r, j] outside every interval (NaN where x is
 * NaN), u = 1 when it is null; and, from the same pass over x, inside / everOutside as intervalStats
 * gives them, so a metric that needs both reads x once.
 */
void maskedRowSumSquares(size_t rows, size_t cols, const float* u, const float* v, const float* x, const IntervalSet& set, float* out, float* inside,
                         float* everOutside) {
  if (u == nullptr)
    statsPass<Sums::V>(rows, cols, nullptr, v, x, set, out, inside, everOutside);
  else
    statsPass<Sums::UV>(rows, cols, u, v, x, set, out, inside, everOutside);
}

}  // namespace fsn
