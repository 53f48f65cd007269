import * as tf from '@tensorflow/tfjs-core';

/**
 * Corrections of tfjs-backend-webgpu 4.22's kernels, registered for 'webgpu' in place of the upstream
 * ones when the backend starts (once per process), each held to tfjs-backend-cpu by
 * test/backend-webgpu/kernel-overrides.test.ts:
 *
 * - Acosh, Asinh, Atanh, Log, Sigmoid: NaN in, NaN out. Upstream shaders rely on the GPU's acosh,
 *   log, exp... to carry NaN, which WGSL does not promise (SwiftShader gives log(NaN) = 89.1 and
 *   sigmoid(NaN) = 0); here NaN is tested by its bits first, as upstream's own isnan() does. So are
 *   log(0) = -Infinity and the infinities of log, acosh and asinh (SwiftShader: log(0) = -88).
 * - Softmax: a row holding NaN is NaN throughout, as on the CPU (upstream's max() drops NaN, so the
 *   row's other values come out finite).
 * - Cumsum, Cumprod: upstream's scan shader bakes the length of the scanned axis into its code but not
 *   into its cache key, so after a scan of one length a scan of another length reuses the wrong shader
 *   and reads past the row (wrong cumsum gradients, which scan in reverse, and wrong prod gradients,
 *   which use two cumprods). The key here carries the length.
 * - Bincount: upstream's shader indexes x as rank 1 and does not compile for an x of higher rank
 *   (tf.image.threshold's 'otsu' method counts a 3-D image); x and the weights are flattened first.
 * - FromPixels of a canvas-like object that is not a DOM canvas (Node canvas packages): its 2-D
 *   context's pixels, as tfjs-core's op reads them on backends without the kernel.
 * - BitwiseAnd and NonMaxSuppressionV4 (tf.image.nonMaxSuppressionPadded), which upstream lacks.
 */

/** `webgpu_util` of tfjs-backend-webgpu (its dispatch helpers). */
export interface WebgpuUtil {
  flatDispatchLayout(shape: number[]): { x: number[] };
  computeDispatch(layout: { x: number[] }, outputShape: number[], workgroupSize: [number, number, number], elementsPerThread?: [number, number, number]): [number, number, number];
}

/** A tfjs-backend-webgpu program, as runWebGPUProgram takes it. */
interface Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  workgroupSize: [number, number, number];
  uniforms?: string;
  size?: boolean;
  getUserCode(): string;
}

type Uniform = { type: 'float32' | 'int32'; data: number[] };

/** The WebGPUBackend members the overrides use. */
interface ProgramBackend {
  runWebGPUProgram(program: Program, inputs: tf.TensorInfo[], dtype: tf.DataType, uniforms?: Uniform[], output?: tf.TensorInfo): tf.TensorInfo;
  disposeData(dataId: object): boolean;
  shouldExecuteOnCPU?(inputs: tf.TensorInfo[]): boolean;
}

type KernelFunc = tf.KernelConfig['kernelFunc'];

const OVERRIDE = Symbol.for('flatsparse.webgpu.kernelOverride');

/** Marks a kernel function as flatsparse's override (the kernel guard keeps the mark when it wraps it). */
export function isOverride(f: unknown): boolean {
  return typeof f === 'function' && (f as { [OVERRIDE]?: true })[OVERRIDE] === true;
}

/** Copies the override mark from a kernel function to its wrapper. */
export function keepOverrideMark(from: unknown, to: object): void {
  if (isOverride(from)) (to as { [OVERRIDE]?: true })[OVERRIDE] = true;
}

/** A view of a tensor with another shape (the same data; tfjs-backend-webgpu's Reshape does the same). */
const view = (t: tf.TensorInfo, shape: number[]): tf.TensorInfo => ({ dataId: t.dataId, shape, dtype: t.dtype });
const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * The body of a unary op on `a: f32`; NaN is returned as it is before it runs. The values where the
 * GPU's builtin is not IEEE-exact on some adapters are answered first too (SwiftShader: log(0) = -88,
 * asinh(-Infinity) = 89).
 */
const NAN_SAFE_UNARY: Readonly<Record<string, string>> = {
  Acosh: 'if (a < 1.0) { return uniforms.NAN; }\n if (isinf(a)) { return a; }\n return acosh(a);',
  Asinh: 'if (isinf(a)) { return a; }\n return asinh(a);',
  Atanh: 'if (abs(a) > 1.0) { return uniforms.NAN; }\n if (a == 1.0) { return uniforms.INFINITY; }\n if (a == -1.0) { return -uniforms.INFINITY; }\n return atanh(a);',
  Log: 'if (a < 0.0) { return uniforms.NAN; }\n if (a == 0.0) { return -uniforms.INFINITY; }\n if (isinf(a)) { return a; }\n return log(a);',
  Sigmoid: 'return 1.0 / (1.0 + exp(-1.0 * a));',
};

/** Upstream kernels whose CPU path (small inputs already on the CPU) is right: they keep it. */
const CPU_PATH_IS_RIGHT = new Set(['Log']);

class NanSafeUnaryProgram implements Program {
  readonly variableNames = ['A'];
  readonly size = true;
  readonly workgroupSize: [number, number, number] = [128, 1, 1];
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly shaderKey: string;

  constructor(
    util: WebgpuUtil,
    readonly outputShape: number[],
    op: string,
    private readonly body: string,
  ) {
    this.dispatchLayout = util.flatDispatchLayout(outputShape);
    this.dispatch = util.computeDispatch(this.dispatchLayout, outputShape, this.workgroupSize);
    this.shaderKey = `flatsparse_nan_safe_${op}`;
  }

  getUserCode(): string {
    return `
      fn unaryOperation(a : f32) -> f32 {
        if (isnan(a)) { return a; }
        ${this.body}
      }
      fn main(index : i32) {
        if (index < uniforms.size) {
          let a = getAByOutputIndex(index);
          setOutputAtIndex(index, unaryOperation(a));
        }
      }`;
  }
}

/** Softmax over the rows of a [rows, cols] tensor, one workgroup per row; a row holding NaN is NaN. */
class NanSafeSoftmaxProgram implements Program {
  readonly variableNames = ['logits'];
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number];
  readonly shaderKey = 'flatsparse_nan_safe_softmax';

  constructor(
    util: WebgpuUtil,
    readonly outputShape: number[],
  ) {
    this.dispatchLayout = util.flatDispatchLayout(outputShape);
    this.dispatch = [outputShape[0]!, 1, 1];
    this.workgroupSize = outputShape[1]! >= 4096 ? [256, 1, 1] : [64, 1, 1];
  }

  getUserCode(): string {
    const block = this.workgroupSize[0];
    return `
    var<workgroup> buf : array<f32, ${block}>;
    var<workgroup> rowMaxShared : f32;
    var<workgroup> rowSumShared : f32;
    const blockSize = ${block};
    fn maxOrNan(a : f32, b : f32) -> f32 {
      if (isnan(a)) { return a; }
      if (isnan(b)) { return b; }
      return max(a, b);
    }
    fn main(index : i32) {
      let row = index / blockSize;
      let tid = i32(localId.x);
      let cols = uniforms.outShape[1];

      var threadMax = -3.402823e+38f;
      for (var col = tid; col < cols; col += blockSize) {
        threadMax = maxOrNan(threadMax, getLogits(row, col));
      }
      if (tid < cols) {
        buf[tid] = threadMax;
      }
      workgroupBarrier();

      var reduceSize = min(cols, blockSize);
      for (var currSize = reduceSize >> 1; currSize > 0; currSize = reduceSize >> 1) {
        reduceSize = currSize + (reduceSize & 1);
        if (tid < currSize) {
          buf[tid] = maxOrNan(buf[tid], buf[tid + reduceSize]);
        }
        workgroupBarrier();
      }

      if (tid == 0) {
        rowMaxShared = buf[0];
      }
      workgroupBarrier();
      let rowMax = rowMaxShared;

      var threadSum = 0.0;
      for (var col = tid; col < cols; col += blockSize) {
        threadSum += exp(getLogits(row, col) - rowMax);
      }
      buf[tid] = threadSum;
      workgroupBarrier();

      for (var currSize = blockSize >> 1; currSize > 0; currSize = currSize >> 1) {
        if (tid < currSize) {
          buf[tid] = buf[tid] + buf[tid + currSize];
        }
        workgroupBarrier();
      }

      if (tid == 0) {
        rowSumShared = buf[0];
      }
      workgroupBarrier();

      for (var col = tid; col < cols; col += blockSize) {
        var value = exp(getLogits(row, col) - rowMax) / rowSumShared;
        if (isnan(rowMax)) {
          value = rowMax;
        }
        setOutputAtCoords(row, col, value);
      }
    }`;
  }
}

/** One step of an inclusive scan (Hillis-Steele) along the last axis, or the shift of an exclusive one. */
class ScanProgram implements Program {
  readonly variableNames = ['x'];
  readonly uniforms = 'index : f32,';
  readonly size = true;
  readonly workgroupSize: [number, number, number] = [128, 1, 1];
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly shaderKey: string;

  constructor(
    util: WebgpuUtil,
    readonly outputShape: number[],
    private readonly op: '+' | '*',
    private readonly exclusive: boolean,
    private readonly reverse: boolean,
  ) {
    this.dispatchLayout = util.flatDispatchLayout(outputShape);
    this.dispatch = util.computeDispatch(this.dispatchLayout, outputShape, this.workgroupSize);
    // The length of the scanned axis is part of the shader's code, so it is part of its key.
    this.shaderKey = `flatsparse_scan_${op === '+' ? 'sum' : 'prod'}_${exclusive}_${reverse}_${outputShape.at(-1)}`;
  }

  getUserCode(): string {
    const rank = this.outputShape.length;
    const length = this.outputShape[rank - 1]!;
    const fields = ['x', 'y', 'z', 'w', 'u', 'v'];
    const coords = rank === 1 ? 'coords' : fields.slice(0, rank).map((c) => `coords.${c}`).join(', ');
    const last = rank === 1 ? 'coords' : `coords.${fields[rank - 1]}`;
    const init = this.op === '*' ? '1.0' : '0.0';
    const condition = this.exclusive ? (this.reverse ? `end != ${length - 1}` : 'end != 0') : this.reverse ? `end + pow2 < ${length}` : 'end >= pow2';
    const idx = this.exclusive ? (this.reverse ? 'end + 1' : 'end - 1') : this.reverse ? 'end + pow2' : 'end - pow2';
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var coords = getCoordsFromIndex(index);
          let end = ${last};
          var val = ${this.exclusive ? init : `getX(${coords})`};
          let pow2 = i32(pow(2.0, uniforms.index));
          if (${condition}) {
            let idx = ${idx};
            ${last} = idx;
            val ${this.op}= getX(${coords});
          }
          setOutputAtIndex(index, val);
        }
      }`;
  }
}

/** Bitwise AND of two int32 tensors of one shape, on their raw 32-bit values. */
class BitwiseAndProgram implements Program {
  readonly variableNames = ['A', 'B'];
  readonly size = true;
  readonly workgroupSize: [number, number, number] = [128, 1, 1];
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly shaderKey = 'flatsparse_bitwise_and';

  constructor(
    util: WebgpuUtil,
    readonly outputShape: number[],
  ) {
    this.dispatchLayout = util.flatDispatchLayout(outputShape);
    this.dispatch = util.computeDispatch(this.dispatchLayout, outputShape, this.workgroupSize);
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          result[index] = A[index] & B[index];
        }
      }`;
  }
}

/** A source upstream's FromPixels copies to a texture itself (DOM canvas, OffscreenCanvas, image, video, ImageBitmap). */
function isDomImageSource(pixels: object): boolean {
  const g = globalThis as Record<string, unknown>;
  return ['HTMLCanvasElement', 'OffscreenCanvas', 'HTMLImageElement', 'HTMLVideoElement', 'ImageBitmap'].some((name) => typeof g[name] === 'function' && pixels instanceof (g[name] as abstract new () => object));
}

/** The kernel overrides, given the upstream kernels they replace (some fall back to them). */
function overrides(util: WebgpuUtil, upstream: (name: string) => KernelFunc | undefined): Record<string, KernelFunc> {
  const result: Record<string, KernelFunc> = {};
  for (const [name, body] of Object.entries(NAN_SAFE_UNARY)) {
    const original = upstream(name);
    result[name] = (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const backend = args.backend as unknown as ProgramBackend;
      if (original && CPU_PATH_IS_RIGHT.has(name) && backend.shouldExecuteOnCPU?.([x])) return original(args);
      return backend.runWebGPUProgram(new NanSafeUnaryProgram(util, [...x.shape], name, body), [x], x.dtype);
    };
  }

  result.Softmax = (args) => {
    const { logits } = args.inputs as { logits: tf.TensorInfo };
    const backend = args.backend as unknown as ProgramBackend;
    const cols = logits.shape.at(-1) ?? 1;
    const rows = sizeOf(logits.shape) / Math.max(cols, 1);
    const out = backend.runWebGPUProgram(new NanSafeSoftmaxProgram(util, [rows, cols]), [view(logits, [rows, cols])], logits.dtype);
    return view(out, [...logits.shape]);
  };

  const scan =
    (op: '+' | '*'): KernelFunc =>
    (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const backend = args.backend as unknown as ProgramBackend;
      const { axis, exclusive, reverse } = args.attrs as unknown as { axis: number; exclusive: boolean; reverse: boolean };
      const rank = x.shape.length;
      const permutation = tf.backend_util.getAxesPermutation([axis], rank);
      const transpose = tf.getKernel('Transpose', 'webgpu')!.kernelFunc;
      const permuted = permutation == null ? x : (transpose({ inputs: { x }, backend: args.backend, attrs: { perm: permutation } }) as tf.TensorInfo);
      const length = permuted.shape[rank - 1] ?? 1;
      let result = permuted;
      const step = (exclusiveStep: boolean, index: number): void => {
        const previous = result;
        result = backend.runWebGPUProgram(new ScanProgram(util, [...permuted.shape], op, exclusiveStep, reverse), [previous], previous.dtype, [{ type: 'float32', data: [index] }]);
        if (previous !== x) backend.disposeData(previous.dataId);
      };
      for (let i = 0; i <= Math.ceil(Math.log2(length)) - 1; i++) step(false, i);
      if (exclusive) step(true, 0);
      if (result === x) result = backend.runWebGPUProgram(new ScanProgram(util, [...x.shape], op, false, reverse), [x], x.dtype, [{ type: 'float32', data: [0] }]); // length 1: a copy
      if (permutation == null) return result;
      const undone = transpose({ inputs: { x: result }, backend: args.backend, attrs: { perm: tf.backend_util.getUndoAxesPermutation(permutation) } }) as tf.TensorInfo;
      backend.disposeData(result.dataId);
      return undone;
    };
  result.Cumsum = scan('+');
  result.Cumprod = scan('*');

  // Kernels tfjs-backend-webgpu lacks. BitwiseAnd on the GPU; NonMaxSuppressionV4 (tf.image.nonMaxSuppressionPadded)
  // on the CPU with tfjs-core's own implementation, as upstream's V3 and V5 kernels do.
  result.BitwiseAnd = (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    return (args.backend as unknown as ProgramBackend).runWebGPUProgram(new BitwiseAndProgram(util, [...a.shape]), [a, b], 'int32');
  };
  result.NonMaxSuppressionV4 = (args) => {
    const { boxes, scores } = args.inputs as { boxes: tf.TensorInfo; scores: tf.TensorInfo };
    const { maxOutputSize, iouThreshold, scoreThreshold, padToMaxOutputSize } = args.attrs as unknown as { maxOutputSize: number; iouThreshold: number; scoreThreshold: number; padToMaxOutputSize: boolean };
    const backend = args.backend as unknown as ProgramBackend & { readSync(dataId: object): tf.TypedArray; makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.TypedArray): tf.TensorInfo };
    const { selectedIndices, validOutputs } = tf.kernel_impls.nonMaxSuppressionV4Impl(backend.readSync(boxes.dataId), backend.readSync(scores.dataId), maxOutputSize, iouThreshold, scoreThreshold, padToMaxOutputSize);
    return [backend.makeTensorInfo([selectedIndices.length], 'int32', new Int32Array(selectedIndices)), backend.makeTensorInfo([], 'int32', new Int32Array([validOutputs ?? selectedIndices.length]))];
  };

  // FromPixels of a canvas-like object that is no DOM canvas (Node's canvas packages, tests' mocks):
  // upstream reads it as ImageData (pixels.data) and gets nothing; its 2-D context's pixels are read, as
  // tfjs-core's own op does on backends without the kernel.
  const fromPixels = upstream('FromPixels');
  if (fromPixels) {
    result.FromPixels = (args) => {
      const { pixels } = args.inputs as unknown as { pixels: { data?: unknown; width: number; height: number; getContext?: (kind: '2d') => { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null } };
      if (pixels == null || pixels.data != null || typeof pixels.getContext !== 'function' || isDomImageSource(pixels)) return fromPixels(args);
      const context = pixels.getContext('2d');
      if (!context) return fromPixels(args);
      const { data } = context.getImageData(0, 0, pixels.width, pixels.height);
      return fromPixels({ ...args, inputs: { pixels: { data, width: pixels.width, height: pixels.height } } as unknown as tf.NamedTensorInfoMap });
    };
  }

  const bincount = upstream('Bincount');
  if (bincount) {
    result.Bincount = (args) => {
      const { x, weights } = args.inputs as { x: tf.TensorInfo; weights: tf.TensorInfo };
      if (x.shape.length <= 1) return bincount(args);
      const flat = { x: view(x, [sizeOf(x.shape)]), weights: weights.shape.length <= 1 ? weights : view(weights, [sizeOf(weights.shape)]) };
      return bincount({ ...args, inputs: flat as unknown as tf.NamedTensorInfoMap });
    };
  }
  return result;
}

/**
 * Registers the overrides for 'webgpu' (once per process: the kernel registry is global), replacing
 * tfjs-backend-webgpu's kernels of the same names. Call after importing tfjs-backend-webgpu (which
 * registers its kernels) and before the kernel guard wraps them.
 */
export function installKernelOverrides(util: WebgpuUtil): void {
  const upstream = (name: string): KernelFunc | undefined => {
    const config = tf.getKernel(name, 'webgpu');
    return config && !isOverride(config.kernelFunc) ? config.kernelFunc : undefined;
  };
  for (const [kernelName, kernelFunc] of Object.entries(overrides(util, upstream))) {
    const existing = tf.getKernel(kernelName, 'webgpu');
    if (existing && isOverride(existing.kernelFunc)) continue;
    (kernelFunc as { [OVERRIDE]?: true })[OVERRIDE] = true;
    if (existing) tf.unregisterKernel(kernelName, 'webgpu');
    tf.registerKernel({ ...(existing ?? {}), kernelName, backendName: 'webgpu', kernelFunc });
  }
}
