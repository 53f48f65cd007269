// The AdamW update of one parameter, in the same float32 operation order as the trainer's tfjs ops
// (packages/core/src/train/adamw.ts), so both give the same bits.
#include <cmath>

#include "kernels.h"
#include "pool.h"

namespace fsn {

/**
 * g' = g * gradScale; m1 = m b1 + g' (1 - b1); v1 = v b2 + g'^2 (1 - b2);
 * p1 = p - rate ((m1 / bc1) / (sqrt(v1 / bc2) + eps) + wd p). With keep false (a gated-off step),
 * p1, m1, v1 are copies of p, m, v.
 */
void adamw(const AdamWParams& o, size_t n, const float* param, const float* grad, const float* m, const float* v, float* param1, float* m1, float* v1) {
  const float oneMinusB1 = o.oneMinusBeta1, oneMinusB2 = o.oneMinusBeta2;
  parallelFor(n, 16384, [&](size_t i0, size_t i1) {
    if (!o.keep) {
      for (size_t i = i0; i < i1; i++) {
        param1[i] = param[i];
        m1[i] = m[i];
        v1[i] = v[i];
      }
      return;
    }
    for (size_t i = i0; i < i1; i++) {
      const float g = grad[i] * o.gradScale;
      const float mi = m[i] * o.beta1 + g * oneMinusB1;
      const float vi = v[i] * o.beta2 + (g * g) * oneMinusB2;
      const float direction = (mi / o.bc1) / (std::sqrt(vi / o.bc2) + o.epsilon);
      const float step = o.weightDecay == 0.0f ? direction : direction + param[i] * o.weightDecay;
      param1[i] = param[i] - step * o.rate;
      m1[i] = mi;
      v1[i] = vi;
    }
  });
}

}  // namespace fsn
