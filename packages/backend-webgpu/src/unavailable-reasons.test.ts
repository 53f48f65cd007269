import { describe, expect, it } from 'vitest';
import { ALLOW_SOFTWARE_ENV, explainNoAdapter } from './unavailable-reasons.js';

const SWIFT = '/usr/lib/chromium/vk_swiftshader_icd.json';

describe('explainNoAdapter', () => {
  it('a missing file in a user-set VK_ICD_FILENAMES is named, and the fix points at SwiftShader when there is one', () => {
    const r = explainNoAdapter({ userIcd: { variable: 'VK_ICD_FILENAMES', value: '/nope.json', missing: ['/nope.json'] }, systemIcds: [], swiftShaderIcd: SWIFT }, true);
    expect(r.reason).toBe('VK_ICD_FILENAMES=/nope.json is set, but /nope.json does not exist.');
    expect(r.fix).toContain(`VK_ICD_FILENAMES=${SWIFT}`);
    expect(r.fix).not.toContain(ALLOW_SOFTWARE_ENV); // already allowed
    expect(explainNoAdapter({ userIcd: { variable: 'VK_ICD_FILENAMES', value: '/nope.json', missing: ['/nope.json'] }, systemIcds: [], swiftShaderIcd: SWIFT }, false).fix).toContain(`${ALLOW_SOFTWARE_ENV}=1`);
  });

  it('SwiftShader present but software not allowed: says so, and how to allow it', () => {
    const r = explainNoAdapter({ systemIcds: [], swiftShaderIcd: SWIFT }, false);
    expect(r.reason).toMatch(/no GPU Vulkan driver is installed; only SwiftShader .* is there/);
    expect(r.fix).toContain(`${ALLOW_SOFTWARE_ENV}=1`);
  });

  it("drivers Dawn rejects (Mesa's lavapipe) and no SwiftShader: names them, and the fix installs chromium or a GPU driver", () => {
    const r = explainNoAdapter({ systemIcds: ['/usr/share/vulkan/icd.d/lvp_icd.x86_64.json'] }, true);
    expect(r.reason).toMatch(/lvp_icd.*lavapipe/);
    expect(r.fix).toMatch(/apt-get install -y chromium/);
  });

  it('nothing at all: no Vulkan driver and no SwiftShader', () => {
    const r = explainNoAdapter({ systemIcds: [] }, true);
    expect(r.reason).toMatch(/^no Vulkan driver is installed/);
    expect(r.fix).toMatch(/GPU: install its driver/);
  });
});
