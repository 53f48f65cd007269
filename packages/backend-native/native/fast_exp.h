// exp for float32 in a form the compiler vectorises (no libm call, no branches): range reduction
// x = n ln2 + r, |r| <= ln2 / 2, a degree-6 polynomial for exp(r) (Cephes coefficients), and 2^n
// applied as two factors 2^(n/2) and 2^(n - n/2) so that results down to the subnormal range and up
// to FLT_MAX come out right. Within 2 ulp of the correctly rounded result for normal results; 0 below
// -104 (where exp(x) rounds to 0), +inf above ln(FLT_MAX) = 88.7228.
#pragma once
#include <cstdint>
#include <cstring>

namespace fsn {

inline float pow2i(int32_t e) {
  const int32_t bits = (e + 127) << 23;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

inline float fastExp(float x) {
  const float clamped = x > 88.7228f ? 88.7228f : (x < -104.0f ? -104.0f : x);
  // Round to nearest with the 1.5 * 2^23 trick (exact in IEEE float arithmetic, no fast-math).
  const float n = (clamped * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = (clamped - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t e = static_cast<int32_t>(n);
  const int32_t half = e >> 1;
  const float result = (p * pow2i(half)) * pow2i(e - half);
  const float low = x < -104.0f ? 0.0f : result;
  return x > 88.7228f ? __builtin_inff() : low;
}

}  // namespace fsn
