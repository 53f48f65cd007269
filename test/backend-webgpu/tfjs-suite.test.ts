import { describe, expect, it } from 'vitest';
import { useTfjsSuite } from '../tfjs-suite/suite.js';

// tfjs-core's own op and gradient tests, under jasmine as tfjs runs them (test/tfjs-suite/README.md),
// in a child process; software adapters (SwiftShader) allowed. Skipped, with the reason, without one.
describe(`tfjs-core's own op suite on webgpu (filter list test/tfjs-suite/filters/webgpu.json)`, () => {
  const suite = useTfjsSuite('webgpu');
  it('every spec passes except those its filter list expects to fail (each with its reason)', (ctx) => {
    const found = suite.findings(ctx);
    expect(found.defined).toBeGreaterThan(3000);
    expect(found.unexpected).toEqual([]);
  });
  it('no spec the filter list excludes passes (remove it from test/tfjs-suite/filters/webgpu.json)', (ctx) => {
    expect(suite.findings(ctx).nowPassing).toEqual([]);
  });
  it('the filter list names no spec that does not exist', (ctx) => {
    expect(suite.findings(ctx).unmatched).toEqual([]);
  });
  it('docs/backends.md shows these counts (regenerate with node test/tfjs-suite/docs-table.mjs)', async (ctx) => {
    const { shown, measured } = await suite.docsRow(ctx);
    expect(shown, 'docs/backends.md has no generated tfjs-suite row for this backend').toBeDefined();
    expect(shown).toEqual(measured);
  });
});
