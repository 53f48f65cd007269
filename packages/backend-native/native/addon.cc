// N-API bindings of the flatsparse native kernels. Every function takes the tfjs-backend-wasm heap
// (an ArrayBuffer) first and byte offsets into it: the kernels read and write tensors where the wasm
// backend keeps them, so nothing is copied. See src/addon.ts for the JavaScript side.
#include <node_api.h>

#include <cmath>
#include <string>
#include <vector>

#include "args.h"
#include "blas.h"
#include "elementwise.h"
#include "metrics.h"
#include "kernels.h"
#include "pool.h"

namespace fsn {
namespace {

using Body = napi_value (*)(napi_env, const Args&);

template <Body body>
napi_value guarded(napi_env env, napi_callback_info info) {
  try {
    Args args(env, info);
    return body(env, args);
  } catch (const std::exception& err) {
    napi_throw_error(env, "E_NATIVE_KERNEL", err.what());
    return nullptr;
  }
}

napi_value undefinedValue(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

size_t product(size_t a, size_t b) {
  if (a != 0 && b > SIZE_MAX / a) throw Error("size overflow");
  return a * b;
}

// gemm(heap, transA, transB, batch, m, n, k, alpha, a, strideA, b, strideB, c, bias | -1, relu)
napi_value Gemm(napi_env env, const Args& x) {
  const bool ta = x.flag(1), tb = x.flag(2);
  const size_t batch = x.size(3), m = x.size(4), n = x.size(5), k = x.size(6);
  const float alpha = static_cast<float>(x.number(7));
  const size_t strideA = x.size(9), strideB = x.size(11);
  const size_t spanA = product(batch > 0 ? batch - 1 : 0, strideA) + product(m, k);
  const size_t spanB = product(batch > 0 ? batch - 1 : 0, strideB) + product(k, n);
  gemm(ta, tb, batch, m, n, k, alpha, x.at<float>(8, spanA), strideA, x.at<float>(10, spanB), strideB, x.at<float>(12, product(batch, product(m, n))),
       x.atOrNull<float>(13, n), x.flag(14));
  return undefinedValue(env);
}

/** A broadcast operand of a [batch, m, n] product at argument i (strides at i + 1..3; col 0 or 1), bounds-checked; none when the offset is -1. */
Broadcast broadcastAt(const Args& x, size_t i, size_t batch, size_t m, size_t n) {
  Broadcast out;
  out.batch = x.size(i + 1);
  out.row = x.size(i + 2);
  out.col = x.size(i + 3);
  if (out.col > 1) throw Error("argument " + std::to_string(i + 3) + ": the column stride must be 0 or 1");
  if (x.integer(i) < 0) return out;
  const size_t span = batch == 0 || m == 0 || n == 0 ? 0 : product(batch - 1, out.batch) + product(m - 1, out.row) + product(n - 1, out.col) + 1;
  out.data = x.at<float>(i, span);
  return out;
}

// fusedGemm(heap, transA, transB, batch, m, n, k, a, strideA, b, strideB, c, bias | -1, biasBatch, biasRow, biasCol, activation,
//           alpha | -1, alphaBatch, alphaRow, alphaCol, leakyAlpha): c = op(a) op(b) + bias, then the activation
//           (0 linear, 1 relu, 2 relu6, 3 elu, 4 prelu (alpha), 5 leakyrelu (leakyAlpha), 6 sigmoid); bias and alpha broadcast by their strides
napi_value FusedGemm(napi_env env, const Args& x) {
  const bool ta = x.flag(1), tb = x.flag(2);
  const size_t batch = x.size(3), m = x.size(4), n = x.size(5), k = x.size(6);
  const size_t strideA = x.size(8), strideB = x.size(10);
  const size_t spanA = product(batch > 0 ? batch - 1 : 0, strideA) + product(m, k);
  const size_t spanB = product(batch > 0 ? batch - 1 : 0, strideB) + product(k, n);
  const int64_t activation = x.integer(16);
  if (activation < 0 || activation > 6) throw Error("unknown activation");
  Epilogue e;
  e.bias = broadcastAt(x, 12, batch, m, n);
  e.activation = static_cast<Activation>(activation);
  e.alpha = broadcastAt(x, 17, batch, m, n);
  e.leakyAlpha = x.number(21);
  if (e.activation == Activation::Prelu && e.alpha.data == nullptr) throw Error("prelu needs its alpha");
  gemm(ta, tb, batch, m, n, k, 1.0f, x.at<float>(7, spanA), strideA, x.at<float>(9, spanB), strideB, x.at<float>(11, product(batch, product(m, n))), e);
  return undefinedValue(env);
}

// denseGrad(heap, transposedW, rows, in, out, x, w, dy, dx | -1, dw | -1, db | -1)
napi_value DenseGrad(napi_env env, const Args& x) {
  const bool transposed = x.flag(1);
  const size_t rows = x.size(2), in = x.size(3), out = x.size(4);
  denseGrad(transposed, rows, in, out, x.at<float>(5, product(rows, in)), x.at<float>(6, product(in, out)), x.at<float>(7, product(rows, out)),
            x.atOrNull<float>(8, product(rows, in)), x.atOrNull<float>(9, product(in, out)), x.atOrNull<float>(10, out));
  return undefinedValue(env);
}

// columnSums(heap, rows, cols, x, out)
napi_value ColumnSums(napi_env env, const Args& x) {
  const size_t rows = x.size(1), cols = x.size(2);
  columnSums(rows, cols, x.at<float>(3, product(rows, cols)), x.at<float>(4, cols));
  return undefinedValue(env);
}

// layerNorm(heap, rows, d, eps, x, scale, shift | -1, y, xhat, rstd)
napi_value LayerNorm(napi_env env, const Args& x) {
  const size_t rows = x.size(1), d = x.size(2), size = product(rows, d);
  layerNorm(rows, d, static_cast<float>(x.number(3)), x.at<float>(4, size), x.at<float>(5, d), x.atOrNull<float>(6, d), x.at<float>(7, size),
            x.at<float>(8, size), x.at<float>(9, rows));
  return undefinedValue(env);
}

// layerNormGrad(heap, rows, d, dy, xhat, rstd, scale, dx, dscale, dshift | -1)
napi_value LayerNormGrad(napi_env env, const Args& x) {
  const size_t rows = x.size(1), d = x.size(2), size = product(rows, d);
  layerNormGrad(rows, d, x.at<float>(3, size), x.at<float>(4, size), x.at<float>(5, rows), x.at<float>(6, d), x.at<float>(7, size), x.at<float>(8, d),
                x.atOrNull<float>(9, d));
  return undefinedValue(env);
}

void checkHeads(size_t d, size_t heads) {
  if (heads == 0 || d % heads != 0) throw Error("heads must divide d");
}

// attention(heap, batch, tokens, heads, d, causal, qkv, out, probs)
napi_value Attention(napi_env env, const Args& x) {
  const size_t batch = x.size(1), tokens = x.size(2), heads = x.size(3), d = x.size(4);
  checkHeads(d, heads);
  const size_t size = product(product(batch, tokens), d), probs = product(product(batch, heads), product(tokens, tokens));
  attention(batch, tokens, heads, d, x.flag(5), x.at<float>(6, product(3, size)), x.at<float>(7, size), x.at<float>(8, probs));
  return undefinedValue(env);
}

// attentionGrad(heap, batch, tokens, heads, d, dy, qkv, probs, dqkv)
napi_value AttentionGrad(napi_env env, const Args& x) {
  const size_t batch = x.size(1), tokens = x.size(2), heads = x.size(3), d = x.size(4);
  checkHeads(d, heads);
  const size_t size = product(product(batch, tokens), d), probs = product(product(batch, heads), product(tokens, tokens));
  attentionGrad(batch, tokens, heads, d, x.at<float>(5, size), x.at<float>(6, product(3, size)), x.at<float>(7, probs), x.at<float>(8, product(3, size)));
  return undefinedValue(env);
}

// softmaxCrossEntropy(heap, rows, classes, smoothing, logits, targets (int32), probs, loss)
napi_value SoftmaxCrossEntropy(napi_env env, const Args& x) {
  const size_t rows = x.size(1), classes = x.size(2), size = product(rows, classes);
  if (classes == 0 || rows == 0) throw Error("rows and classes must be > 0");
  softmaxCrossEntropy(rows, classes, static_cast<float>(x.number(3)), x.at<float>(4, size), x.at<int32_t>(5, rows), x.at<float>(6, size), x.at<float>(7, 1));
  return undefinedValue(env);
}

// softmaxCrossEntropyGrad(heap, rows, classes, smoothing, dy (scalar), probs, targets (int32), dlogits)
napi_value SoftmaxCrossEntropyGrad(napi_env env, const Args& x) {
  const size_t rows = x.size(1), classes = x.size(2), size = product(rows, classes);
  if (classes == 0 || rows == 0) throw Error("rows and classes must be > 0");
  softmaxCrossEntropyGrad(rows, classes, static_cast<float>(x.number(3)), *x.at<float>(4, 1), x.at<float>(5, size), x.at<int32_t>(6, rows), x.at<float>(7, size));
  return undefinedValue(env);
}

// globalNorm(heap, Float64Array [offset0, size0, offset1, size1, ...], out): out = sqrt(sum of squares)
napi_value GlobalNorm(napi_env env, const Args& x) {
  size_t length = 0;
  const double* list = x.f64(1, &length);
  if (length % 2 != 0) throw Error("the list holds (offset, size) pairs");
  double total = 0;
  for (size_t i = 0; i < length; i += 2) {
    const size_t n = static_cast<size_t>(list[i + 1]);
    total += sumOfSquares(x.fromOffset<float>(list[i], n, 1), n);
  }
  *x.at<float>(2, 1) = static_cast<float>(std::sqrt(total));
  return undefinedValue(env);
}

// adamw(heap, Float64Array [p, g, m, v, p1, m1, v1, size] per parameter, rate, beta1, 1 - beta1, beta2,
//       1 - beta2, epsilon, bc1, bc2, weightDecay, gradScale | -1, gate (bool) | -1)
napi_value AdamW(napi_env env, const Args& x) {
  size_t length = 0;
  const double* list = x.f64(1, &length);
  if (length % 8 != 0) throw Error("the list holds 8 entries per parameter");
  AdamWParams o{};
  o.rate = static_cast<float>(x.number(2));
  o.beta1 = static_cast<float>(x.number(3));
  o.oneMinusBeta1 = static_cast<float>(x.number(4));
  o.beta2 = static_cast<float>(x.number(5));
  o.oneMinusBeta2 = static_cast<float>(x.number(6));
  o.epsilon = static_cast<float>(x.number(7));
  o.bc1 = static_cast<float>(x.number(8));
  o.bc2 = static_cast<float>(x.number(9));
  o.weightDecay = static_cast<float>(x.number(10));
  const float* scale = x.atOrNull<float>(11, 1);
  const uint8_t* gate = x.atOrNull<uint8_t>(12, 1);
  o.gradScale = scale == nullptr ? 1.0f : *scale;
  o.keep = gate == nullptr || *gate != 0;
  for (size_t i = 0; i < length; i += 8) {
    const size_t n = static_cast<size_t>(list[i + 7]);
    adamw(o, n, x.fromOffset<float>(list[i], n, 1), x.fromOffset<float>(list[i + 1], n, 1), x.fromOffset<float>(list[i + 2], n, 1),
          x.fromOffset<float>(list[i + 3], n, 1), x.fromOffset<float>(list[i + 4], n, 1), x.fromOffset<float>(list[i + 5], n, 1),
          x.fromOffset<float>(list[i + 6], n, 1));
  }
  return undefinedValue(env);
}

// binary(heap, op, mode, n, inner, a, b, out)
napi_value Binary(napi_env env, const Args& x) {
  const int op = static_cast<int>(x.integer(1)), mode = static_cast<int>(x.integer(2));
  if (op < 0 || op > 3 || mode < 0 || mode > 6) throw Error("unknown binary op or mode");
  const size_t n = x.size(3), inner = x.size(4);
  const BinaryMode m = static_cast<BinaryMode>(mode);
  const bool rowOrCol = m == BinaryMode::RowA || m == BinaryMode::RowB || m == BinaryMode::ColA || m == BinaryMode::ColB;
  if (rowOrCol && (inner == 0 || n % inner != 0)) throw Error("row length must divide the size");
  const size_t sizeA = m == BinaryMode::ScalarA ? 1 : m == BinaryMode::RowA ? inner : m == BinaryMode::ColA ? n / inner : n;
  const size_t sizeB = m == BinaryMode::ScalarB ? 1 : m == BinaryMode::RowB ? inner : m == BinaryMode::ColB ? n / inner : n;
  binary(static_cast<BinaryOp>(op), m, n, inner, x.at<float>(5, sizeA), x.at<float>(6, sizeB), x.at<float>(7, n));
  return undefinedValue(env);
}

// unary(heap, op, n, x, y, alpha)
napi_value Unary(napi_env env, const Args& x) {
  const int op = static_cast<int>(x.integer(1));
  if (op < 0 || op > 6) throw Error("unknown unary op");
  const size_t n = x.size(2);
  unary(static_cast<UnaryOp>(op), n, x.at<float>(3, n), x.at<float>(4, n), static_cast<float>(x.number(5)));
  return undefinedValue(env);
}

// reduce(heap, op, mode, outer, inner, x, out)
napi_value Reduce(napi_env env, const Args& x) {
  const int op = static_cast<int>(x.integer(1)), mode = static_cast<int>(x.integer(2));
  if (op < 0 || op > 2 || mode < 0 || mode > 2) throw Error("unknown reduction or mode");
  const size_t outer = x.size(3), inner = x.size(4);
  const ReduceMode m = static_cast<ReduceMode>(mode);
  const size_t outSize = m == ReduceMode::Inner ? outer : m == ReduceMode::Outer ? inner : 1;
  reduce(static_cast<ReduceOp>(op), m, outer, inner, x.at<float>(5, product(outer, inner)), x.at<float>(6, outSize));
  return undefinedValue(env);
}

// Intervals as a Float64Array of (lo, hi, loOpen, hiOpen, empty) per interval, already widened and rounded.
std::vector<Interval> intervalsFrom(const Args& x, size_t i) {
  size_t length = 0;
  const double* list = x.f64(i, &length);
  if (length % 5 != 0) throw Error("intervals are (lo, hi, loOpen, hiOpen, empty) quintuples");
  std::vector<Interval> out;
  for (size_t k = 0; k < length; k += 5) {
    out.push_back({static_cast<float>(list[k]), static_cast<float>(list[k + 1]), list[k + 2] != 0, list[k + 3] != 0, list[k + 4] != 0});
  }
  return out;
}

// intervalStats(heap, rows, cols, x, intervals, inside, everOutside)
napi_value IntervalStats(napi_env env, const Args& x) {
  const size_t rows = x.size(1), cols = x.size(2);
  const std::vector<Interval> ivs = intervalsFrom(x, 4);
  intervalStats(rows, cols, x.at<float>(3, product(rows, cols)), IntervalSet{ivs.data(), ivs.size()}, x.at<float>(5, 1), x.at<float>(6, cols));
  return undefinedValue(env);
}

// rowSumSquares(heap, rows, cols, t, out)
napi_value RowSumSquares(napi_env env, const Args& x) {
  const size_t rows = x.size(1), cols = x.size(2);
  rowSumSquares(rows, cols, x.at<float>(3, product(rows, cols)), x.at<float>(4, rows));
  return undefinedValue(env);
}

// maskedRowSumSquares(heap, rows, cols, u | -1, v, x, intervals, out, inside, everOutside)
napi_value MaskedRowSumSquares(napi_env env, const Args& x) {
  const size_t rows = x.size(1), cols = x.size(2), size = product(rows, cols);
  const std::vector<Interval> ivs = intervalsFrom(x, 6);
  maskedRowSumSquares(rows, cols, x.atOrNull<float>(3, size), x.at<float>(4, size), x.at<float>(5, size), IntervalSet{ivs.data(), ivs.size()}, x.at<float>(7, rows),
                      x.at<float>(8, 1), x.at<float>(9, cols));
  return undefinedValue(env);
}

napi_value Threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc >= 1) {
    napi_valuetype type;
    napi_typeof(env, argv[0], &type);
    if (type == napi_number) {
      double n = 0;
      napi_get_value_double(env, argv[0], &n);
      setThreadCount(static_cast<int>(n));
    }
  }
  napi_value out;
  napi_create_int32(env, threadCount(), &out);
  return out;
}

/** Elements a row-major matrix of rows x cols with leading dimension ld spans (0 when empty); ld must be >= cols. */
size_t matrixSpan(size_t rows, size_t cols, size_t ld, const char* name) {
  if (ld < cols || ld < 1) throw Error(std::string(name) + ": the leading dimension must be >= the columns and >= 1");
  if (rows == 0 || cols == 0) return 0;
  return product(rows - 1, ld) + cols;
}

int asInt(size_t v) {
  if (v > 0x7fffffff) throw Error("sizes must fit a 32-bit int");
  return static_cast<int>(v);
}

// sgemm(heap, which (0 what the kernels use, 1 the built-in GEMM, 2 the BLAS library), transA, transB,
//       m, n, k, alpha, a, lda, b, ldb, beta, c, ldc): c = alpha op(a) op(b) + beta c, row-major, as
// cblas_sgemm. A diagnostic: the kernels call the same function (blas.h) directly.
napi_value Sgemm(napi_env env, const Args& x) {
  const int64_t which = x.integer(1);
  if (which < 0 || which > 2) throw Error("which must be 0 (active), 1 (built-in) or 2 (library)");
  const bool ta = x.flag(2), tb = x.flag(3);
  const size_t m = x.size(4), n = x.size(5), k = x.size(6);
  const float alpha = static_cast<float>(x.number(7)), beta = static_cast<float>(x.number(12));
  const size_t lda = x.size(9), ldb = x.size(11), ldc = x.size(14);
  const float* a = x.at<float>(8, ta ? matrixSpan(k, m, lda, "a") : matrixSpan(m, k, lda, "a"));
  const float* b = x.at<float>(10, tb ? matrixSpan(n, k, ldb, "b") : matrixSpan(k, n, ldb, "b"));
  float* c = x.at<float>(13, matrixSpan(m, n, ldc, "c"));
  const int M = asInt(m), N = asInt(n), K = asInt(k), LDA = asInt(lda), LDB = asInt(ldb), LDC = asInt(ldc);
  if (which == 0) {
    sgemm(ta, tb, M, N, K, alpha, a, LDA, b, LDB, beta, c, LDC);
  } else if (which == 1) {
    builtinSgemm(ta, tb, M, N, K, alpha, a, LDA, b, LDB, beta, c, LDC);
  } else if (!librarySgemm(ta, tb, M, N, K, alpha, a, LDA, b, LDB, beta, c, LDC)) {
    throw Error("no BLAS library is loaded");
  }
  return undefinedValue(env);
}

napi_value stringValue(napi_env env, const std::string& text) {
  napi_value out;
  napi_create_string_utf8(env, text.c_str(), text.size(), &out);
  return out;
}

/** Reads argument i as a UTF-8 string. */
std::string stringArg(napi_env env, napi_callback_info info, size_t i) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (i >= argc) throw Error("argument " + std::to_string(i) + " must be a string");
  size_t length = 0;
  if (napi_get_value_string_utf8(env, argv[i], nullptr, 0, &length) != napi_ok) throw Error("argument " + std::to_string(i) + " must be a string");
  std::string out(length, '\0');
  napi_get_value_string_utf8(env, argv[i], &out[0], length + 1, &length);
  return out;
}

bool boolArg(napi_env env, napi_callback_info info, size_t i) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  bool value = false;
  if (i < argc) napi_get_value_bool(env, argv[i], &value);
  return value;
}

// blasInfo(): JSON (blas.h blasInfoJson): what the products run on, and what was tried.
napi_value BlasInfo(napi_env env, napi_callback_info) { return stringValue(env, blasInfoJson()); }

// useBuiltinGemm(on): the products on the built-in GEMM (true) or the loaded library (false);
// returns whether the built-in GEMM is in use (true when no library is loaded).
napi_value UseBuiltinGemm(napi_env env, napi_callback_info info) {
  napi_value out;
  napi_get_boolean(env, useBuiltinGemm(boolArg(env, info, 0)), &out);
  return out;
}

// loadBlas(candidate, requireOptimized): loads a library and makes it the one the products use;
// returns "" or why it was not used (then nothing changed).
napi_value LoadBlas(napi_env env, napi_callback_info info) {
  try {
    return stringValue(env, loadBlas(stringArg(env, info, 0), boolArg(env, info, 1)));
  } catch (const std::exception& err) {
    napi_throw_error(env, "E_NATIVE_KERNEL", err.what());
    return nullptr;
  }
}

// blasConfig(): the library's configuration string (OpenBLAS: openblas_get_config()), or "built-in GEMM"
// (kept for callers written before blasInfo).
napi_value BlasConfig(napi_env env, napi_callback_info) { return stringValue(env, activeGemmConfig()); }

// resolveBlas(): searches for a library again (FLATSPARSE_BLAS, else the default order).
napi_value ResolveBlas(napi_env env, napi_callback_info) {
  resolveBlas(true);
  return stringValue(env, blasInfoJson());
}

napi_value Init(napi_env env, napi_value exports) {
  // The BLAS library (if any) is found once per process and set to one thread: the threads are this
  // addon's (pool.cc), so two pools never spin against each other on the same cores.
  resolveBlas(false);
  const napi_property_descriptor fns[] = {
      {"gemm", nullptr, guarded<Gemm>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"fusedGemm", nullptr, guarded<FusedGemm>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"denseGrad", nullptr, guarded<DenseGrad>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"columnSums", nullptr, guarded<ColumnSums>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"layerNorm", nullptr, guarded<LayerNorm>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"layerNormGrad", nullptr, guarded<LayerNormGrad>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"attention", nullptr, guarded<Attention>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"attentionGrad", nullptr, guarded<AttentionGrad>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmaxCrossEntropy", nullptr, guarded<SoftmaxCrossEntropy>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmaxCrossEntropyGrad", nullptr, guarded<SoftmaxCrossEntropyGrad>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"globalNorm", nullptr, guarded<GlobalNorm>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamw", nullptr, guarded<AdamW>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, guarded<Binary>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unary", nullptr, guarded<Unary>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduce", nullptr, guarded<Reduce>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"intervalStats", nullptr, guarded<IntervalStats>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rowSumSquares", nullptr, guarded<RowSumSquares>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maskedRowSumSquares", nullptr, guarded<MaskedRowSumSquares>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"threads", nullptr, Threads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sgemm", nullptr, guarded<Sgemm>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"blasInfo", nullptr, BlasInfo, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"useBuiltinGemm", nullptr, UseBuiltinGemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"loadBlas", nullptr, LoadBlas, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"resolveBlas", nullptr, ResolveBlas, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"blasConfig", nullptr, BlasConfig, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns);
  return exports;
}

}  // namespace
}  // namespace fsn

NAPI_MODULE(NODE_GYP_MODULE_NAME, fsn::Init)
