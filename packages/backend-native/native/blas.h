// The matrix product every native kernel uses, and where it comes from. The addon needs no BLAS at
// build time: on Linux it looks for a BLAS library when it loads (dlopen: OpenBLAS first, see
// blas.cc for the order; FLATSPARSE_BLAS chooses one), on macOS it links Accelerate; where none is
// found the products run on the built-in GEMM (gemm_builtin.cc), so the addon always works.
#pragma once
#include <string>

namespace fsn {

/**
 * c = alpha op(a) op(b) + beta c for row-major a (m x k after op), b (k x n after op) and c (m x n),
 * leading dimensions lda, ldb, ldc, op = transpose where ta / tb (CBLAS semantics: with beta 0, c is
 * not read). Runs on the BLAS library when one is loaded (and not switched off), else the built-in GEMM.
 */
void sgemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc);

/** The same on the built-in GEMM, whatever is loaded (gemm_builtin.cc). */
void builtinSgemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc);

/** How the built-in GEMM was compiled (its micro-kernel's shape, FMA or not). */
std::string builtinGemmDescription();

/** The same on the loaded BLAS library; false (nothing computed) when none is loaded. */
bool librarySgemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc);

/**
 * Looks for a BLAS library (FLATSPARSE_BLAS, else the default order) and makes it the one sgemm
 * uses; the built-in GEMM where none loads. Runs once per process (when the addon loads); with
 * again, searches anew.
 */
void resolveBlas(bool again);

/**
 * Loads one library (a path or a soname) and makes it the one sgemm uses. With requireOptimized, a
 * library that is not OpenBLAS, BLIS or MKL is refused (the reference BLAS is many times slower than
 * the built-in GEMM). Returns "" on success, else why it was not used (the previous state is kept).
 */
std::string loadBlas(const std::string& candidate, bool requireOptimized);

/** Runs the products on the built-in GEMM (on) or on the loaded library (off; false if none is loaded). Returns whether the built-in GEMM is in use. */
bool useBuiltinGemm(bool on);

/** The active library's configuration string (OpenBLAS: openblas_get_config()), or "built-in GEMM". */
std::string activeGemmConfig();

/**
 * What the products run on, as JSON: {"resolved": "blas" | "builtin", "active": "blas" | "builtin",
 * "library": {"path", "name", "config"} | null, "requested": FLATSPARSE_BLAS | null, "candidates": [...],
 * "tried": [{"candidate", "error"}], "builtin": how the built-in GEMM was compiled}.
 */
std::string blasInfoJson();

}  // namespace fsn
