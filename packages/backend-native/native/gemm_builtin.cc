// The built-in GEMM: what the products run on where no BLAS library is found (blas.cc). A plain
// cache-blocked SGEMM in the usual layout (Goto's): op(b) is packed in blocks of KC rows x NC
// columns, in panels laid out in the order the micro-kernel reads them; op(a) is read in place where
// the depth fits one block (the models' products: packing it would cost as much as the product when
// n is small), else packed in blocks of MC rows x KC; an MR x NR micro-kernel keeps its tile of c in
// registers and writes it to c directly. Nothing in it is written for one processor: the
// micro-kernel is fixed-size loops that the compiler vectorises at -O3 for the -march it is given
// (NR = two vectors: 32 floats with AVX-512, 16 with AVX, 8 otherwise; MR as many rows as leave
// the accumulators in registers), with fused multiply-adds where the target has them.
// Single-threaded: gemm.cc and attention.cc split the work across the pool, as they do for a BLAS
// library.
//
// Measured on the models' shapes against OpenBLAS 0.3.21 on one core of an AVX-512 machine: 90-110 %
// of its speed on the dense layers' products, 60-70 % on the attention's small per-head ones (see
// bench/README.md for whole training steps); its results differ from OpenBLAS's by float rounding.
#include <algorithm>
#include <cstddef>
#include <new>
#include <string>

#include "blas.h"

namespace fsn {
namespace {

// NR, the micro-kernel's columns: two vectors. MR, its rows: 12 accumulators (and the operands)
// fit the 32 vector registers of AVX-512 and NEON; with AVX's 16, 8 do (6 rows would spill 3).
#if defined(__AVX512F__)
constexpr int kNRMax = 32;
#define FSN_GEMM_MR 6
#elif defined(__AVX__)
constexpr int kNRMax = 16;
#define FSN_GEMM_MR 4
#else
constexpr int kNRMax = 8;
#define FSN_GEMM_MR 6
#endif
// op(a) read in place with its rows ld apart (no transpose): vectorised well where vector
// broadcasts read memory (AVX); elsewhere (SSE2 builds) such blocks are packed.
#if defined(__AVX__)
constexpr bool kReadRowsInPlace = true;
#else
constexpr bool kReadRowsInPlace = false;
#endif
#define FSN_PRAGMA(x) _Pragma(#x)
#if defined(__clang__)
#define FSN_UNROLL(n) FSN_PRAGMA(clang loop unroll_count(n))
#else
#define FSN_UNROLL(n) FSN_PRAGMA(GCC unroll n)
#endif

constexpr int kMR = FSN_GEMM_MR;  // rows of the micro-kernel's tile
constexpr int kKC = 256;    // depth of a packed block (a panel of b: KC x NR floats, in L1)
constexpr int kMC = 72;     // rows of a packed block of a (MC x KC floats, in L2); a multiple of MR
constexpr int kNC = 2048;   // columns of a packed block of b (KC x NC floats)

#if defined(__FMA__) || defined(__ARM_FEATURE_FMA) || defined(__FP_FAST_FMAF)
constexpr bool kFma = true;
inline float madd(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
#else
constexpr bool kFma = false;
inline float madd(float a, float b, float c) { return a * b + c; }
#endif

/** Packs rows [i0, i0 + mc) and depth [p0, p0 + kc) of op(a) into panels of MR rows: panel[p * MR + r], zero-padded. */
void packA(bool ta, const float* a, int lda, int i0, int mc, int p0, int kc, float* out) {
  for (int ib = 0; ib < mc; ib += kMR) {
    const int rows = std::min(kMR, mc - ib);
    float* panel = out + static_cast<size_t>(ib) * kc;
    if (!ta) {
      for (int r = 0; r < rows; r++) {
        const float* src = a + static_cast<size_t>(i0 + ib + r) * lda + p0;
        for (int p = 0; p < kc; p++) panel[p * kMR + r] = src[p];
      }
    } else {
      for (int p = 0; p < kc; p++) {
        const float* src = a + static_cast<size_t>(p0 + p) * lda + i0 + ib;
        for (int r = 0; r < rows; r++) panel[p * kMR + r] = src[r];
      }
    }
    for (int r = rows; r < kMR; r++)
      for (int p = 0; p < kc; p++) panel[p * kMR + r] = 0.0f;
  }
}

/** Packs depth [p0, p0 + kc) and columns [j0, j0 + nc) of op(b) into panels of NR columns: panel[p * NR + j], zero-padded. */
template <int kNR>
void packB(bool tb, const float* b, int ldb, int p0, int kc, int j0, int nc, float* out) {
  for (int jb = 0; jb < nc; jb += kNR) {
    const int cols = std::min(kNR, nc - jb);
    float* panel = out + static_cast<size_t>(jb) * kc;
    if (!tb) {
      for (int p = 0; p < kc; p++) {
        const float* src = b + static_cast<size_t>(p0 + p) * ldb + j0 + jb;
        float* dst = panel + p * kNR;
        if (cols == kNR) {
          for (int j = 0; j < kNR; j++) dst[j] = src[j];
        } else {
          for (int j = 0; j < cols; j++) dst[j] = src[j];
          for (int j = cols; j < kNR; j++) dst[j] = 0.0f;
        }
      }
    } else {
      for (int j = 0; j < cols; j++) {
        const float* src = b + static_cast<size_t>(j0 + jb + j) * ldb + p0;
        for (int p = 0; p < kc; p++) panel[p * kNR + j] = src[p];
      }
      for (int j = cols; j < kNR; j++)
        for (int p = 0; p < kc; p++) panel[p * kNR + j] = 0.0f;
    }
  }
}

/**
 * c[rows][cols] (leading dimension ldc) = alpha A B + beta c for one MR x NR tile: B packed (kc x NR);
 * A (MR x kc) at a[r * ld + p] (kRowsApart) or a[p * ld + r] (a transposed operand, or a packed
 * panel: ld = MR). The accumulators stay in vector registers; a full tile is written to c directly.
 */
template <int kNR, bool kRowsApart>
inline void microKernel(int kc, const float* __restrict a, int ld, const float* __restrict bp, float alpha, float beta, float* __restrict c, int ldc, int rows,
                        int cols) {
  float acc[kMR][kNR];
  for (int i = 0; i < kMR; i++)
    for (int j = 0; j < kNR; j++) acc[i][j] = 0.0f;
  for (int p = 0; p < kc; p++) {
    const float* __restrict bv = bp + p * kNR;
    const float* __restrict av = kRowsApart ? a + p : a + static_cast<size_t>(p) * ld;
    FSN_UNROLL(FSN_GEMM_MR)
    for (int i = 0; i < kMR; i++) {
      const float ai = kRowsApart ? av[static_cast<size_t>(i) * ld] : av[i];
      for (int j = 0; j < kNR; j++) acc[i][j] = madd(ai, bv[j], acc[i][j]);
    }
  }
  const bool full = rows == kMR && cols == kNR;
  for (int i = 0; i < (full ? kMR : rows); i++) {
    float* out = c + static_cast<size_t>(i) * ldc;
    const int n = full ? kNR : cols;
    if (beta == 0.0f) {
      for (int j = 0; j < n; j++) out[j] = alpha * acc[i][j];
    } else if (beta == 1.0f) {
      for (int j = 0; j < n; j++) out[j] += alpha * acc[i][j];
    } else {
      for (int j = 0; j < n; j++) out[j] = alpha * acc[i][j] + beta * out[j];
    }
  }
}

/** Packing space of this thread (the pool's threads each run their own products). */
struct PackBuffers {
  float* a = nullptr;
  float* b = nullptr;
  PackBuffers() = default;
  PackBuffers(const PackBuffers&) = delete;
  PackBuffers& operator=(const PackBuffers&) = delete;
  ~PackBuffers() {
    ::operator delete(a, std::align_val_t(64));
    ::operator delete(b, std::align_val_t(64));
  }
  void ensure() {
    if (a != nullptr) return;
    a = static_cast<float*>(::operator new(sizeof(float) * kMC * kKC, std::align_val_t(64)));
    b = static_cast<float*>(::operator new(sizeof(float) * kKC * kNC, std::align_val_t(64)));
  }
};

thread_local PackBuffers buffers;

template <int kNR>
void blocked(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  buffers.ensure();
  // Where the depth fits one block, op(a) is read in place (but for the last, partial block of MR
  // rows, which is packed with zeros below it).
  const bool inPlace = k <= kKC && (ta || kReadRowsInPlace);
  for (int j0 = 0; j0 < n; j0 += kNC) {
    const int nc = std::min(kNC, n - j0);
    for (int p0 = 0; p0 < k; p0 += kKC) {
      const int kc = std::min(kKC, k - p0);
      const float scaleC = p0 == 0 ? beta : 1.0f;  // c's own contribution enters with the first depth block only
      packB<kNR>(tb, b, ldb, p0, kc, j0, nc, buffers.b);
      for (int i0 = 0; i0 < m; i0 += kMC) {
        const int mc = std::min(kMC, m - i0);
        const int inPlaceRows = inPlace ? mc / kMR * kMR : 0;
        if (inPlaceRows < mc) packA(ta, a, lda, i0 + inPlaceRows, mc - inPlaceRows, p0, kc, buffers.a);
        for (int jb = 0; jb < nc; jb += kNR) {
          const int cols = std::min(kNR, nc - jb);
          const float* bp = buffers.b + static_cast<size_t>(jb) * kc;
          for (int ib = 0; ib < mc; ib += kMR) {
            const int rows = std::min(kMR, mc - ib);
            float* ct = c + static_cast<size_t>(i0 + ib) * ldc + j0 + jb;
            if (ib >= inPlaceRows) {
              microKernel<kNR, false>(kc, buffers.a + static_cast<size_t>(ib - inPlaceRows) * kc, kMR, bp, alpha, scaleC, ct, ldc, rows, cols);
            } else if (ta) {
              microKernel<kNR, false>(kc, a + static_cast<size_t>(p0) * lda + i0 + ib, lda, bp, alpha, scaleC, ct, ldc, rows, cols);
            } else {
              microKernel<kNR, true>(kc, a + static_cast<size_t>(i0 + ib) * lda + p0, lda, bp, alpha, scaleC, ct, ldc, rows, cols);
            }
          }
        }
      }
    }
  }
}

}  // namespace

void builtinSgemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0f) {
    for (int i = 0; i < m; i++) {
      float* row = c + static_cast<size_t>(i) * ldc;
      if (beta == 0.0f) {
        std::fill(row, row + n, 0.0f);
      } else if (beta != 1.0f) {
        for (int j = 0; j < n; j++) row[j] *= beta;
      }
    }
    return;
  }
  // Narrow products (the attention's per-head ones) on a micro-kernel half as wide, so that half of
  // each tile is not padding.
  if (n <= kNRMax / 2) {
    blocked<kNRMax / 2>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  } else {
    blocked<kNRMax>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
}

std::string builtinGemmDescription() {
  return "cache-blocked SGEMM, " + std::to_string(kMR) + "x" + std::to_string(kNRMax) + " micro-kernel" + (kFma ? ", FMA" : ", no FMA");
}

#undef FSN_UNROLL
#undef FSN_PRAGMA
#undef FSN_GEMM_MR

}  // namespace fsn
