import { main } from '@flatsparse/cli';
import { builtinPlugins } from '@flatsparse/plugins';
import { describe, expect, it } from 'vitest';
import { recordingIo } from './recording-io.js';

describe('flatsparse plugins', () => {
  it('lists every built-in with its kind, the config key it goes under and its description', async () => {
    const io = recordingIo();
    expect(await main(['plugins'], io)).toBe(0);
    const lines = io.text().split('\n');
    for (const [name, entry] of builtinPlugins) {
      const line = lines.find((l) => l.startsWith(`${name} `));
      expect(line, name).toBeDefined();
      expect(line!.split(/\s{2,}/).slice(0, 4)).toEqual([name, entry.kind, { activation: 'activation', metric: 'metrics', regularizer: 'plugins', estimator: 'estimators', 'update-method': 'plugins' }[entry.kind], entry.description]);
    }
    for (const model of ['gpt', 'vit']) expect(lines.find((l) => l.startsWith(`${model} `))!.split(/\s{2,}/).slice(0, 3)).toEqual([model, 'model', 'model.kind']);
    expect(io.text()).toContain("'flatsparse new-plugin'");
  });
});
