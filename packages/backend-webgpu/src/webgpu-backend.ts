import type { Availability, Backend, BackendInfo } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { adapterFacts, adapterName, softwareNote } from './adapter-facts.js';
import { probeAdapter } from './adapter-probe.js';
import { resolveWebgpuOptions, type WebgpuBackendOptions } from './backend-options.js';
import { startTfjsWebgpu, type ActiveWebgpu } from './tfjs-webgpu.js';

const CAPABILITIES = { float16: false, exactSecondOrder: false, gpu: true } as const;

/**
 * The WebGPU backend (@tensorflow/tfjs-backend-webgpu). In a browser it uses navigator.gpu; in Node it
 * provides navigator.gpu from Dawn (the optional `webgpu` package) and, on Linux, finds a Vulkan
 * driver (a GPU's, or SwiftShader from Debian's chromium package when software adapters are allowed).
 * Nothing is imported until `isAvailable()`/`init()`. BackendInfo names the adapter, and a software
 * adapter is flagged (facts.softwareFallback, and `fallback`), so a result never hides it.
 */
export function webgpuBackend(options: WebgpuBackendOptions = {}): Backend {
  const o = resolveWebgpuOptions(options);
  let active: ActiveWebgpu | undefined;
  return {
    name: 'webgpu',
    tfjsName: 'webgpu',
    priority: o.priority,
    capabilities: CAPABILITIES,
    install: "pnpm add @flatsparse/backend-webgpu (Node also needs the optional 'webgpu' package; Linux without a GPU: apt-get install chromium for SwiftShader)",
    async isAvailable(): Promise<Availability> {
      try {
        const probe = await probeAdapter(o);
        if (!probe.ok) return { available: false, reason: probe.reason, fix: probe.fix };
        const software = probe.description.software ? ', software adapter' : '';
        return { available: true, detail: `WebGPU adapter ${adapterName(probe.description)} (${probe.runtime}${software})` };
      } catch (err) {
        return { available: false, reason: `the WebGPU probe failed: ${err instanceof Error ? err.message : String(err)}`, fix: 'use the wasm backend, and report this with the output of `flatsparse backends`.' };
      }
    },
    async init(): Promise<BackendInfo> {
      if (active) await this.dispose();
      const probe = await probeAdapter(o);
      if (!probe.ok) throw new Error(`${probe.reason} Fix: ${probe.fix}`);
      active = await startTfjsWebgpu(probe, o.requiredFeatures);
      const d = probe.description;
      const where = probe.runtime === 'node' ? "Dawn in Node (npm 'webgpu')" : 'the browser';
      return {
        name: 'webgpu',
        tfjsName: tf.getBackend(),
        detail: `tfjs-backend-webgpu on ${adapterName(d)} via ${where}${d.software ? ' [SOFTWARE ADAPTER: no GPU]' : ''}`,
        capabilities: CAPABILITIES,
        ...(d.software ? { fallback: softwareNote(d) } : {}),
        facts: adapterFacts(d, probe.runtime, active.device.limits, probe.setup),
      };
    },
    async dispose(): Promise<void> {
      const current = active;
      active = undefined;
      await current?.stop();
    },
  };
}
