// Element-wise kernels and reductions (elementwise.cc).
#pragma once
#include <cstddef>

namespace fsn {

enum class BinaryOp { Add = 0, Sub = 1, Mul = 2, Div = 3 };
/**
 * How b (or a) broadcasts: the same shape, a scalar, a vector repeated over rows of length inner
 * (Row: b[j]), or one value per row repeated along it (Col: b[r], as a [..., 1] keepDims reduction).
 */
enum class BinaryMode { Same = 0, ScalarB = 1, ScalarA = 2, RowB = 3, RowA = 4, ColB = 5, ColA = 6 };
enum class UnaryOp { Step = 0, Abs = 1, Relu = 2, Square = 3, Neg = 4, Exp = 5, Sqrt = 6 };
enum class ReduceOp { Sum = 0, Mean = 1, Max = 2 };
enum class ReduceMode { Inner = 0, Outer = 1, All = 2 };

/** out[i] = a op b over n elements (inner: the row length for the Row modes). */
void binary(BinaryOp op, BinaryMode mode, size_t n, size_t inner, const float* a, const float* b, float* out);
/** y[i] = op(x[i]); alpha is Step's value for x <= 0. */
void unary(UnaryOp op, size_t n, const float* x, float* y, float alpha);
void reduce(ReduceOp op, ReduceMode mode, size_t outer, size_t inner, const float* x, float* out);

}  // namespace fsn
