/**
 * The few WebGPU types this package touches, written structurally: TypeScript's DOM library has no
 * WebGPU types and '@webgpu/types' is not a dependency. Browsers and Dawn (the `webgpu` npm package)
 * both satisfy them.
 */

/** `GPUAdapterInfo`: what the adapter says about itself (empty strings where it chooses not to say). */
export interface GpuAdapterInfo {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
  /** WebGPU's own flag for a software (CPU) adapter; newer browsers and Dawn set it. */
  readonly isFallbackAdapter?: boolean;
}

/** `GPUSupportedLimits`, read by name. */
export type GpuLimits = Readonly<Record<string, number | undefined>>;

/** `GPUDeviceLostInfo`. */
export interface GpuDeviceLostInfo {
  readonly reason: string;
  readonly message: string;
}

/** `GPUDevice`, the members used here. */
export interface GpuDevice {
  readonly limits: GpuLimits;
  readonly features: ReadonlySet<string>;
  readonly lost: Promise<GpuDeviceLostInfo>;
  addEventListener(type: 'uncapturederror', listener: (event: { readonly error?: { readonly message?: string } }) => void): void;
  destroy(): void;
  /** Error scopes: every WebGPU implementation has them; optional here so that test doubles may leave them out. */
  pushErrorScope?(filter: 'validation' | 'out-of-memory' | 'internal'): void;
  popErrorScope?(): Promise<{ readonly message?: string } | null>;
}

/** `GPUAdapter`, the members used here. */
export interface GpuAdapter {
  readonly features: ReadonlySet<string>;
  readonly limits: GpuLimits;
  readonly info?: GpuAdapterInfo;
  readonly isFallbackAdapter?: boolean;
  requestAdapterInfo?(): Promise<GpuAdapterInfo>;
  requestDevice(descriptor?: { requiredFeatures?: string[]; requiredLimits?: Record<string, number> }): Promise<GpuDevice>;
}

/** `GPU` (navigator.gpu). */
export interface Gpu {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power'; forceFallbackAdapter?: boolean }): Promise<GpuAdapter | null>;
}
