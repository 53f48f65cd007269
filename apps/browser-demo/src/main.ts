import { wasmBackend } from '@flatsparse/backend-wasm';
import { webgpuBackend } from '@flatsparse/backend-webgpu';
import { runPipeline, type TrainerRecord } from '@flatsparse/core';
import { type BackendInfo } from '@flatsparse/plugin-api';
import { activationSparsity, derivativeSparsity, sparsified, sparsifiedActivation } from '@flatsparse/plugins';
import { mnistSubset } from './mnist-subset.js';
import { sparsityChart } from './sparsity-chart.js';

// URL parameters (for quick looks and the browser test): ?steps=60&backend=auto|webgpu|wasm&batch=32
const params = new URLSearchParams(location.search);
const steps = Math.max(2, Number(params.get('steps') ?? 60));
const batchSize = Math.max(1, Number(params.get('batch') ?? 32));
const request = params.get('backend') ?? 'auto';

const $ = <T extends Element>(id: string) => document.getElementById(id) as unknown as T;
const status = (text: string, state: string): void => {
  $<HTMLElement>('status').textContent = text;
  document.body.dataset.status = state;
};
const fmt = (v: number | undefined, digits = 3) => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits));

/** What the page exposes for tests and curious readers (window.flatsparseDemo). */
interface DemoState {
  backend?: BackendInfo;
  records: TrainerRecord[];
  error?: string;
}

async function train(): Promise<void> {
  const state: DemoState = { records: [] };
  (window as unknown as { flatsparseDemo: DemoState }).flatsparseDemo = state;
  const chart = sparsityChart($<SVGSVGElement>('chart'), steps);
  const rows = $<HTMLTableSectionElement>('rows');
  rows.replaceChildren();
  $<HTMLElement>('heldout').textContent = '';
  status('loading digits', 'loading');
  const dataset = mnistSubset();
  status(`training ${steps} steps`, 'running');
  try {
    await runPipeline({
      name: 'browser demo',
      seed: 1,
      // WebGPU first (software adapters allowed: this is a demo, and the page says which adapter ran), wasm as the fallback.
      backends: [webgpuBackend({ allowSoftware: true }), wasmBackend({ wasmPaths: new URL('./wasm/', document.baseURI).href })],
      backend: request,
      plugins: [...sparsified(), activationSparsity(), derivativeSparsity()],
      dataset,
      model: { kind: 'vit', config: { patch: 7, d: 32, depth: 2, heads: 2, mlpWidth: 64 } },
      activation: sparsifiedActivation(),
      metrics: ['activation-sparsity', 'derivative-sparsity'],
      train: { steps, batchSize, lr: 3e-3, logEvery: 1 },
      onStart: ({ backend, skipped }) => {
        state.backend = backend;
        const note = $<HTMLElement>('backend');
        const passedOver = skipped.map((s) => `${s.name} was not available (${s.reason})`).join(' ');
        note.textContent = `Backend: ${backend.name} — ${backend.detail}.${backend.fallback ? ` Note: ${backend.fallback}` : ''}${passedOver ? ` ${passedOver}` : ''}`;
        note.classList.toggle('warning', backend.name !== 'webgpu' || backend.fallback !== undefined);
        document.body.dataset.backend = backend.name;
      },
      onRecord: (r) => {
        state.records.push(r);
        const sparsity = r.figures['activation-sparsity.value']?.mean;
        if (r.split === 'heldOut') {
          $<HTMLElement>('heldout').textContent = `Held-out (${dataset.heldOut.size} digits): loss ${fmt(r.loss)}, accuracy ${fmt(r.accuracy)}, activation sparsity ${fmt(sparsity)}.`;
          return;
        }
        chart.add({ step: r.step, sparsity: sparsity ?? Number.NaN, loss: r.loss });
        const row = document.createElement('tr');
        for (const v of [String(r.step + 1), fmt(r.loss), fmt(sparsity), fmt(r.figures['derivative-sparsity.value']?.mean)]) row.append(Object.assign(document.createElement('td'), { textContent: v }));
        rows.prepend(row);
        status(`training: step ${r.step + 1} of ${steps}`, 'running');
      },
    });
    status(`done: ${steps} steps on ${state.backend?.name ?? '?'}`, 'done');
  } catch (err) {
    state.error = err instanceof Error ? err.message : String(err);
    status(`failed: ${state.error}`, 'error');
    console.error(err);
  } finally {
    $<HTMLButtonElement>('again').hidden = false;
  }
}

$<HTMLButtonElement>('again').addEventListener('click', () => {
  $<HTMLButtonElement>('again').hidden = true;
  void train();
});
void train();
