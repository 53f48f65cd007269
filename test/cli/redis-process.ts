import { spawn, spawnSync } from 'node:child_process';
import { freePort } from './slurm-cluster.js';

/** Why a Redis server cannot start here, or undefined when it can. */
export function redisMissing(): string | undefined {
  return spawnSync('sh', ['-c', 'command -v redis-server']).status === 0 ? undefined : "redis-server not installed (Debian: apt-get install redis-server; .ci/run installs it)";
}

/** A Redis server started by a test: its URL and how to stop it. */
export interface RedisProcess {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts redis-server on a free loopback port, its files in `dir`, without persistence. */
export async function startRedis(dir: string): Promise<RedisProcess> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('Ready to accept connections')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
