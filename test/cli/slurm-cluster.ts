import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Why a single-node Slurm cannot start here (a binary missing), or undefined when it can. */
export function slurmMissing(): string | undefined {
  const missing = ['slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol'].filter((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0);
  if (missing.length > 0) return `${missing.join(', ')} not installed (Debian: apt-get install slurmctld slurmd slurm-client; .ci/run installs them)`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'slurmd needs root to start jobs here';
  return undefined;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A running single-node Slurm: its slurm.conf (set as SLURM_CONF for this process and its children) and how to stop it. */
export interface SlurmCluster {
  readonly conf: string;
  /** Runs a Slurm client command; returns its stdout (throws on a non-zero exit). */
  command(name: string, args: readonly string[]): string;
  stop(): Promise<void>;
}

/**
 * Starts slurmctld and slurmd in the foreground (-D) as child processes, from a slurm.conf generated in
 * `dir`: one node on 127.0.0.1 with `cpus` CPUs, auth/none and cred/none, JobRequeue=1, no accounting.
 */
export async function startSlurm(dir: string, cpus = 2): Promise<SlurmCluster> {
  const [ctld, d] = [await freePort(), await freePort()];
  await mkdir(join(dir, 'state'), { recursive: true });
  await mkdir(join(dir, 'spool'), { recursive: true });
  const conf = join(dir, 'slurm.conf');
  await writeFile(conf, [
    'ClusterName=flatsparse-test',
    'SlurmctldHost=localhost(127.0.0.1)',
    `SlurmctldPort=${ctld}`,
    `SlurmdPort=${d}`,
    'AuthType=auth/none',
    'CredType=cred/none',
    'SlurmUser=root',
    'SlurmdUser=root',
    `StateSaveLocation=${join(dir, 'state')}`,
    `SlurmdSpoolDir=${join(dir, 'spool')}`,
    `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
    `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
    `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
    `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_CPU',
    'JobRequeue=1',
    'ReturnToService=2',
    'MpiDefault=none',
    'SchedulerType=sched/builtin',
    'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none',
    'KillWait=10',
    'MinJobAge=600',
    `NodeName=localhost NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=1000 State=UNKNOWN`,
    'PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP',
    '',
  ].join('\n'));
  process.env['SLURM_CONF'] = conf;
  const daemons: ChildProcess[] = [
    spawn('slurmctld', ['-D', '-i', '-f', conf], { stdio: 'ignore' }),
    spawn('slurmd', ['-D', '-N', 'localhost', '-f', conf], { stdio: 'ignore' }),
  ];
  const command = (name: string, args: readonly string[]) => {
    const r = spawnSync(name, args, { encoding: 'utf8', env: process.env });
    if (r.status !== 0) throw new Error(`${name} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  };
  const stop = async () => {
    for (const p of daemons) p.kill('SIGTERM');
    await Promise.all(daemons.map((p) => (p.exitCode !== null ? undefined : new Promise((r) => p.once('exit', r)))));
    delete process.env['SLURM_CONF'];
  };
  for (let i = 0; ; i++) {
    const state = spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8', env: process.env }).stdout?.trim();
    if (state === 'idle') break;
    if (i === 150) {
      await stop();
      throw new Error(`the test Slurm did not come up (sinfo: ${state}); logs in ${dir}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { conf, command, stop };
}
