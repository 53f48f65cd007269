import { ConfigError, parseOptions } from '@flatsparse/plugin-api';
import { describe, expect, it } from 'vitest';
import { expandSweep, mergePatch } from './expand.js';
import { arraySpec, sbatchArgs } from './engine-slurm.js';
import { canonicalJson, runId } from './run-id.js';
import { sweepSchema } from './sweep-schema.js';

const BASE = {
  name: 'tiny',
  model: { kind: 'vit', patch: 4, d: 8, depth: 1, heads: 2, mlpWidth: 8 },
  data: { source: 'synthetic-image', classes: 2, imageSize: 4, trainSize: 32, heldOutSize: 16 },
  train: { steps: 12, batchSize: 8, lr: 0.01 },
};

const file = (value: unknown) => parseOptions(sweepSchema, value, { path: '', fix: 'see docs/sweeps.md.' });
const expand = (value: unknown, backend?: string) => expandSweep(file(value), 'study', BASE, { out: '/tmp/out', backend });

describe('sweep expansion', () => {
  it('takes every combination, first axis outermost, in each of the three axis forms', () => {
    const runs = expand({ base: 'x.yaml', axes: { arm: { vanilla: {}, m3: { activation: 'j-squared-relu' } }, seed: [0, 1], lrs: { key: ['train.lr', 'train.optimizer.weightDecay'], values: [0.1] } } });
    expect(runs.map((r) => Object.values(r.labels).join('/'))).toEqual(['vanilla/0/0.1', 'vanilla/1/0.1', 'm3/0/0.1', 'm3/1/0.1']);
    expect(runs.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    expect(runs[2]!.config.activation).toBe('j-squared-relu');
    expect(runs[0]!.config.activation).toBe('relu');
    expect(runs[1]!.config.seed).toBe(1);
    expect(runs[3]!.config.train.lr).toBe(0.1);
    expect(runs[3]!.config.train.optimizer?.weightDecay).toBe(0.1);
    expect(runs[3]!.config.name).toBe('tiny-m3-1-0.1');
    expect(runs[0]!.runDir).toBe(`/tmp/out/${runs[0]!.id}`);
  });

  it('gives deterministic ids that change with what a run computes, not with its backend', () => {
    const sweep = { base: 'x.yaml', axes: { seed: [0, 1] } };
    const [a, b] = expand(sweep);
    expect(expand(sweep).map((r) => r.id)).toEqual([a!.id, b!.id]);
    expect(a!.id).toMatch(/^[0-9a-f]{12}$/);
    expect(a!.id).not.toBe(b!.id);
    expect(expand(sweep, 'wasm')[0]!.id).toBe(a!.id);
    expect(runId(a!.config, '99.0.0')).not.toBe(a!.id);
    // Defaults written out or left implicit are the same run.
    expect(expandSweep(file(sweep), 'study', { ...BASE, activation: 'relu' }, { out: '/tmp/out' })[0]!.id).toBe(a!.id);
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
  });

  it('leaves out the combinations an exclude entry matches, keeping the other runs and their ids', () => {
    const axes = { arm: { vanilla: {}, m3: { activation: 'j-squared-relu' }, m2: {} }, seed: [0, 1, 2] };
    const all = expand({ base: 'x.yaml', axes });
    const some = expand({ base: 'x.yaml', axes, exclude: [{ arm: ['m3', 'm2'], seed: [1, 2] }, { arm: 'vanilla', seed: 0 }] });
    expect(some.map((r) => `${r.labels['arm']}/${r.labels['seed']}`)).toEqual(['vanilla/1', 'vanilla/2', 'm3/0', 'm2/0']);
    expect(some.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    const idOf = (runs: typeof all, arm: string, seed: string) => runs.find((r) => r.labels['arm'] === arm && r.labels['seed'] === seed)!.id;
    expect(idOf(some, 'm3', '0')).toBe(idOf(all, 'm3', '0'));
    expect(() => expand({ base: 'x.yaml', axes, exclude: [{ arms: 'm3' }] })).toThrow(/exclude\.0\.arms|'arms' is not an axis/);
  });

  it('merges patches key by key, replaces arrays, removes keys set to null', () => {
    expect(mergePatch({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: null })).toEqual({ a: { b: 1, c: [3] } });
  });

  it('names run directories from a template of the axes', () => {
    const runs = expand({ base: 'x.yaml', runDir: '{arm}/seed-{seed}', axes: { arm: { vanilla: {}, 'with.dots': {} }, seed: [0] } });
    expect(runs.map((r) => r.runDir)).toEqual(['/tmp/out/vanilla/seed-0', '/tmp/out/with.dots/seed-0']);
  });

  it('rejects bad sweeps naming the key and the accepted forms', () => {
    const error = (value: unknown) => {
      try {
        expand(value);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return err as ConfigError;
      }
      throw new Error('no error');
    };
    expect(error({ axes: { seed: [0] } }).message).toMatch(/'base'.*base config \(base: path or object\) or preset/);
    expect(error({ base: 'x', axes: { seed: [] } }).path).toBe('axes.seed');
    expect(error({ base: 'x', axes: { seed: [0] }, runDir: '{arm}' }).message).toMatch(/'\{arm\}' is neither \{id\} nor an axis.*\{seed\}/);
    expect(error({ base: 'x', axes: { seed: [0, 1] }, runDir: 'same' }).message).toMatch(/runs 0 and 1 would share the directory/);
    const bad = error({ base: 'x', axes: { arm: { a: { train: { lr: '0.1' } } } } });
    expect(bad.path).toBe('train.lr');
    expect(bad.message).toMatch(/in run 0 of the sweep: arm=a/);
    expect(error({ base: 'x', axes: { seed: [0] }, engine: 'x' }).message).toMatch(/unknown option 'engine'/);
    expect(error({ preset: { name: 'reproduce' }, axes: { task: ['imagenet'], arm: ['vanilla'] } }).message).toMatch(/unknown task 'imagenet'.*vit-mnist, gpt-moby-dick/);
  });

  it('expands the reproduce preset to the configs `flatsparse reproduce` trains', () => {
    const preset = file({ preset: { name: 'reproduce', quick: true, steps: 8 }, runDir: '{task}/{arm}/seed-{seed}', axes: { task: ['vit-mnist'], arm: ['vanilla', 'm3-jsrelu'], seed: [1] } });
    const runs = expandSweep(preset, 'reproduce', {}, { out: '/tmp/out' });
    expect(runs.map((r) => r.config.name)).toEqual(['vit-mnist-vanilla-s1', 'vit-mnist-m3-jsrelu-s1']);
    expect(runs[1]!.config.activation).toBe('j-squared-relu');
    expect(runs[1]!.config.train.steps).toBe(8);
    expect(runs[1]!.runDir).toBe('/tmp/out/vit-mnist/m3-jsrelu/seed-1');
  });

  it('writes Slurm array indices as ranges', () => {
    expect(arraySpec([0, 1, 2, 3])).toBe('0-3');
    expect(arraySpec([7, 0, 2, 3, 9, 10])).toBe('0,2-3,7,9-10');
  });

  it('builds the sbatch options from the sweep file, the flags overriding it', () => {
    const f = file({ name: 'grid', base: 'x.yaml', axes: { seed: [0, 1, 2, 3] }, slurm: { partition: 'gpu', gres: 'gpu:1', time: '01:00:00', throttle: 8, options: ['--mem=16G'] } });
    const runs = expandSweep(f, 'grid', BASE, { out: '/tmp/out' });
    const sweep = { path: '/tmp/grid.yaml', name: 'grid', file: f, out: '/tmp/out', configDir: '/tmp', runs };
    const { array, collect } = sbatchArgs(sweep, [runs[0]!, runs[1]!, runs[3]!], { throttle: 2, gres: 'gpu:a100:1', sbatchOptions: ['--account=lab'] }, '/tmp/out/.sweep/slurm');
    expect(array).toEqual(['--parsable', '--job-name=grid', '--array=0-1,3%2', '--requeue', '--open-mode=append', '--output=/tmp/out/.sweep/slurm/%A_%a.out', '--partition=gpu', '--time=01:00:00', '--gres=gpu:a100:1', '--mem=16G', '--account=lab']);
    expect(collect('77')).toEqual(['--parsable', '--job-name=grid-collect', '--dependency=afterany:77', '--output=/tmp/out/.sweep/slurm/collect-%j.out', '--partition=gpu', '--time=01:00:00', '--mem=16G', '--account=lab']);
  });
});
