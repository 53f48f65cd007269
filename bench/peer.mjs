/**
 * The PyTorch peer of the bench (bench/peer/vit_step.py) as one long-lived child process: torch is
 * imported once, then each request times steps of the same ViT, so the bench can alternate PyTorch and
 * flatsparse on the same machine. `startPeer()` resolves to undefined (with the reason) where PyTorch
 * cannot run, so the bench skips the peer and says why.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./peer/vit_step.py', import.meta.url));
const INSTALL = 'apt-get install -y python3-torch libopenblas0-pthread (Debian), then run /usr/bin/python3 -c "import torch"';

/** The Python that has torch: FLATSPARSE_TORCH_PYTHON, else Debian's /usr/bin/python3, else python3 on PATH. */
function pythonWithTorch() {
  const candidates = [process.env.FLATSPARSE_TORCH_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean);
  const tried = [];
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
    if (r.status === 0) return { python };
    tried.push(`${python}: ${r.error ? r.error.message : (r.stderr || '').trim().split('\n').pop()}`);
  }
  return { reason: `PyTorch is not importable (${tried.join('; ')})` };
}

/** Starts the peer; resolves to { hello, run, stop } or { skipped: reason }. */
export async function startPeer() {
  const found = pythonWithTorch();
  if (found.python === undefined) return { skipped: `${found.reason}. Install: ${INSTALL}` };
  const child = spawn(found.python, [SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (line) => waiting.shift()?.resolve(JSON.parse(line)));
  child.on('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`the PyTorch peer exited (code ${code})`));
  });
  const ask = (request) =>
    new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      child.stdin.write(`${JSON.stringify(request)}\n`);
    });
  const hello = await ask({ hello: true });
  if (hello.error) return { skipped: hello.error };
  const referenceBlas = !/openblas|mkl/i.test(hello.blas) ? ` WARNING: PyTorch runs on ${hello.blas}, not OpenBLAS (20x slower): apt-get install -y libopenblas0-pthread.` : '';
  return {
    hello: { ...hello, python: found.python, warning: referenceBlas || undefined },
    /** Step times (ms) of the ViT with this patch size, batch 64, on this many threads. */
    async run({ patch, threads, warmup, steps }) {
      const answer = await ask({ patch, threads, warmup, steps });
      if (answer.error) throw new Error(`PyTorch peer: ${answer.error}`);
      return answer;
    },
    stop() {
      child.stdin.end();
    },
  };
}
