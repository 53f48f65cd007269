// Element-wise kernels and reductions on float32, split across the threads in contiguous chunks.
// The loops are written so the compiler vectorises them (-O3 -march); results follow tfjs's
// semantics (NaN in, NaN out; step(x) = x > 0 ? 1 : alpha).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "elementwise.h"
#include "fast_exp.h"
#include "pool.h"

namespace fsn {
namespace {

constexpr size_t kGrain = 32768;  // elements per thread below which a kernel runs on one thread

template <class F>
void forRange(size_t n, F f) {
  parallelFor(n, kGrain, [&](size_t i0, size_t i1) { f(i0, i1); });
}

template <class Op>
void binaryLoop(BinaryMode mode, size_t n, size_t inner, const float* a, const float* b, float* out, Op op) {
  switch (mode) {
    case BinaryMode::Same:
      forRange(n, [&](size_t i0, size_t i1) {
        for (size_t i = i0; i < i1; i++) out[i] = op(a[i], b[i]);
      });
      return;
    case BinaryMode::ScalarB: {
      const float s = b[0];
      forRange(n, [&](size_t i0, size_t i1) {
        for (size_t i = i0; i < i1; i++) out[i] = op(a[i], s);
      });
      return;
    }
    case BinaryMode::ScalarA: {
      const float s = a[0];
      forRange(n, [&](size_t i0, size_t i1) {
        for (size_t i = i0; i < i1; i++) out[i] = op(s, b[i]);
      });
      return;
    }
    case BinaryMode::ColB:
    case BinaryMode::ColA: {
      const size_t rows = n / inner;
      const bool colB = mode == BinaryMode::ColB;
      parallelFor(rows, std::max<size_t>(1, kGrain / std::max<size_t>(inner, 1)), [&](size_t r0, size_t r1) {
        for (size_t r = r0; r < r1; r++) {
          float* o = out + r * inner;
          if (colB) {
            const float* x = a + r * inner;
            const float s = b[r];
            for (size_t j = 0; j < inner; j++) o[j] = op(x[j], s);
          } else {
            const float* y = b + r * inner;
            const float s = a[r];
            for (size_t j = 0; j < inner; j++) o[j] = op(s, y[j]);
          }
        }
      });
      return;
    }
    case BinaryMode::RowB:
    case BinaryMode::RowA: {
      const size_t rows = n / inner;
      const bool rowB = mode == BinaryMode::RowB;
      parallelFor(rows, std::max<size_t>(1, kGrain / std::max<size_t>(inner, 1)), [&](size_t r0, size_t r1) {
        for (size_t r = r0; r < r1; r++) {
          float* o = out + r * inner;
          if (rowB) {
            const float* x = a + r * inner;
            for (size_t j = 0; j < inner; j++) o[j] = op(x[j], b[j]);
          } else {
            const float* y = b + r * inner;
            for (size_t j = 0; j < inner; j++) o[j] = op(a[j], y[j]);
          }
        }
      });
      return;
    }
  }
}

template <class Op>
void unaryLoop(size_t n, const float* x, float* y, Op op) {
  forRange(n, [&](size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; i++) y[i] = op(x[i]);
  });
}

}  // namespace

void binary(BinaryOp op, BinaryMode mode, size_t n, size_t inner, const float* a, const float* b, float* out) {
  switch (op) {
    case BinaryOp::Add: return binaryLoop(mode, n, inner, a, b, out, [](float x, float y) { return x + y; });
    case BinaryOp::Sub: return binaryLoop(mode, n, inner, a, b, out, [](float x, float y) { return x - y; });
    case BinaryOp::Mul: return binaryLoop(mode, n, inner, a, b, out, [](float x, float y) { return x * y; });
    case BinaryOp::Div: return binaryLoop(mode, n, inner, a, b, out, [](float x, float y) { return x / y; });
  }
}

void unary(UnaryOp op, size_t n, const float* x, float* y, float alpha) {
  switch (op) {
    case UnaryOp::Step:
      // A plain loop (not through a lambda) with both selects computed: it vectorises as blends.
      forRange(n, [&](size_t i0, size_t i1) {
        const float a = alpha;
        for (size_t i = i0; i < i1; i++) {
          const float v = x[i];
          const float r = v > 0.0f ? 1.0f : a;
          y[i] = v == v ? r : v;
        }
      });
      return;
    case UnaryOp::Abs: return unaryLoop(n, x, y, [](float v) { return std::fabs(v); });
    case UnaryOp::Relu: return unaryLoop(n, x, y, [](float v) { return v < 0.0f ? 0.0f : v; });
    case UnaryOp::Square: return unaryLoop(n, x, y, [](float v) { return v * v; });
    case UnaryOp::Neg: return unaryLoop(n, x, y, [](float v) { return -v; });
    case UnaryOp::Exp:
      forRange(n, [&](size_t i0, size_t i1) {
        for (size_t i = i0; i < i1; i++) {
          const float v = x[i];
          const float e = fastExp(v);
          y[i] = v == v ? e : v;
        }
      });
      return;
    case UnaryOp::Sqrt: return unaryLoop(n, x, y, [](float v) { return std::sqrt(v); });
  }
}

namespace {

/**
 * The sum of x[0, n) in double, as tfjs-backend-cpu sums (a double accumulator, rounded to float once
 * at the end). In double no partial sum of floats can overflow, so a sum near FLT_MAX ends as cpu's
 * does (+-Inf or a finite value, never a NaN from two overflowed partials of opposite signs). Eight
 * double lanes, so the loop vectorises.
 */
double sumOf(const float* x, size_t n) {
  double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int l = 0; l < 8; l++) lanes[l] += static_cast<double>(x[i + l]);
  }
  double total = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  for (; i < n; i++) total += static_cast<double>(x[i]);
  return total;
}

/** The largest of x[0, n) (n > 0), NaN when any is NaN (as tfjs-backend-cpu). */
float maxOf(const float* x, size_t n) {
  float m = -std::numeric_limits<float>::infinity();
  bool nan = false;
  for (size_t i = 0; i < n; i++) {
    nan |= x[i] != x[i];
    m = x[i] > m ? x[i] : m;
  }
  return nan ? std::numeric_limits<float>::quiet_NaN() : m;
}

}  // namespace

/**
 * Reductions of x viewed as [outer, inner]: Inner reduces each row (out [outer]), Outer each column
 * (out [inner]), All everything (out [1]). Sums in double (see sumOf), rounded once; Mean divides the
 * double sum by the count, then rounds once (tfjs-backend-cpu divides each element first, which can
 * round a mean of values at FLT_MAX up to Inf, or lose subnormal terms); Max propagates NaN.
 */
void reduce(ReduceOp op, ReduceMode mode, size_t outer, size_t inner, const float* x, float* out) {
  const bool isMax = op == ReduceOp::Max;
  const bool mean = op == ReduceOp::Mean;
  const double count = static_cast<double>(mode == ReduceMode::Inner ? inner : mode == ReduceMode::Outer ? outer : outer * inner);
  const auto finish = [&](double total) { return static_cast<float>(mean ? total / count : total); };
  if (mode == ReduceMode::Inner) {
    parallelFor(outer, std::max<size_t>(1, kGrain / std::max<size_t>(inner, 1)), [&](size_t r0, size_t r1) {
      for (size_t r = r0; r < r1; r++) {
        const float* row = x + r * inner;
        out[r] = isMax ? maxOf(row, inner) : finish(sumOf(row, inner));
      }
    });
    return;
  }
  if (mode == ReduceMode::Outer) {
    const size_t units = (inner + 15) / 16;
    parallelFor(units, outer * 16 >= kGrain ? 1 : units, [&](size_t u0, size_t u1) {
      const size_t j0 = u0 * 16, j1 = std::min(inner, u1 * 16);
      std::vector<double> acc(j1 - j0, isMax ? -std::numeric_limits<double>::infinity() : 0.0);
      std::vector<char> nan(j1 - j0, 0);
      for (size_t r = 0; r < outer; r++) {
        const float* row = x + r * inner;
        if (isMax) {
          for (size_t j = j0; j < j1; j++) {
            nan[j - j0] |= row[j] != row[j];
            acc[j - j0] = row[j] > acc[j - j0] ? row[j] : acc[j - j0];
          }
        } else {
          for (size_t j = j0; j < j1; j++) acc[j - j0] += static_cast<double>(row[j]);
        }
      }
      for (size_t j = j0; j < j1; j++) out[j] = nan[j - j0] ? std::numeric_limits<float>::quiet_NaN() : isMax ? static_cast<float>(acc[j - j0]) : finish(acc[j - j0]);
    });
    return;
  }
  const size_t n = outer * inner;
  const int threads = threadCount();
  const size_t chunks = n < 2 * kGrain ? 1 : static_cast<size_t>(threads);
  std::vector<double> partial(chunks, 0.0);
  parallelFor(chunks, 1, [&](size_t c0, size_t c1) {
    for (size_t c = c0; c < c1; c++) {
      const size_t i0 = n * c / chunks, i1 = n * (c + 1) / chunks;
      partial[c] = isMax ? static_cast<double>(i1 > i0 ? maxOf(x + i0, i1 - i0) : -std::numeric_limits<float>::infinity()) : sumOf(x + i0, i1 - i0);
    }
  });
  if (isMax) {
    float m = -std::numeric_limits<float>::infinity();
    bool nan = false;
    for (size_t c = 0; c < chunks; c++) {
      const float v = static_cast<float>(partial[c]);
      nan |= v != v;
      m = v > m ? v : m;
    }
    out[0] = nan ? std::numeric_limits<float>::quiet_NaN() : m;
    return;
  }
  double total = 0;
  for (size_t c = 0; c < chunks; c++) total += partial[c];
  out[0] = finish(total);
}

}  // namespace fsn
