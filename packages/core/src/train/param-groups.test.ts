import { describe, expect, it } from 'vitest';
import { DEFAULT_NO_DECAY, resolveGroup } from './param-groups.js';

const base = { weightDecay: 0.1, noDecay: DEFAULT_NO_DECAY };

describe('resolveGroup', () => {
  it('decays matrices but not biases, LayerNorm parameters or embeddings by default', () => {
    expect(resolveGroup('blocks.0.mlp.key.weight', [4, 8], [], base)).toEqual({ lrMultiplier: 1, weightDecay: 0.1 });
    expect(resolveGroup('head.weight', [4, 3], [], base).weightDecay).toBe(0.1);
    expect(resolveGroup('blocks.0.mlp.key.bias', [8], [], base).weightDecay).toBe(0);
    expect(resolveGroup('blocks.1.ln2.scale', [4], [], base).weightDecay).toBe(0);
    expect(resolveGroup('embed.tokens', [50, 4], [], base).weightDecay).toBe(0);
    expect(resolveGroup('embed.pos', [9, 4], [], base).weightDecay).toBe(0);
    expect(resolveGroup('blocks.0.zerothBias.table', [9, 4], [], base).weightDecay).toBe(0);
    expect(resolveGroup('blocks.0.attn.lnq', [4, 4], [], { weightDecay: 0.1, noDecay: null }).weightDecay).toBe(0.1);
  });

  it('lets the first matching group set the learning-rate multiplier and weight decay', () => {
    const groups = [
      { match: /zerothBias/, weightDecay: 0.3 },
      { match: ['head.weight', 'head.bias'], lrMultiplier: 10 },
      { match: /head/, lrMultiplier: 99 },
    ];
    expect(resolveGroup('blocks.0.zerothBias.table', [9, 4], groups, base)).toEqual({ lrMultiplier: 1, weightDecay: 0.3 });
    expect(resolveGroup('head.weight', [4, 3], groups, base)).toEqual({ lrMultiplier: 10, weightDecay: 0.1 });
    expect(resolveGroup('head.bias', [3], groups, base)).toEqual({ lrMultiplier: 10, weightDecay: 0 });
    expect(resolveGroup('other.head', [3, 3], groups, base)).toEqual({ lrMultiplier: 99, weightDecay: 0.1 });
  });

  it('is not fooled by a global RegExp remembering its last index', () => {
    const groups = [{ match: /key/g, weightDecay: 0.5 }];
    for (let i = 0; i < 3; i++) expect(resolveGroup('blocks.0.mlp.key.weight', [2, 2], groups, base).weightDecay).toBe(0.5);
  });
});
