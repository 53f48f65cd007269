import { describe, expect, it } from 'vitest';
import * as data from './index.js';

describe('@flatsparse/data exports', () => {
  it('exports every factory and the config entry point, and starts no loading on import', () => {
    for (const name of ['mnistDataset', 'mobyDickDataset', 'syntheticImageDataset', 'syntheticTextDataset', 'imageArrayDataset', 'textFileDataset', 'datasetFromConfig', 'splitIndices', 'readNpy', 'parseNpy'] as const) {
      expect(typeof data[name]).toBe('function');
    }
    expect(typeof data.datasetConfigSchema.safeParse).toBe('function');
    expect(Object.values(data).some((v) => v instanceof Promise)).toBe(false);
  });
});
