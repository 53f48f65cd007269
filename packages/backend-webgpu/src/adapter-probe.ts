import { adapterName, describeAdapter, type AdapterDescription, type NodeSetup } from './adapter-facts.js';
import type { Gpu, GpuAdapter } from './gpu-types.js';
import { existingGpu, loadDawn, type DawnModule } from './node-gpu.js';
import { missingRequirements } from './requirements.js';
import { isNode, messageOf, nodeProcess, withEnv } from './runtime.js';
import { explainNoAdapter, ALLOW_SOFTWARE_FIX, BROWSER_FIX, NO_LOADER_FIX } from './unavailable-reasons.js';
import { inspectVulkan, preloadVulkanLoader, type VulkanInventory } from './vulkan-setup.js';

/** What the probe needs from the backend options. */
export interface ProbeSettings {
  readonly allowSoftware: boolean;
  readonly swiftShaderIcd: string | false;
  readonly dawnFlags: readonly string[];
  readonly powerPreference: 'high-performance' | 'low-power';
  readonly requiredFeatures: readonly string[];
  readonly requiredLimits: Readonly<Record<string, number>>;
}

/** An adapter that can be used, with how it was reached. */
export interface FoundAdapter {
  readonly ok: true;
  readonly gpu: Gpu;
  readonly adapter: GpuAdapter;
  readonly description: AdapterDescription;
  readonly runtime: 'node' | 'browser';
  readonly setup: NodeSetup;
  /** Dawn, when this package created the GPU object (its globals must be installed for tfjs). */
  readonly dawn?: DawnModule;
}

/** The probe's answer: an adapter, or why not with the fix. */
export type Probe = FoundAdapter | { readonly ok: false; readonly reason: string; readonly fix: string };

/**
 * Finds a WebGPU adapter without throwing. In a browser (or when navigator.gpu is already defined) it
 * asks navigator.gpu. In Node it loads Dawn from the `webgpu` package; on Linux it first makes sure a
 * Vulkan loader is loaded, honours a user-set VK_ICD_FILENAMES, tries the system's drivers, and, when
 * software adapters are allowed and nothing else is set, SwiftShader's driver from Debian's chromium
 * package (VK_ICD_FILENAMES is set only while Dawn creates its Vulkan instance). Then it checks the
 * software policy and the required features and limits.
 */
export async function probeAdapter(s: ProbeSettings): Promise<Probe> {
  const existing = existingGpu();
  if (existing) return check(await request(existing, s), isNode() ? 'node' : 'browser', {}, s, undefined);
  if (!isNode()) return { ok: false, reason: 'this browser has no WebGPU (navigator.gpu is undefined).', fix: BROWSER_FIX };
  const load = await loadDawn();
  if (!load.ok) return load;
  const dawn = load.dawn;
  if (nodeProcess()?.platform !== 'linux') return check(await request(dawn.create([...s.dawnFlags]), s), 'node', {}, s, dawn);
  const inventory = await inspectVulkan(s.swiftShaderIcd);
  const vulkanLoader = preloadVulkanLoader(inventory);
  if (vulkanLoader === undefined) return { ok: false, reason: 'no Vulkan loader (libvulkan.so.1) is installed, so Dawn can reach no GPU or software driver.', fix: NO_LOADER_FIX };
  for (const attempt of attempts(inventory, s.allowSoftware)) {
    const found = await withEnv({ VK_ICD_FILENAMES: attempt.icd }, async () => {
      const gpu = dawn.create([...s.dawnFlags]);
      return request(gpu, s);
    });
    if (found.adapter) {
      const setup: NodeSetup = { vulkanLoader, ...(attempt.icd ? { vulkanIcd: attempt.icd } : {}), ...(attempt.setBy ? { vulkanIcdSetBy: attempt.setBy } : {}) };
      return check(found, 'node', setup, s, dawn);
    }
    if (found.error) return { ok: false, reason: `Dawn failed while looking for an adapter: ${found.error}`, fix: 'report this with the output of `flatsparse backends`; meanwhile use the wasm backend.' };
  }
  return { ok: false, ...explainNoAdapter(inventory, s.allowSoftware) };
}

interface Attempt {
  /** VK_ICD_FILENAMES to set while creating the instance (undefined: leave the environment as it is). */
  readonly icd?: string;
  readonly setBy?: 'user' | 'flatsparse';
}

/** The driver lists to try, best first. */
function attempts(inventory: VulkanInventory, allowSoftware: boolean): Attempt[] {
  if (inventory.userIcd) return [{ setBy: 'user', icd: inventory.userIcd.value }];
  const list: Attempt[] = [];
  if (inventory.systemIcds.length > 0) list.push({});
  if (allowSoftware && inventory.swiftShaderIcd) list.push({ icd: inventory.swiftShaderIcd, setBy: 'flatsparse' });
  return list;
}

async function request(gpu: Gpu, s: ProbeSettings): Promise<{ gpu: Gpu; adapter?: GpuAdapter; error?: string }> {
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: s.powerPreference });
    return adapter ? { gpu, adapter } : { gpu };
  } catch (err) {
    return { gpu, error: messageOf(err) };
  }
}

async function check(found: { gpu: Gpu; adapter?: GpuAdapter; error?: string }, runtime: 'node' | 'browser', setup: NodeSetup, s: ProbeSettings, dawn: DawnModule | undefined): Promise<Probe> {
  if (!found.adapter) {
    const why = found.error ? `requestAdapter() failed: ${found.error}` : 'navigator.gpu.requestAdapter() returned no adapter (WebGPU is disabled, or the GPU is blocklisted).';
    return { ok: false, reason: why, fix: BROWSER_FIX };
  }
  const description = await describeAdapter(found.adapter);
  if (description.software && !s.allowSoftware) {
    return { ok: false, reason: `the only WebGPU adapter is a software one (${adapterName(description)}), which flatsparse uses only when asked: it runs WebGPU on the CPU, far slower than the wasm backend.`, fix: ALLOW_SOFTWARE_FIX };
  }
  const missing = missingRequirements(found.adapter, s.requiredFeatures, s.requiredLimits);
  if (missing.length > 0) {
    return { ok: false, reason: `the adapter ${adapterName(description)} lacks what the backend requires: ${missing.join('; ')}.`, fix: 'use another GPU or browser (a compatibility-mode adapter has lower limits), lower requiredLimits/requiredFeatures in webgpuBackend(options), or use the wasm backend.' };
  }
  return { ok: true, gpu: found.gpu, adapter: found.adapter, description, runtime, setup, ...(dawn ? { dawn } : {}) };
}
