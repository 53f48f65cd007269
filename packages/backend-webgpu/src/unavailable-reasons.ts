import type { VulkanInventory } from './vulkan-setup.js';

/** Environment variable that allows software adapters (SwiftShader) without code changes ('1' or 'true'). */
export const ALLOW_SOFTWARE_ENV = 'FLATSPARSE_WEBGPU_ALLOW_SOFTWARE';

/** Fix when only a software adapter is there. */
export const ALLOW_SOFTWARE_FIX = `for correctness checks, allow it: set ${ALLOW_SOFTWARE_ENV}=1 (or pass webgpuBackend({ allowSoftware: true })); for speed, use the wasm backend, or a machine with a GPU driver (then unset VK_ICD_FILENAMES).`;

/** Fix when Linux has no Vulkan loader or no driver Dawn accepts. */
export const NO_LOADER_FIX =
  `with a GPU: install its driver with Vulkan support (NVIDIA's proprietary driver, or Mesa's radv/anv) and libvulkan1; without one: apt-get install -y chromium (it ships a Vulkan loader and SwiftShader), then set ${ALLOW_SOFTWARE_ENV}=1 (flatsparse then points VK_ICD_FILENAMES at /usr/lib/chromium/vk_swiftshader_icd.json itself).`;

/** Fix in a browser. */
export const BROWSER_FIX =
  'use a browser with WebGPU (Chrome or Edge 113+, Safari 26+, Firefox 141+ on Windows) on a secure origin (https or localhost); headless Chromium needs --enable-unsafe-webgpu (and --enable-features=Vulkan with SwiftShader); otherwise use the wasm backend.';

/** Why Dawn found no adapter on Linux, from what the machine offers, with the fix. */
export function explainNoAdapter(inventory: VulkanInventory, allowSoftware: boolean): { reason: string; fix: string } {
  const swift = inventory.swiftShaderIcd;
  if (inventory.userIcd) {
    const { variable, value, missing } = inventory.userIcd;
    const reason = missing.length > 0 ? `${variable}=${value} is set, but ${missing.join(', ')} does not exist.` : `${variable}=${value} is set, and Dawn found no WebGPU adapter among those drivers.`;
    const fix = swift
      ? `point it at SwiftShader (${variable}=${swift})${allowSoftware ? '' : ` and set ${ALLOW_SOFTWARE_ENV}=1`}, or unset it to use the system's GPU drivers.`
      : `correct the path (Debian's chromium: /usr/lib/chromium/vk_swiftshader_icd.json), or unset it to use the system's GPU drivers.`;
    return { reason, fix };
  }
  if (swift && !allowSoftware) {
    const drivers = inventory.systemIcds.length > 0 ? `none of the installed Vulkan drivers (${inventory.systemIcds.join(', ')}) gives Dawn an adapter` : 'no GPU Vulkan driver is installed';
    return { reason: `${drivers}; only SwiftShader (${swift}), a software driver, is there, and flatsparse uses it only when asked.`, fix: ALLOW_SOFTWARE_FIX };
  }
  if (swift) {
    return { reason: `Dawn found no adapter, not even through SwiftShader (${swift}).`, fix: 'check that libvk_swiftshader.so sits next to that manifest (apt-get install --reinstall chromium), or install a GPU driver.' };
  }
  if (inventory.systemIcds.length > 0) {
    return {
      reason: `Vulkan drivers are installed (${inventory.systemIcds.join(', ')}), but Dawn accepts none of them as a WebGPU adapter (it rejects Mesa's lavapipe, which lacks shaderUniform*ArrayDynamicIndexing), and SwiftShader was not found.`,
      fix: NO_LOADER_FIX,
    };
  }
  return { reason: 'no Vulkan driver is installed (no manifest in /etc/vulkan/icd.d or /usr/share/vulkan/icd.d), and SwiftShader (Debian\'s chromium package) was not found.', fix: NO_LOADER_FIX };
}
