import { DataError } from '@flatsparse/plugin-api';
import { describe, expect, it } from 'vitest';
import { seededPermutation, splitIndices } from './split-indices.js';

describe('seededPermutation', () => {
  it('is a permutation of 0..n-1, identical for one seed and different for another', () => {
    const a = seededPermutation(500, 7);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(seededPermutation(500, 7)).toEqual(a);
    const b = seededPermutation(500, 8);
    expect(b).not.toEqual(a);
    expect([...b].sort((x, y) => x - y)).toEqual([...a].sort((x, y) => x - y));
  });
});

describe('splitIndices', () => {
  it('gives disjoint splits of the asked sizes, together a subset of 0..n-1', () => {
    const { train, heldOut } = splitIndices(1000, 100, 3, 600);
    expect(train.length).toBe(600);
    expect(heldOut.length).toBe(100);
    const seen = new Set<number>();
    for (const i of [...train, ...heldOut]) {
      expect(i).toBeGreaterThanOrEqual(0);
      expect(i).toBeLessThan(1000);
      expect(seen.has(i)).toBe(false);
      seen.add(i);
    }
  });

  it('uses every remaining example for training when train is omitted', () => {
    const { train, heldOut } = splitIndices(50, 10, 1);
    expect(train.length + heldOut.length).toBe(50);
    expect(new Set([...train, ...heldOut]).size).toBe(50);
  });

  it('is deterministic, keeps the held-out split fixed when the training size changes, and grows training by a prefix', () => {
    const small = splitIndices(300, 40, 11, 50);
    const large = splitIndices(300, 40, 11, 200);
    expect(splitIndices(300, 40, 11, 50)).toEqual(small);
    expect(large.heldOut).toEqual(small.heldOut);
    expect(large.train.slice(0, 50)).toEqual(small.train);
    expect(splitIndices(300, 40, 12, 50).train).not.toEqual(small.train);
  });

  it('throws DataError when the sizes exceed n or are not whole numbers', () => {
    expect(() => splitIndices(10, 5, 0, 6, 'tiny')).toThrow(DataError);
    expect(() => splitIndices(10, 5, 0, 6, 'tiny')).toThrow(/only 10 exist/);
    expect(() => splitIndices(10, 1.5, 0)).toThrow(DataError);
    expect(() => splitIndices(10, -1, 0)).toThrow(DataError);
  });
});
