import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunFailure, RunWarning } from '../faults/fault-records.js';
import type { FlatnessRecord } from '../flatness/estimator-runner.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { renderReport } from './html-report.js';
import { upgradeFlatnessRecord, upgradeRecord } from './legacy-names.js';
import { recordsToCsv, type RunRecord } from './run-record.js';
import { TensorBoardEvents } from './tensorboard-events.js';
import type { RunStatus } from './run-status.js';

/**
 * The directory of one run: `config.json` (the resolved config), `run.json` (backend and metadata),
 * `metrics.jsonl` and `metrics.csv` (every record), `events.out.tfevents.<seconds>.<host>` (the same
 * records and the flatness estimates as TensorBoard scalars), `report.html` (self-contained plots), and when
 * something went wrong `warnings.json` (faults the run continued past) and `failure.json` (why it
 * stopped). run.json also holds the run's status (running, completed, interrupted, failed) and what
 * `setRunInfo` adds (identity, resumes, flags). Every file is rewritten whole and atomically, so none
 * is ever half-written.
 */
export class RunDirectory {
  private records: RunRecord[] = [];
  private warnings: RunWarning[] = [];
  private failure: RunFailure | undefined;
  private flatness: FlatnessRecord[] = [];
  private resumed = false;
  private status: RunStatus = { state: 'running' };
  private readonly info: Record<string, unknown> = {};
  /** Files an earlier run wrote that must be rewritten even when their list became empty. */
  private readonly stale = new Set<'flatness' | 'warnings'>();
  private readonly events: TensorBoardEvents;

  constructor(
    readonly path: string,
    private readonly meta: { title: string; facts: Record<string, string | number | boolean>; config?: unknown },
  ) {
    this.events = new TensorBoardEvents(path);
  }

  /**
   * Writes the resolved config and run metadata. A failure an earlier run recorded here (a resumed
   * run) becomes a warning, and its failure.json is removed: the directory describes the current run.
   */
  async init(): Promise<void> {
    await writeFileAtomic(join(this.path, 'config.json'), `${JSON.stringify(this.meta.config ?? {}, null, 2)}\n`);
    await this.writeRunJson();
    if (this.failure !== undefined) {
      const f = this.failure;
      this.failure = undefined;
      this.warnings.push({
        code: f.code,
        ...(f.plugin === undefined ? {} : { plugin: f.plugin }),
        ...(f.event === undefined ? {} : { event: f.event }),
        ...(f.step === undefined ? {} : { step: f.step }),
        message: f.message,
        action: `the run stopped after ${f.completedSteps} step(s) and was resumed${f.lastCheckpoint === undefined ? '' : ` from ${f.lastCheckpoint}`}`,
      });
      await this.writeWarnings();
      await rm(join(this.path, 'failure.json'), { force: true });
    }
  }

  /**
   * Reads what an earlier run wrote here, for a resumed run: its records (the first new record then
   * drops every earlier record at or after its step, so the files show one continuous history), its
   * warnings and its failure, if it failed.
   */
  async loadExisting(): Promise<void> {
    const text = await readFile(join(this.path, 'metrics.jsonl'), 'utf8').catch(() => '');
    this.records = text.split('\n').filter((l) => l.trim() !== '').map((l) => upgradeRecord(JSON.parse(l) as RunRecord));
    this.warnings = JSON.parse(await readFile(join(this.path, 'warnings.json'), 'utf8').catch(() => '[]')) as RunWarning[];
    const failure = await readFile(join(this.path, 'failure.json'), 'utf8').catch(() => undefined);
    this.failure = failure === undefined ? undefined : (JSON.parse(failure) as RunFailure);
    const flatness = await readFile(join(this.path, 'flatness.jsonl'), 'utf8').catch(() => '');
    this.flatness = flatness.split('\n').filter((l) => l.trim() !== '').map((l) => upgradeFlatnessRecord(JSON.parse(l) as FlatnessRecord));
    if (this.flatness.length > 0) this.stale.add('flatness');
    if (this.warnings.length > 0) this.stale.add('warnings');
    const damaged = await this.events.load();
    if (damaged !== undefined) this.warn(damaged);
    this.resumed = true;
  }

  /**
   * Reads what an earlier run wrote here and keeps only the history before a checkpoint, for a run
   * that continues from it: the first `counts.records` records and `counts.flatness` estimates when
   * the checkpoint says how many there were, else the records before step `step` and the estimates up
   * to it (estimates at a checkpoint's step are taken before it is written); warnings from `step` on
   * are dropped too (they come again). `step` 0 without counts: nothing is kept.
   */
  async continueFrom(step: number, counts: { readonly records?: number; readonly flatness?: number } = {}): Promise<void> {
    await this.loadExisting();
    this.records = counts.records === undefined ? this.records.filter((r) => r.step < step) : this.records.slice(0, counts.records);
    this.flatness = counts.flatness === undefined ? this.flatness.filter((r) => step > 0 && r.step <= step) : this.flatness.slice(0, counts.flatness);
    this.warnings = this.warnings.filter((w) => w.step === undefined || w.step < step);
  }

  /** Adds a warning (written to warnings.json and shown in the report at the next flush); a warning already listed is not added again. */
  warn(warning: RunWarning): void {
    const same = (w: RunWarning) => w.code === warning.code && w.message === warning.message && w.step === warning.step && w.plugin === warning.plugin;
    if (!this.warnings.some(same)) this.warnings.push(warning);
  }

  /** Adds or replaces a field of run.json (for example the run's identity, its resumes, a flag); written at the next flush. */
  setRunInfo(key: string, value: unknown): void {
    this.info[key] = value;
  }

  /** A field of run.json set with setRunInfo. */
  runInfo(key: string): unknown {
    return this.info[key];
  }

  /** Sets the run's status (run.json and the report): written now. */
  async setStatus(status: RunStatus): Promise<void> {
    this.status = status;
    await this.flush();
  }

  /** Records why the run stopped: writes failure.json, then flushes (the report shows the failure). */
  async fail(failure: RunFailure): Promise<void> {
    this.failure = failure;
    this.status = { ...this.status, state: 'failed', completedSteps: failure.completedSteps };
    await writeFileAtomic(join(this.path, 'failure.json'), `${JSON.stringify(failure, null, 2)}\n`);
    await this.flush();
  }

  /** Adds a record (written at the next flush). */
  add(record: RunRecord): void {
    if (this.resumed) {
      this.records = this.records.filter((r) => r.step < record.step);
      this.resumed = false;
    }
    this.records.push(record);
    this.events.stamp([record]);
  }

  /**
   * Adds flatness estimates (written to flatness.jsonl and drawn in the report at the next flush); for
   * a resumed run, earlier estimates at or after their step are dropped first.
   */
  addFlatness(records: readonly FlatnessRecord[]): void {
    const first = records[0]?.step;
    if (first !== undefined) this.flatness = this.flatness.filter((r) => r.step < first);
    this.flatness.push(...records);
    this.events.stamp(records);
  }

  /** Every record so far. */
  all(): readonly RunRecord[] {
    return this.records;
  }

  /** Adds facts shown in the report (for example the final summary). */
  setFact(key: string, value: string | number | boolean): void {
    this.meta.facts[key] = value;
  }

  /** Rewrites metrics.jsonl, metrics.csv, the TensorBoard event file, flatness.jsonl (if there are estimates), run.json, report.html and (if there are warnings) warnings.json atomically. */
  async flush(): Promise<void> {
    if (this.flatness.length > 0 || this.stale.has('flatness')) await writeFileAtomic(join(this.path, 'flatness.jsonl'), this.flatness.map((r) => `${JSON.stringify(r)}\n`).join(''));
    await writeFileAtomic(join(this.path, 'metrics.jsonl'), this.records.map((r) => JSON.stringify(r)).join('\n') + (this.records.length ? '\n' : ''));
    await writeFileAtomic(join(this.path, 'metrics.csv'), recordsToCsv(this.records));
    await this.events.write(this.records, this.flatness);
    await this.writeWarnings();
    await this.writeRunJson();
    await writeFileAtomic(join(this.path, 'report.html'), renderReport({ ...this.meta, records: this.records, warnings: this.warnings, failure: this.failure, flatness: this.flatness, status: this.status }));
  }

  private async writeRunJson(): Promise<void> {
    await writeFileAtomic(join(this.path, 'run.json'), `${JSON.stringify({ title: this.meta.title, ...this.meta.facts, status: this.status.state, ...statusFields(this.status), ...this.info }, null, 2)}\n`);
  }

  private async writeWarnings(): Promise<void> {
    if (this.warnings.length > 0 || this.stale.has('warnings')) await writeFileAtomic(join(this.path, 'warnings.json'), `${JSON.stringify(this.warnings, null, 2)}\n`);
  }
}

function statusFields(status: RunStatus): Record<string, unknown> {
  return { ...(status.completedSteps === undefined ? {} : { completedSteps: status.completedSteps }), ...(status.resume === undefined ? {} : { resume: status.resume }) };
}
