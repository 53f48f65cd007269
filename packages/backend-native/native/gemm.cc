// Matrix products on the BLAS library or the built-in GEMM (blas.h; one thread each: the splits
// across threads are made here).
#include <algorithm>
#include <cmath>
#include <vector>

#include "blas.h"
#include "kernels.h"
#include "pool.h"

namespace fsn {
namespace {

/** One row of the epilogue: + bias, then the activation, on cols values (b: the bias row, a: alpha's; col strides 0 or 1). */
void finishRow(float* row, size_t cols, const float* b, size_t bCol, Activation act, const float* a, size_t aCol, double leaky) {
  if (b != nullptr) {
    if (bCol == 1) {
      for (size_t j = 0; j < cols; j++) row[j] += b[j];
    } else {
      const float s = b[0];
      for (size_t j = 0; j < cols; j++) row[j] += s;
    }
  }
  // As tfjs-backend-cpu: NaN stays NaN; elu, leakyrelu and sigmoid in double, then rounded once.
  switch (act) {
    case Activation::Linear: return;
    case Activation::Relu:
      for (size_t j = 0; j < cols; j++) row[j] = row[j] < 0.0f ? 0.0f : row[j];
      return;
    case Activation::Relu6:
      for (size_t j = 0; j < cols; j++) {
        const float v = row[j];
        row[j] = v < 0.0f ? 0.0f : v > 6.0f ? 6.0f : v;
      }
      return;
    case Activation::Elu:
      for (size_t j = 0; j < cols; j++) {
        const float v = row[j];
        if (!(v >= 0.0f)) row[j] = static_cast<float>(std::exp(static_cast<double>(v)) - 1.0);
      }
      return;
    case Activation::Prelu:
      for (size_t j = 0; j < cols; j++) {
        const float v = row[j];
        row[j] = v < 0.0f ? a[j * aCol] * v : v;
      }
      return;
    case Activation::LeakyRelu:
      for (size_t j = 0; j < cols; j++) {
        const float v = row[j];
        if (v < 0.0f) row[j] = static_cast<float>(leaky * static_cast<double>(v));
      }
      return;
    case Activation::Sigmoid:
      for (size_t j = 0; j < cols; j++) row[j] = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(row[j]))));
      return;
  }
}

/** c = alpha op(a) op(b) for product i of the batch, rows [r0, r1) or columns [c0, c1) of c, then the epilogue. */
void block(bool ta, bool tb, size_t m, size_t n, size_t k, float alpha, const float* a, const float* b, float* c, size_t i, const Epilogue& e, size_t r0,
           size_t r1, size_t c0, size_t c1) {
  const size_t lda = ta ? m : k;
  const size_t ldb = tb ? k : n;
  const float* ab = ta ? a + r0 : a + r0 * lda;
  const float* bb = tb ? b + c0 * ldb : b + c0;
  float* cb = c + r0 * n + c0;
  const size_t rows = r1 - r0, cols = c1 - c0;
  if (rows == 0 || cols == 0) return;
  if (k == 0) {
    for (size_t r = 0; r < rows; r++) std::fill(cb + r * n, cb + r * n + cols, 0.0f);
  } else {
    sgemm(ta, tb, static_cast<int>(rows), static_cast<int>(cols), static_cast<int>(k), alpha, ab, static_cast<int>(lda), bb, static_cast<int>(ldb), 0.0f, cb,
          static_cast<int>(n));
  }
  if (e.bias.data == nullptr && e.activation == Activation::Linear) return;
  const bool prelu = e.activation == Activation::Prelu;
  for (size_t r = 0; r < rows; r++) {
    const size_t row = r0 + r;
    const float* bias = e.bias.data == nullptr ? nullptr : e.bias.data + i * e.bias.batch + row * e.bias.row + c0 * e.bias.col;
    const float* alphaRow = prelu ? e.alpha.data + i * e.alpha.batch + row * e.alpha.row + c0 * e.alpha.col : nullptr;
    finishRow(cb + r * n, cols, bias, e.bias.col, e.activation, alphaRow, e.alpha.col, e.leakyAlpha);
  }
}

constexpr size_t kParallelWork = 1u << 16;  // multiply-adds below which a product runs on one thread

}  // namespace

/**
 * c[i] = alpha op(a[i]) op(b[i]), then the epilogue (bias, activation), for i < batch, row-major, op =
 * transpose when asked; a stride of 0 broadcasts one operand over the batch. Large single products are
 * split by rows (or columns, when c is wider than tall) across the threads; batches of small products
 * are split by batch entry.
 */
void gemm(bool ta, bool tb, size_t batch, size_t m, size_t n, size_t k, float alpha, const float* a, size_t strideA, const float* b, size_t strideB,
          float* c, const Epilogue& e) {
  const size_t work = m * n * std::max<size_t>(k, 1);
  if (batch > 1 && work < kParallelWork * 4) {
    parallelFor(batch, std::max<size_t>(1, kParallelWork / std::max<size_t>(work, 1)), [&](size_t i0, size_t i1) {
      for (size_t i = i0; i < i1; i++) block(ta, tb, m, n, k, alpha, a + i * strideA, b + i * strideB, c + i * m * n, i, e, 0, m, 0, n);
    });
    return;
  }
  for (size_t i = 0; i < batch; i++) {
    const float* ai = a + i * strideA;
    const float* bi = b + i * strideB;
    float* ci = c + i * m * n;
    if (work < kParallelWork) {
      block(ta, tb, m, n, k, alpha, ai, bi, ci, i, e, 0, m, 0, n);
    } else if (m >= n) {
      parallelFor(m, 16, [&](size_t r0, size_t r1) { block(ta, tb, m, n, k, alpha, ai, bi, ci, i, e, r0, r1, 0, n); });
    } else {
      // Column blocks of a multiple of 16, so each thread's slice stays vector-aligned.
      const size_t units = (n + 15) / 16;
      parallelFor(units, 1, [&](size_t u0, size_t u1) { block(ta, tb, m, n, k, alpha, ai, bi, ci, i, e, 0, m, u0 * 16, std::min(n, u1 * 16)); });
    }
  }
}

/** The product with a bias of n values (one per column; may be null) and relu or none. */
void gemm(bool ta, bool tb, size_t batch, size_t m, size_t n, size_t k, float alpha, const float* a, size_t strideA, const float* b, size_t strideB,
          float* c, const float* bias, bool relu) {
  Epilogue e;
  e.bias = Broadcast{bias, 0, 0, 1};
  e.activation = relu ? Activation::Relu : Activation::Linear;
  gemm(ta, tb, batch, m, n, k, alpha, a, strideA, b, strideB, c, e);
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
