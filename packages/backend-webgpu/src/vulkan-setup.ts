import { envVar, fileExists, jsonFilesIn, messageOf, nodeProcess } from './runtime.js';

/**
 * Vulkan on Linux, as Dawn (the `webgpu` package) reaches it: a loader (libvulkan.so.1) and drivers
 * (ICDs, listed by JSON manifests). Debian's chromium package ships both a loader and SwiftShader, a
 * software Vulkan driver; Dawn accepts SwiftShader (it rejects Mesa's lavapipe).
 */

/** Where Chromium builds put SwiftShader's ICD manifest (Debian/Ubuntu chromium, Fedora, Google Chrome). */
export const SWIFTSHADER_ICDS: readonly string[] = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib64/chromium-browser/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json',
];

/** Directories the Vulkan loader searches for driver manifests when VK_ICD_FILENAMES is not set. */
export const SYSTEM_ICD_DIRS: readonly string[] = ['/etc/vulkan/icd.d', '/usr/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/local/etc/vulkan/icd.d'];

/** The two names the loader reads for an explicit driver list (VK_DRIVER_FILES is the newer one). */
export const ICD_ENV_VARS = ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES'] as const;

/** What this machine offers for Vulkan. */
export interface VulkanInventory {
  /** The driver list the user set (VK_ICD_FILENAMES or VK_DRIVER_FILES), honoured as it is. */
  readonly userIcd?: { readonly variable: string; readonly value: string; readonly missing: readonly string[] };
  /** Driver manifests installed in the system directories. */
  readonly systemIcds: readonly string[];
  /** SwiftShader's manifest, if one was found (or given) and not switched off. */
  readonly swiftShaderIcd?: string;
}

/** Looks for the user's driver list, the system drivers and SwiftShader (`icd`: a path, 'auto' or false). */
export async function inspectVulkan(icd: string | false): Promise<VulkanInventory> {
  const variable = ICD_ENV_VARS.find((v) => envVar(v) !== undefined);
  let userIcd: VulkanInventory['userIcd'];
  if (variable !== undefined) {
    const value = envVar(variable)!;
    const missing: string[] = [];
    for (const file of value.split(':').filter(Boolean)) if (!(await fileExists(file))) missing.push(file);
    userIcd = { variable, value, missing };
  }
  const systemIcds = (await Promise.all(SYSTEM_ICD_DIRS.map(jsonFilesIn))).flat();
  const candidates = icd === false ? [] : icd === 'auto' ? SWIFTSHADER_ICDS : [icd];
  let swiftShaderIcd: string | undefined;
  for (const c of candidates) {
    if (await fileExists(c)) {
      swiftShaderIcd = c;
      break;
    }
  }
  return { ...(userIcd ? { userIcd } : {}), systemIcds, ...(swiftShaderIcd ? { swiftShaderIcd } : {}) };
}

const RTLD_NOW = 2;
const RTLD_NODELETE = 0x1000; // glibc value; Node's os.constants.dlopen does not list it.

/**
 * Makes sure a Vulkan loader is loaded before Dawn looks for one: the system's libvulkan.so.1 if it is
 * installed, otherwise the copy next to the SwiftShader manifest (Chromium ships its own). The library
 * is opened with RTLD_NODELETE, so it stays loaded and Dawn's dlopen('libvulkan.so.1') finds it by its
 * soname. Returns 'system', the path of the copy loaded, or undefined when there is none.
 */
export function preloadVulkanLoader(inventory: VulkanInventory): string | undefined {
  // Once a copy is loaded, dlopen('libvulkan.so.1') finds it by soname: remember which one it was.
  preloaded ??= openLoader(inventory);
  return preloaded;
}

let preloaded: string | undefined;

function openLoader(inventory: VulkanInventory): string | undefined {
  const p = nodeProcess();
  if (p?.platform !== 'linux' || typeof p.dlopen !== 'function') return 'system';
  const candidates = ['libvulkan.so.1', ...[inventory.userIcd?.value.split(':')[0], inventory.swiftShaderIcd].filter((f): f is string => f !== undefined).map((f) => `${f.slice(0, f.lastIndexOf('/'))}/libvulkan.so.1`)];
  for (const lib of candidates) {
    try {
      p.dlopen({ exports: {} }, lib, RTLD_NOW | RTLD_NODELETE);
      return lib === 'libvulkan.so.1' ? 'system' : lib; // a Node addon would register itself; a plain library does not
    } catch (err) {
      if (/self-register/i.test(messageOf(err))) return lib === 'libvulkan.so.1' ? 'system' : lib;
    }
  }
  return undefined;
}
