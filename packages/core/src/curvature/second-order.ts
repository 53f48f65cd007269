import * as tf from '@tensorflow/tfjs-core';
import { plainOpsOnly, setPlainOpsOnly } from '@flatsparse/plugin-api/host';

/**
 * Second-order-safe differentiation for exact Hessian-vector products (double backward) on
 * tfjs-core 4.22, active only inside `withSecondOrderGradients`. Three things break nested tapes there:
 *
 * 1. Tensors a gradient saves are clones recorded on the tape before the op that made them, so a
 *    gradient written with the op's output (Exp, Softmax, LogSoftmax, Tanh, Sigmoid, Elu, Max, Min)
 *    treats it as a constant in the second backward pass. The gradients below recompute it from the
 *    saved input.
 * 2. `tf.customGrad` runs its forward with the tape off and saves clones of intermediates, so the
 *    second backward sees none of the dependence of the saved tensors on the inputs (the models' fused
 *    dense, LayerNorm and attention ops, tfjs's own logSoftmax and fused matMul). While active, every
 *    custom-gradient op runs its forward on the tape and is differentiated through its plain ops; the
 *    fused matMul kernel runs as matMul plus bias.
 * 3. Comparisons (Equal, Greater, ...; in max's gradient) have no gradient: they get zero, their
 *    derivative almost everywhere. DepthwiseConv2dNative's input gradient needs a kernel wasm lacks;
 *    for the models' batched-product form (a full-width filter over a height-1 input) it is written
 *    as two more depthwise convolutions of that form, so it can be differentiated again.
 *
 * Without the models' dense custom gradient, products go through BatchMatMul's gradient, which tfjs
 * writes with transpose flags (a slow path on wasm); it is replaced by plain 2-D products of explicit
 * transposes, which keeps an exact product within about 1.3x the time of a finite-difference one.
 *
 * Training never enters this mode: the trainer keeps the registered gradients and the models'
 * custom gradients (fewer saved tensors, faster kernels).
 */

type Saved = tf.Tensor[];
type Attrs = Record<string, unknown>;
type GradFunc = (dy: tf.Tensor | tf.Tensor[], saved: Saved, attrs: Attrs) => Record<string, () => tf.Tensor>;

interface Override {
  readonly inputsToSave?: string[];
  readonly gradFunc: GradFunc;
}

const unary = (f: (x: tf.Tensor, dy: tf.Tensor) => tf.Tensor): Override => ({
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => ({ x: () => f(saved[0]!, dy as tf.Tensor) }),
});

/** Gradient of a max/min reduction: dy to every entry equal to the (recomputed) extreme. */
function extremeGrad(reduce: (x: tf.Tensor, axes: number[], keepDims: boolean) => tf.Tensor): Override {
  return {
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0]!;
      const axes = tf.util.parseAxisParam(attrs['reductionIndices'] as number | number[], x.shape);
      const keepShape = x.shape.map((s, i) => (axes.includes(i) ? 1 : s));
      return { x: () => tf.mul(tf.reshape(dy as tf.Tensor, keepShape), tf.cast(tf.equal(x, reduce(x, axes, true)), 'float32')) };
    },
  };
}

const zeroGrad: Override = {
  inputsToSave: ['a', 'b'],
  gradFunc: (_dy, saved) => ({ a: () => tf.zeros(saved[0]!.shape), b: () => tf.zeros(saved[1]!.shape) }),
};

/** C[n] = A[n] B[n] as a depthwise convolution: a [M, K, n], b [K, n, N] -> [M, n, N] (as in the models). */
function batchedProduct(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const [m, k, n] = a.shape as [number, number, number];
  const cols = b.shape[2]!;
  const out = tf.depthwiseConv2d(tf.reshape(a, [m, 1, k, n]) as tf.Tensor4D, tf.reshape(b, [1, k, n, cols]) as tf.Tensor4D, 1, 'valid');
  return tf.reshape(out, [m, n, cols]);
}

/** Whether a depthwise convolution is the batched product form: height-1 input, full-width filter, stride and dilation 1. */
function isBatchedProduct(x: tf.Tensor, filter: tf.Tensor, attrs: Attrs): boolean {
  const ones = (v: unknown) => v === 1 || (Array.isArray(v) && v.every((s) => s === 1));
  return x.rank === 4 && filter.rank === 4 && x.shape[1] === 1 && filter.shape[0] === 1 && filter.shape[1] === x.shape[2]
    && ones(attrs['strides']) && ones(attrs['dilations'] ?? 1) && attrs['pad'] === 'valid' && (attrs['dataFormat'] ?? 'NHWC') === 'NHWC';
}

function depthwiseOverride(original: tf.GradConfig | undefined): Override {
  return {
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor, tf.Tensor];
      if (!isBatchedProduct(x, filter, attrs) && original !== undefined) {
        return original.gradFunc(dy as tf.Tensor, saved, attrs as tf.NamedAttrMap) as Record<string, () => tf.Tensor>;
      }
      const [m, , k, n] = x.shape as [number, number, number, number];
      const cols = filter.shape[3]!;
      const d = tf.reshape(dy as tf.Tensor, [m, n, cols]); // d[m, c, j]
      const f = tf.reshape(filter, [k, n, cols]); // f[k, c, j]
      const xs = tf.reshape(x, [m, k, n]); // x[m, k, c]
      return {
        // dx[m, k, c] = sum_j d[m, c, j] f[k, c, j]
        x: () => tf.reshape(tf.transpose(batchedProduct(tf.transpose(d, [0, 2, 1]), tf.transpose(f, [2, 1, 0])), [0, 2, 1]), x.shape),
        // df[k, c, j] = sum_m x[m, k, c] d[m, c, j]
        filter: () => tf.reshape(batchedProduct(tf.transpose(xs, [1, 0, 2]), d), filter.shape),
      };
    },
  };
}

/** The matrix of a rank-2 tensor or of a rank-3 one with one batch entry, transposed explicitly if asked. */
function matrix(x: tf.Tensor, transpose: boolean): tf.Tensor2D {
  const m = (x.rank === 2 ? x : tf.reshape(x, [x.shape[1]!, x.shape[2]!])) as tf.Tensor2D;
  return transpose ? tf.transpose(m) : m;
}

/**
 * x y (with transpose flags) as one 2-D product: on wasm, of explicit transposes (it sends transposed
 * and batched products to a scalar loop about 10x slower than its XNNPACK path); elsewhere with the
 * flags, which other backends' products take at full speed.
 */
function plainProduct(x: tf.Tensor, y: tf.Tensor, tx: boolean, ty: boolean): tf.Tensor2D {
  if (tf.getBackend() !== 'wasm') return tf.matMul(matrix(x, false), matrix(y, false), tx, ty);
  return tf.matMul(matrix(x, tx), matrix(y, ty));
}

const singleMatrix = (x: tf.Tensor): boolean => x.rank === 2 || (x.rank === 3 && x.shape[0] === 1);

/** BatchMatMul's gradient (as tfjs writes it) with plain 2-D products where the operands are single matrices. */
function matMulOverride(original: tf.GradConfig | undefined): Override {
  return {
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      const g = dy as tf.Tensor;
      if (!(singleMatrix(a) && singleMatrix(b) && a.rank === b.rank) && original !== undefined) {
        return original.gradFunc(g, saved, attrs as tf.NamedAttrMap) as Record<string, () => tf.Tensor>;
      }
      const ta = attrs['transposeA'] === true;
      const tb = attrs['transposeB'] === true;
      const da = ta ? () => plainProduct(b, g, tb, true) : () => plainProduct(g, b, false, !tb);
      const db = tb ? () => plainProduct(g, a, true, ta) : () => plainProduct(a, g, !ta, false);
      return { a: () => tf.reshape(da(), a.shape), b: () => tf.reshape(db(), b.shape) };
    },
  };
}

function overrides(): Map<string, Override> {
  const softmaxLike = (log: boolean): Override => ({
    inputsToSave: ['logits'],
    gradFunc: (dy, saved) => {
      const g = dy as tf.Tensor;
      const p = tf.softmax(saved[0]!, -1);
      return { logits: () => (log ? tf.sub(g, tf.mul(tf.sum(g, -1, true), p)) : tf.mul(p, tf.sub(g, tf.sum(tf.mul(g, p), -1, true)))) };
    },
  });
  const map = new Map<string, Override>([
    ['Exp', unary((x, dy) => tf.mul(dy, tf.exp(x)))],
    ['Tanh', unary((x, dy) => tf.mul(dy, tf.sub(1, tf.square(tf.tanh(x)))))],
    ['Sigmoid', unary((x, dy) => {
      const s = tf.sigmoid(x);
      return tf.mul(dy, tf.mul(s, tf.sub(1, s)));
    })],
    ['Elu', unary((x, dy) => tf.mul(dy, tf.exp(tf.minimum(x, 0))))],
    ['Softmax', softmaxLike(false)],
    ['LogSoftmax', softmaxLike(true)],
    ['Max', extremeGrad((x, axes, keep) => tf.max(x, axes, keep))],
    ['Min', extremeGrad((x, axes, keep) => tf.min(x, axes, keep))],
    ['DepthwiseConv2dNative', depthwiseOverride(tf.getGradient('DepthwiseConv2dNative'))],
    ['BatchMatMul', matMulOverride(tf.getGradient('BatchMatMul'))],
  ]);
  for (const name of ['Equal', 'NotEqual', 'Greater', 'Less', 'LessEqual']) if (tf.getGradient(name) === undefined) map.set(name, zeroGrad);
  return map;
}

interface KernelParams {
  readonly kernelName?: string;
  readonly inputs: Record<string, tf.Tensor | undefined>;
  readonly attrs?: Attrs;
  readonly forwardFunc?: (backend: unknown, save: tf.GradSaveFunc) => tf.Tensor | tf.Tensor[];
}
interface EngineInternals {
  runKernelFunc(params: KernelParams): tf.Tensor | tf.Tensor[];
  readonly backend: unknown;
}

/** y = a b (+ bias) for the fused matMul kernel's inputs (a, b rank 3), with tape-recorded plain ops. */
function unfusedMatMul({ inputs, attrs }: KernelParams): tf.Tensor {
  const { a, b, bias } = inputs as { a: tf.Tensor3D; b: tf.Tensor3D; bias?: tf.Tensor };
  const ta = attrs?.['transposeA'] === true;
  const tb = attrs?.['transposeB'] === true;
  const product = a.shape[0] === 1 && b.shape[0] === 1 ? tf.expandDims(plainProduct(a, b, ta, tb), 0) : tf.matMul(a, b, ta, tb);
  return bias === undefined ? product : tf.add(product, bias);
}

/** Whether an exact Hessian-vector product is running (withSecondOrderGradients): models then use plain ops only. */
export function secondOrderActive(): boolean {
  return plainOpsOnly();
}

/**
 * Runs `f` (synchronous: forward and both backward passes of a double backward) with second-order-safe
 * gradients (see the file comment), then restores tfjs's registered gradients and engine exactly.
 * Nested calls run `f` in the enclosing mode. Throws what `f` throws, after restoring.
 */
export function withSecondOrderGradients<T>(f: () => T): T {
  if (plainOpsOnly()) return f();
  const replaced = overrides();
  const originals = new Map([...replaced.keys()].map((name) => [name, tf.getGradient(name)] as const));
  const engine = tf.engine() as unknown as EngineInternals;
  const ownMethod = Object.prototype.hasOwnProperty.call(engine, 'runKernelFunc');
  const run = engine.runKernelFunc;
  setPlainOpsOnly(true);
  try {
    for (const [kernelName, config] of replaced) tf.registerGradient({ kernelName, ...config } as tf.GradConfig);
    engine.runKernelFunc = function (params: KernelParams) {
      if (params.kernelName === undefined && params.forwardFunc !== undefined) {
        const forward = params.forwardFunc;
        return tf.tidy(() => forward(engine.backend, () => undefined));
      }
      if (params.kernelName === '_FusedMatMul' && (params.attrs?.['activation'] ?? 'linear') === 'linear') return unfusedMatMul(params);
      return run.call(engine, params);
    };
    return f();
  } finally {
    if (ownMethod) engine.runKernelFunc = run;
    else delete (engine as Partial<EngineInternals>).runKernelFunc;
    for (const [kernelName, config] of originals) {
      if (config !== undefined) tf.registerGradient(config);
      else tf.unregisterGradient(kernelName);
    }
    setPlainOpsOnly(false);
  }
}
