import { describe, expect, it } from 'vitest';
import { Rng } from './random.js';

describe('Rng', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = new Rng(42).fill(8, (r) => r.uniform());
    expect(new Rng(42).fill(8, (r) => r.uniform())).toEqual(a);
    expect(new Rng(43).fill(8, (r) => r.uniform())).not.toEqual(a);
  });

  it('restores exactly from its state', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 10; i++) rng.nextUint32();
    const copy = Rng.fromState(rng.state());
    expect(Array.from({ length: 5 }, () => copy.nextUint32())).toEqual(Array.from({ length: 5 }, () => rng.nextUint32()));
  });

  it('draws uniforms in [0, 1) with the right mean and normals with unit variance', () => {
    const rng = new Rng(1);
    const n = 20000;
    let su = 0;
    let sn = 0;
    let sn2 = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      su += u;
      const z = rng.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(Math.abs(su / n - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(sn / n)).toBeLessThan(0.03);
    expect(Math.abs(sn2 / n - 1)).toBeLessThan(0.05);
  });

  it('shuffles into a permutation', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = new Rng(3).shuffle([...items]);
    expect(shuffled).not.toEqual(items);
    expect([...shuffled].sort((x, y) => x - y)).toEqual(items);
  });
});
