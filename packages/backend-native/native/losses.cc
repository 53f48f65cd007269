// Softmax cross-entropy with label smoothing, and a global sum of squares.
#include <algorithm>
#include <cmath>
#include <vector>

#include "fast_exp.h"
#include "kernels.h"
#include "pool.h"

namespace fsn {

/**
 * Mean over rows of -sum_j t_j log softmax(logits)_j, with t = (1 - s) onehot(target) + s / C
 * (a target outside [0, C) has no one-hot entry, as tf.oneHot). probs [rows, C] receives the
 * softmax (saved for the backward); loss[0] the mean.
 */
void softmaxCrossEntropy(size_t rows, size_t classes, float smoothing, const float* logits, const int32_t* targets, float* probs, float* loss) {
  const int threads = threadCount();
  std::vector<double> partial(static_cast<size_t>(threads) + 1, 0.0);
  const size_t chunks = std::min<size_t>(static_cast<size_t>(threads), rows * classes < 32768 ? 1 : rows);
  const float onHot = 1.0f - smoothing, uniform = smoothing / static_cast<float>(classes);
  parallelFor(chunks, 1, [&](size_t c0, size_t c1) {
    for (size_t c = c0; c < c1; c++) {
      double acc = 0;
      for (size_t r = rows * c / chunks; r < rows * (c + 1) / chunks; r++) {
        const float* l = logits + r * classes;
        float* p = probs + r * classes;
        float max = l[0];
        for (size_t j = 1; j < classes; j++) max = l[j] > max ? l[j] : max;
        float sum = 0;
        for (size_t j = 0; j < classes; j++) {
          p[j] = fastExp(l[j] - max);
          sum += p[j];
        }
        const float lse = max + std::log(sum);
        const float inv = 1.0f / sum;
        double sumLogp = 0;
        for (size_t j = 0; j < classes; j++) {
          p[j] *= inv;
          sumLogp += static_cast<double>(l[j] - lse);
        }
        const int32_t y = targets[r];
        const double hit = (y >= 0 && static_cast<size_t>(y) < classes) ? static_cast<double>(l[y] - lse) : 0.0;
        acc -= static_cast<double>(onHot) * hit + static_cast<double>(uniform) * sumLogp;
      }
      partial[c] = acc;
    }
  });
  double total = 0;
  for (size_t c = 0; c < chunks; c++) total += partial[c];
  loss[0] = static_cast<float>(total / static_cast<double>(rows));
}

/** dlogits = dy / rows * (p * sum_j t_j - t), the gradient of softmaxCrossEntropy. */
void softmaxCrossEntropyGrad(size_t rows, size_t classes, float smoothing, float dy, const float* probs, const int32_t* targets, float* dlogits) {
  const float onHot = 1.0f - smoothing, uniform = smoothing / static_cast<float>(classes);
  const float g = dy / static_cast<float>(rows);
  parallelFor(rows, std::max<size_t>(1, 16384 / std::max<size_t>(classes, 1)), [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
      const float* p = probs + r * classes;
      float* out = dlogits + r * classes;
      const int32_t y = targets[r];
      const bool valid = y >= 0 && static_cast<size_t>(y) < classes;
      const float mass = (valid ? onHot : 0.0f) + smoothing;
      for (size_t j = 0; j < classes; j++) out[j] = g * (p[j] * mass - uniform);
      if (valid) out[y] -= g * onHot;
    }
  });
}

/** sum_i x_i^2 in double (chunks across threads). */
double sumOfSquares(const float* x, size_t n) {
  const int threads = threadCount();
  std::vector<double> partial(static_cast<size_t>(threads), 0.0);
  const size_t chunks = std::min<size_t>(static_cast<size_t>(threads), n < 65536 ? 1 : static_cast<size_t>(threads));
  parallelFor(chunks, 1, [&](size_t c0, size_t c1) {
    for (size_t c = c0; c < c1; c++) {
      double acc = 0;
      for (size_t i = n * c / chunks; i < n * (c + 1) / chunks; i++) acc += static_cast<double>(x[i]) * x[i];
      partial[c] = acc;
    }
  });
  double total = 0;
  for (size_t c = 0; c < chunks; c++) total += partial[c];
  return total;
}

}  // namespace fsn
