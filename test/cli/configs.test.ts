import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig } from '../../packages/cli/src/config/load-config.js';
import { resolveConfig } from '../../packages/cli/src/config/resolve-config.js';
import { demoConfig } from '../../packages/cli/src/demo-config.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'configs');

describe('shipped configs', () => {
  it.each(readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)))('%s validates and resolves to a pipeline', async (file) => {
    const config = await loadConfigFile(join(dir, file));
    const spec = await resolveConfig(config, { backends: [], configDir: dir });
    expect(spec.plugins.length).toBeGreaterThan(0);
    expect(spec.metrics!.length).toBe(config.metrics.length);
    expect(spec.train.steps).toBe(config.train.steps);
  });

  it('the demo config validates for any step count', () => {
    for (const steps of [3, 30, 300]) expect(parseConfig(demoConfig(steps)).train.steps).toBe(steps);
  });
});
