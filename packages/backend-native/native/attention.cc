// Multi-head scaled dot-product attention on the fused projection qkv [B*T, 3d] (queries, keys and
// values side by side; head h: columns h*dh .. h*dh+dh-1 of each), forward and backward, one
// (batch, head) pair per task, with strided products (blas.h; no split or transpose of the activations).
#include <algorithm>
#include <cmath>
#include <vector>

#include "blas.h"
#include "fast_exp.h"
#include "kernels.h"
#include "pool.h"

namespace fsn {
namespace {

/** Softmax of each row of s [rows, cols] in place; with causal, row i keeps columns <= i only (the rest 0). */
void softmaxRows(float* s, size_t rows, size_t cols, bool causal) {
  for (size_t i = 0; i < rows; i++) {
    float* row = s + i * cols;
    const size_t live = causal ? std::min(cols, i + 1) : cols;
    float max = row[0];
    for (size_t j = 1; j < live; j++) max = row[j] > max ? row[j] : max;
    float sum = 0;
    for (size_t j = 0; j < live; j++) {
      const float e = fastExp(row[j] - max);
      row[j] = e;
      sum += e;
    }
    const float inv = 1.0f / sum;
    for (size_t j = 0; j < live; j++) row[j] *= inv;
    for (size_t j = live; j < cols; j++) row[j] = 0.0f;
  }
}

}  // namespace

/**
 * out [B*T, d] = softmax(q k^T / sqrt(dh) (+ causal mask)) v per head; probs [B, H, T, T] receives
 * the attention weights (saved for the backward).
 */
void attention(size_t batch, size_t tokens, size_t heads, size_t d, bool causal, const float* qkv, float* out, float* probs) {
  const size_t dh = d / heads, t = tokens;
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  const int T = static_cast<int>(t), DH = static_cast<int>(dh), D = static_cast<int>(d), D3 = static_cast<int>(3 * d);
  parallelFor(batch * heads, 4, [&](size_t u0, size_t u1) {
    for (size_t u = u0; u < u1; u++) {
      const size_t b = u / heads, h = u % heads;
      const float* q = qkv + b * t * 3 * d + h * dh;
      float* p = probs + u * t * t;
      sgemm(false, true, T, T, DH, scale, q, D3, q + d, D3, 0.0f, p, T);
      softmaxRows(p, t, t, causal);
      sgemm(false, false, T, DH, T, 1.0f, p, T, q + 2 * d, D3, 0.0f, out + b * t * d + h * dh, D);
    }
  });
}

/**
 * Backward of attention from dy [B*T, d] into dqkv [B*T, 3d]: dv = P^T dy, dP = dy v^T,
 * dS = P (dP - rowsum(dP P)), dq = dS k / sqrt(dh), dk = dS^T q / sqrt(dh), per head.
 */
void attentionGrad(size_t batch, size_t tokens, size_t heads, size_t d, const float* dy, const float* qkv, const float* probs, float* dqkv) {
  const size_t dh = d / heads, t = tokens;
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  const int T = static_cast<int>(t), DH = static_cast<int>(dh), D = static_cast<int>(d), D3 = static_cast<int>(3 * d);
  parallelFor(batch * heads, 4, [&](size_t u0, size_t u1) {
    std::vector<float> ds(t * t);
    for (size_t u = u0; u < u1; u++) {
      const size_t b = u / heads, h = u % heads;
      const size_t base = b * t * 3 * d + h * dh;
      const float *q = qkv + base, *k = q + d, *v = q + 2 * d;
      float *dq = dqkv + base, *dk = dq + d, *dv = dq + 2 * d;
      const float* g = dy + b * t * d + h * dh;
      const float* p = probs + u * t * t;
      sgemm(true, false, T, DH, T, 1.0f, p, T, g, D, 0.0f, dv, D3);
      sgemm(false, true, T, T, DH, 1.0f, g, D, v, D3, 0.0f, ds.data(), T);
      for (size_t i = 0; i < t; i++) {
        float* row = ds.data() + i * t;
        const float* pr = p + i * t;
        float dot = 0;
        for (size_t j = 0; j < t; j++) dot += row[j] * pr[j];
        for (size_t j = 0; j < t; j++) row[j] = pr[j] * (row[j] - dot);
      }
      sgemm(false, false, T, DH, T, scale, ds.data(), T, k, D3, 0.0f, dq, D3);
      sgemm(true, false, T, DH, T, scale, ds.data(), T, q, D3, 0.0f, dk, D3);
    }
  });
}

}  // namespace fsn
