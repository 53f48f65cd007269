import { ConfigError } from '@flatsparse/plugin-api';
import type { ProbeSettings } from './adapter-probe.js';
import { DEFAULT_REQUIRED_LIMITS } from './requirements.js';
import { envVar } from './runtime.js';
import { ALLOW_SOFTWARE_ENV } from './unavailable-reasons.js';

/** Options of the WebGPU backend. */
export interface WebgpuBackendOptions {
  /** Priority in 'auto' selection (default 30: above wasm). */
  readonly priority?: number;
  /**
   * Accept a software adapter (SwiftShader, llvmpipe, WARP): WebGPU on the CPU, for correctness checks.
   * Default: only when FLATSPARSE_WEBGPU_ALLOW_SOFTWARE=1, so 'auto' never picks it over wasm.
   */
  readonly allowSoftware?: boolean;
  /**
   * Node on Linux: SwiftShader's Vulkan driver manifest, used (through VK_ICD_FILENAMES, set only while
   * Dawn creates its instance) when software adapters are allowed, no GPU driver gives an adapter and
   * the user set no VK_ICD_FILENAMES. 'auto' (default) looks where Chromium packages put it; false never.
   */
  readonly swiftShaderIcd?: 'auto' | false | string;
  /** Node: flags for Dawn's create() (for example 'backend=vulkan', 'adapter=NVIDIA ...'). */
  readonly dawnFlags?: readonly string[];
  /** Adapter preference (default 'high-performance'). */
  readonly powerPreference?: 'high-performance' | 'low-power';
  /** Features the adapter must have (default none). */
  readonly requiredFeatures?: readonly string[];
  /** Limits the adapter must reach (default: the WebGPU defaults tfjs relies on). */
  readonly requiredLimits?: Readonly<Record<string, number>>;
}

/** Validated options with defaults. */
export interface ResolvedWebgpuOptions extends ProbeSettings {
  readonly priority: number;
}

const KEYS = ['priority', 'allowSoftware', 'swiftShaderIcd', 'dawnFlags', 'powerPreference', 'requiredFeatures', 'requiredLimits'];
const fail = (key: string, what: string, received: unknown, expected: string): never => {
  throw new ConfigError(`webgpuBackend.${key}`, what, { received, expected, fix: 'see WebgpuBackendOptions in @flatsparse/backend-webgpu (docs/webgpu.md).' });
};
const strings = (v: unknown): v is readonly string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Checks the options (throws ConfigError naming the key) and fills in the defaults. */
export function resolveWebgpuOptions(options: WebgpuBackendOptions = {}): ResolvedWebgpuOptions {
  if (typeof options !== 'object' || options === null) fail('', 'options must be an object.', options, 'an object');
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!KEYS.includes(key)) fail(key, `unknown option '${key}'.`, key, `one of ${KEYS.join(', ')}`);
  if (o.priority !== undefined && !(typeof o.priority === 'number' && Number.isFinite(o.priority))) fail('priority', 'must be a finite number.', o.priority, 'a number');
  if (o.allowSoftware !== undefined && typeof o.allowSoftware !== 'boolean') fail('allowSoftware', 'must be a boolean.', o.allowSoftware, 'true or false');
  const icd = o.swiftShaderIcd;
  if (icd !== undefined && icd !== false && !(typeof icd === 'string' && icd.length > 0)) fail('swiftShaderIcd', "must be 'auto', false or a path.", icd, "'auto', false or a path to vk_swiftshader_icd.json");
  if (o.dawnFlags !== undefined && !strings(o.dawnFlags)) fail('dawnFlags', 'must be an array of strings.', o.dawnFlags, "for example ['backend=vulkan']");
  if (o.powerPreference !== undefined && o.powerPreference !== 'high-performance' && o.powerPreference !== 'low-power') fail('powerPreference', 'is not a power preference.', o.powerPreference, "'high-performance' or 'low-power'");
  if (o.requiredFeatures !== undefined && !strings(o.requiredFeatures)) fail('requiredFeatures', 'must be an array of feature names.', o.requiredFeatures, "for example ['shader-f16']");
  const limits = o.requiredLimits;
  if (limits !== undefined && (typeof limits !== 'object' || limits === null || Object.values(limits).some((v) => typeof v !== 'number' || !(v >= 0)))) {
    fail('requiredLimits', 'must map limit names to non-negative numbers.', limits, '{ maxStorageBufferBindingSize: 134217728, ... }');
  }
  const fromEnv = /^(1|true|yes)$/i.test(envVar(ALLOW_SOFTWARE_ENV) ?? '');
  return {
    priority: options.priority ?? 30,
    allowSoftware: options.allowSoftware ?? fromEnv,
    swiftShaderIcd: icd === undefined ? 'auto' : (icd as string | false),
    dawnFlags: options.dawnFlags ?? [],
    powerPreference: options.powerPreference ?? 'high-performance',
    requiredFeatures: options.requiredFeatures ?? [],
    requiredLimits: options.requiredLimits ?? DEFAULT_REQUIRED_LIMITS,
  };
}
