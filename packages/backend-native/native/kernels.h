// The numerical kernels of the addon, on raw float32 pointers (row-major). addon.cc binds them to
// JavaScript; each is documented where it is defined.
#pragma once
#include <cstddef>
#include <cstdint>

namespace fsn {

/** The activations of tfjs's fused matMul, as tfjs-backend-cpu computes them (codes shared with src/kernels/batch-mat-mul.ts). */
enum class Activation { Linear = 0, Relu = 1, Relu6 = 2, Elu = 3, Prelu = 4, LeakyRelu = 5, Sigmoid = 6 };
/** A tensor broadcast over a product's [batch, m, n]: element (i, r, c) is data[i * batch + r * row + c * col] (0 strides broadcast). */
struct Broadcast {
  const float* data = nullptr;
  size_t batch = 0, row = 0, col = 0;
};
/** What follows the product on each element: + bias (when given), then the activation (prelu's alpha, leakyrelu's alpha). */
struct Epilogue {
  Broadcast bias;
  Activation activation = Activation::Linear;
  Broadcast alpha;
  double leakyAlpha = 0;
};
void gemm(bool transA, bool transB, size_t batch, size_t m, size_t n, size_t k, float alpha, const float* a, size_t strideA, const float* b,
          size_t strideB, float* c, const Epilogue& epilogue);
void gemm(bool transA, bool transB, size_t batch, size_t m, size_t n, size_t k, float alpha, const float* a, size_t strideA, const float* b,
          size_t strideB, float* c, const float* bias, bool relu);
void denseGrad(bool transposedW, size_t rows, size_t in, size_t out, const float* x, const float* w, const float* dy, float* dx, float* dw, float* db);
void columnSums(size_t rows, size_t cols, const float* x, float* out);
void layerNorm(size_t rows, size_t d, float eps, const float* x, const float* scale, const float* shift, float* y, float* xhat, float* rstd);
void layerNormGrad(size_t rows, size_t d, const float* dy, const float* xhat, const float* rstd, const float* scale, float* dx, float* dscale, float* dshift);
void attention(size_t batch, size_t tokens, size_t heads, size_t d, bool causal, const float* qkv, float* out, float* probs);
void attentionGrad(size_t batch, size_t tokens, size_t heads, size_t d, const float* dy, const float* qkv, const float* probs, float* dqkv);
void softmaxCrossEntropy(size_t rows, size_t classes, float smoothing, const float* logits, const int32_t* targets, float* probs, float* loss);
void softmaxCrossEntropyGrad(size_t rows, size_t classes, float smoothing, float dy, const float* probs, const int32_t* targets, float* dlogits);
double sumOfSquares(const float* x, size_t n);
struct AdamWParams {
  // Every constant as the float32 the tfjs ops would use (1 - beta computed in double, then rounded).
  float rate, beta1, oneMinusBeta1, beta2, oneMinusBeta2, epsilon, bc1, bc2, weightDecay, gradScale;
  bool keep;  // false: the step is gated off, everything keeps its old value
};
void adamw(const AdamWParams& p, size_t n, const float* param, const float* grad, const float* m, const float* v, float* param1, float* m1, float* v1);

}  // namespace fsn
