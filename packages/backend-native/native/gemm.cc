// Matrix products on the BLAS library or the built-in GEMM (blas.h; one thread each: the splits
// across threads are made here).
#include <algorithm>
#include <vector>

#include "blas.h"
#include "kernels.h"
#include "pool.h"

namespace fsn {
namespace {

/** c = alpha op(a) op(b) for one product, rows [r0, r1) or columns [c0, c1) of c, then bias and relu. */
void block(bool ta, bool tb, size_t m, size_t n, size_t k, float alpha, const float* a, const float* b, float* c, const float* bias, bool relu, size_t r0,
           size_t r1, size_t c0, size_t c1) {
  const size_t lda = ta ? m : k;
  const size_t ldb = tb ? k : n;
  const float* ab = ta ? a + r0 : a + r0 * lda;
  const float* bb = tb ? b + c0 * ldb : b + c0;
  float* cb = c + r0 * n + c0;
  const size_t rows = r1 - r0, cols = c1 - c0;
  if (rows == 0 || cols == 0) return;
  if (k == 0) {
    for (size_t i = 0; i < rows; i++) std::fill(cb + i * n, cb + i * n + cols, 0.0f);
  } else {
    sgemm(ta, tb, static_cast<int>(rows), static_cast<int>(cols), static_cast<int>(k), alpha, ab, static_cast<int>(lda), bb, static_cast<int>(ldb), 0.0f, cb,
          static_cast<int>(n));
  }
  if (bias == nullptr && !relu) return;
  for (size_t i = 0; i < rows; i++) {
    float* row = cb + i * n;
    if (bias != nullptr)
      for (size_t j = 0; j < cols; j++) row[j] += bias[c0 + j];
    if (relu)
      for (size_t j = 0; j < cols; j++) row[j] = row[j] > 0.0f ? row[j] : 0.0f;
  }
}

constexpr size_t kParallelWork = 1u << 16;  // multiply-adds below which a product runs on one thread

}  // namespace

/**
 * c[i] = alpha op(a[i]) op(b[i]) (+ bias[n]) (relu) for i < batch, row-major, op = transpose when
 * asked; a stride of 0 broadcasts one operand over the batch. Large single products are split by
 * rows (or columns, when c is wider than tall) across the threads; batches of small products are
 * split by batch entry.
 */
void gemm(bool ta, bool tb, size_t batch, size_t m, size_t n, size_t k, float alpha, const float* a, size_t strideA, const float* b, size_t strideB,
          float* c, const float* bias, bool relu) {
  const size_t work = m * n * std::max<size_t>(k, 1);
  if (batch > 1 && work < kParallelWork * 4) {
    parallelFor(batch, std::max<size_t>(1, kParallelWork / std::max<size_t>(work, 1)), [&](size_t i0, size_t i1) {
      for (size_t i = i0; i < i1; i++) block(ta, tb, m, n, k, alpha, a + i * strideA, b + i * strideB, c + i * m * n, bias, relu, 0, m, 0, n);
    });
    return;
  }
  for (size_t i = 0; i < batch; i++) {
    const float* ai = a + i * strideA;
    const float* bi = b + i * strideB;
    float* ci = c + i * m * n;
    if (work < kParallelWork) {
      block(ta, tb, m, n, k, alpha, ai, bi, ci, bias, relu, 0, m, 0, n);
    } else if (m >= n) {
      parallelFor(m, 16, [&](size_t r0, size_t r1) { block(ta, tb, m, n, k, alpha, ai, bi, ci, bias, relu, r0, r1, 0, n); });
    } else {
      // Column blocks of a multiple of 16, so each thread's slice stays vector-aligned.
      const size_t units = (n + 15) / 16;
      parallelFor(units, 1, [&](size_t u0, size_t u1) { block(ta, tb, m, n, k, alpha, ai, bi, ci, bias, relu, 0, m, u0 * 16, std::min(n, u1 * 16)); });
    }
  }
}

/**
 * Column sums out[j] = sum_i x[i, j] of x [rows, cols], accumulated in double (columns split across
 * threads, so nothing is reduced twice).
 */
void columnSums(size_t rows, size_t cols, const float* x, float* out) {
  const size_t units = (cols + 7) / 8;
  parallelFor(units, rows * 8 >= 4096 ? 1 : units, [&](size_t u0, size_t u1) {
    const size_t j0 = u0 * 8, j1 = std::min(cols, u1 * 8);
    std::vector<double> acc(j1 - j0, 0.0);
    for (size_t i = 0; i < rows; i++) {
      const float* row = x + i * cols;
      for (size_t j = j0; j < j1; j++) acc[j - j0] += row[j];
    }
    for (size_t j = j0; j < j1; j++) out[j] = static_cast<float>(acc[j - j0]);
  });
}

/**
 * Gradients of y = x W (+ b), x [rows, in], W [in, out] (transposedW: y = x W^T with W [out, in]),
 * from dy [rows, out]: dx = dy W^T (or dy W), dW = x^T dy (or dy^T x), db = column sums of dy.
 * dx, dw or db may be null (not wanted).
 */
void denseGrad(bool transposedW, size_t rows, size_t in, size_t out, const float* x, const float* w, const float* dy, float* dx, float* dw, float* db) {
  if (!transposedW) {
    if (dx != nullptr) gemm(false, true, 1, rows, in, out, 1.0f, dy, 0, w, 0, dx, nullptr, false);
    if (dw != nullptr) gemm(true, false, 1, in, out, rows, 1.0f, x, 0, dy, 0, dw, nullptr, false);
  } else {
    if (dx != nullptr) gemm(false, false, 1, rows, in, out, 1.0f, dy, 0, w, 0, dx, nullptr, false);
    if (dw != nullptr) gemm(true, false, 1, out, in, rows, 1.0f, dy, 0, x, 0, dw, nullptr, false);
  }
  if (db != nullptr) columnSums(rows, out, dy, db);
}

}  // namespace fsn
