import { main } from '@flatsparse/cli';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordingIo } from './recording-io.js';

const good = {
  name: 't',
  model: { kind: 'vit', patch: 4, d: 8, depth: 1, heads: 2, mlpWidth: 16 },
  data: { source: 'synthetic-image', classes: 3, imageSize: 8, trainSize: 32, heldOutSize: 16 },
  train: { steps: 2, batchSize: 8 },
};

async function runWith(config: unknown, ext = '.json'): Promise<{ code: number; text: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'fs-cfg-'));
  const path = join(dir, `config${ext}`);
  await writeFile(path, typeof config === 'string' ? config : JSON.stringify(config));
  const io = recordingIo();
  const code = await main(['run', path, '--out', join(dir, 'run'), '--quiet'], io);
  return { code, text: io.text() };
}

describe('bad configs fail before training with an error naming the key', () => {
  it.each([
    ['an unknown top-level key', { ...good, trian: {} }, /E_CONFIG_INVALID.*'trian'.*unknown option 'trian'/],
    ['a wrong type', { ...good, train: { steps: 'ten' } }, /'train\.steps'/],
    ['a negative batch size', { ...good, train: { steps: 2, batchSize: -1 } }, /'train\.batchSize'/],
    ['an unknown plugin, listing the known ones', { ...good, metrics: ['activation-sparsty'] }, /'metrics\.0'.*'activation-sparsty' is neither a built-in metric plugin.*activation-sparsity/],
    ['a metric named as the activation', { ...good, activation: 'dead-neurons' }, /'activation'.*'dead-neurons' is a metric plugin, not a activation|'activation'.*not a/],
    ['bad plugin options', { ...good, metrics: [{ name: 'activation-sparsity', options: { threshold: -1 } }] }, /threshold/],
    ['the removed regularizers section, naming the entries to move', { ...good, regularizers: [{ name: 'l1-activation', options: { weight: 1 } }] }, /E_CONFIG_INVALID.*'regularizers'.*removed.*Fix: move its entries \(l1-activation\) to 'plugins'/s],
    ['a regularizer named under metrics, pointing at plugins', { ...good, metrics: ['l1-activation'] }, /'metrics\.0'.*'l1-activation' is a regularizer plugin.*move 'l1-activation' to 'plugins'/s],
    ['a data option', { ...good, data: { ...good.data, imageSize: 0 } }, /'data\.imageSize'/],
    ['an unknown data source', { ...good, data: { source: 'imagenet' } }, /'data\.source'/],
    ['a learning-rate schedule option', { ...good, train: { steps: 2, lr: { kind: 'cosine', lr: 0.1, warmupSteps: -3 } } }, /'train\.lr\.warmupSteps'/],
    ['an optimizer pattern that is not a regular expression (the engine\'s AdamW schema)', { ...good, train: { steps: 2, optimizer: { noDecay: '(unclosed' } } }, /'train\.optimizer\.noDecay'.*not a valid regular expression/s],
    ['an unknown optimizer key, listing the known ones', { ...good, train: { steps: 2, optimizer: { beta3: 0.9 } } }, /'train\.optimizer\.beta3'.*unknown option.*beta1, beta2/s],
    ['a cosine schedule with no steps after its warm-up', { ...good, train: { steps: 4, lr: { kind: 'cosine', lr: 0.1, warmupSteps: 10 } } }, /'train\.lr\.totalSteps'.*greater than warmupSteps \(10\)/s],
    ['a model key that does not fit', { ...good, model: { ...good.model, heads: 3 } }, /E_MODEL_CONFIG.*'heads'.*must divide d/],
    ['an unknown model kind, listing the registered ones', { ...good, model: { ...good.model, kind: 'resnet' } }, /E_CONTRIBUTION_UNKNOWN.*Unknown model 'resnet'.*one of gpt, vit/s],
    ['a model option its architecture rejects, naming the key', { ...good, model: { ...good.model, heads: 3 } }, /E_MODEL_CONFIG.*vit config key 'heads': must divide d \(8\)/s],
    ['a model that does not fit the data', { ...good, model: { ...good.model, kind: 'gpt' } }, /'model\.kind'.*image data/],
    ['an unknown backend, listing the known ones', { ...good, backend: 'tpu' }, /E_BACKEND_UNKNOWN.*'tpu'.*cuda, webgpu, native, tensorflow-cpu, wasm/],
    ['a backend that is not available, with how to install it', { ...good, backend: 'cuda' }, /E_BACKEND_UNAVAILABLE.*Known backends: cuda, webgpu, native, tensorflow-cpu, wasm; available here: (webgpu, )?(native, )?wasm/],
  ])('%s', async (_what, config, pattern) => {
    const { code, text } = await runWith(config);
    expect(code).toBe(2);
    expect(text).toMatch(pattern);
    expect(text).toMatch(/Fix:/);
  });

  it("accepts the empty 'regularizers' section every 0.2 config.json holds, so those runs still evaluate and resume", async () => {
    const { code, text } = await runWith({ ...good, regularizers: [] });
    expect(text).not.toMatch(/E_CONFIG_INVALID/);
    expect(code).toBe(0);
  });

  it('reports YAML syntax errors and missing files', async () => {
    expect((await runWith('name: [unclosed', '.yaml')).text).toMatch(/not valid YAML/);
    const io = recordingIo();
    expect(await main(['run', '/nonexistent/config.yaml'], io)).toBe(2);
    expect(io.text()).toMatch(/cannot read the config file '\/nonexistent\/config\.yaml'/);
  });

  it('rejects bad command lines with usage hints', async () => {
    const io = recordingIo();
    expect(await main(['run'], io)).toBe(2);
    expect(await main(['frobnicate'], io)).toBe(2);
    expect(await main(['demo', '--steps', 'many'], io)).toBe(2);
    expect(await main(['run', 'x.yaml', '--bogus'], io)).toBe(2);
    expect(io.text()).toMatch(/expected one config file/);
    expect(io.text()).toMatch(/unknown command 'frobnicate'. Known commands: demo, run, reproduce, eval, compare, plugins, backends, doctor/);
    expect(io.text()).toMatch(/'--steps'.*must be a positive integer/);
    expect(io.text()).toMatch(/Unknown option '--bogus'/);
  });
});
