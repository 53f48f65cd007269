// LayerNorm over the last axis and its closed-form backward.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels.h"
#include "pool.h"

namespace fsn {

/**
 * y = xhat * scale (+ shift), xhat = (x - mean) * rstd, rstd = 1 / sqrt(var + eps) per row of
 * x [rows, d], with the population variance; also writes xhat and rstd [rows] for the backward.
 * shift may be null.
 */
void layerNorm(size_t rows, size_t d, float eps, const float* x, const float* scale, const float* shift, float* y, float* xhat, float* rstd) {
  parallelFor(rows, 64, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
      const float* xr = x + r * d;
      double sum = 0;
      for (size_t j = 0; j < d; j++) sum += xr[j];
      const float mean = static_cast<float>(sum / static_cast<double>(d));
      double sq = 0;
      for (size_t j = 0; j < d; j++) {
        const double c = static_cast<double>(xr[j] - mean);
        sq += c * c;
      }
      const float rs = static_cast<float>(1.0 / std::sqrt(sq / static_cast<double>(d) + static_cast<double>(eps)));
      rstd[r] = rs;
      float* hr = xhat + r * d;
      float* yr = y + r * d;
      for (size_t j = 0; j < d; j++) {
        const float h = (xr[j] - mean) * rs;
        hr[j] = h;
        yr[j] = shift != nullptr ? h * scale[j] + shift[j] : h * scale[j];
      }
    }
  });
}

/**
 * Backward of layerNorm: with g = dy * scale, dx = rstd (g - mean(g) - xhat mean(g xhat)) per row;
 * dscale = sum over rows of dy * xhat and dshift = sum over rows of dy (accumulated in double per
 * thread, then added). dshift may be null.
 */
void layerNormGrad(size_t rows, size_t d, const float* dy, const float* xhat, const float* rstd, const float* scale, float* dx, float* dscale, float* dshift) {
  const int threads = threadCount();
  std::vector<double> partial(static_cast<size_t>(threads) * 2 * d, 0.0);
  // Each chunk gets its own row of partial sums; chunks are numbered by their first row.
  const size_t chunks = std::min<size_t>(static_cast<size_t>(threads), rows < 128 ? 1 : rows);
  parallelFor(chunks, 1, [&](size_t c0, size_t c1) {
    for (size_t c = c0; c < c1; c++) {
      double* ps = partial.data() + c * 2 * d;
      double* pb = ps + d;
      const size_t r0 = rows * c / chunks, r1 = rows * (c + 1) / chunks;
      for (size_t r = r0; r < r1; r++) {
        const float* dyr = dy + r * d;
        const float* hr = xhat + r * d;
        double sg = 0, sgh = 0;
        for (size_t j = 0; j < d; j++) {
          const float g = dyr[j] * scale[j];
          sg += g;
          sgh += static_cast<double>(g) * hr[j];
          ps[j] += static_cast<double>(dyr[j]) * hr[j];
          pb[j] += dyr[j];
        }
        const float mg = static_cast<float>(sg / static_cast<double>(d));
        const float mgh = static_cast<float>(sgh / static_cast<double>(d));
        const float rs = rstd[r];
        float* dxr = dx + r * d;
        for (size_t j = 0; j < d; j++) dxr[j] = rs * (dyr[j] * scale[j] - mg - hr[j] * mgh);
      }
    }
  });
  for (size_t j = 0; j < d; j++) {
    double s = 0, b = 0;
    for (size_t c = 0; c < chunks; c++) {
      s += partial[c * 2 * d + j];
      b += partial[c * 2 * d + d + j];
    }
    dscale[j] = static_cast<float>(s);
    if (dshift != nullptr) dshift[j] = static_cast<float>(b);
  }
}

}  // namespace fsn
