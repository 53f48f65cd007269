import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FlatnessRecord } from '../flatness/estimator-runner.js';
import { RunDirectory } from './run-directory.js';
import type { RunRecord } from './run-record.js';
import { LEFTOVER } from './run-files.js';
import { crc32c, decodeEventFile, encodeEvent, EVENT_FILE_VERSION, frameRecord, isEventFileName, maskCrc, recordScalars, TensorBoardEvents } from './tensorboard-events.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ascii = (s: string) => new TextEncoder().encode(s);

describe('CRC32C and TFRecord framing', () => {
  it('CRC32C matches the published check value and the RFC 3720 (iSCSI) test vectors', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  it('masks a CRC by rotating it right 15 bits and adding 0xa282ead8 modulo 2^32', () => {
    // Reference values from a separate Python implementation.
    expect(maskCrc(0xe3069283)).toBe(0xc78ab0e5);
    expect(maskCrc(0)).toBe(0xa282ead8);
    expect(maskCrc(0xffffffff)).toBe(0xa282ead7);
  });

  it('frames a record as length (uint64 LE), its masked CRC, the data and the data masked CRC', () => {
    // b"hello" framed by a separate Python implementation (struct.pack('<Q'), its own CRC32C).
    expect(hex(frameRecord(ascii('hello')))).toBe('0500000000000000eab2043e68656c6c6fbb1f1c19');
    const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
    const framed = frameRecord(data);
    const view = new DataView(framed.buffer);
    expect(framed.length).toBe(316);
    expect(view.getBigUint64(0, true)).toBe(300n);
    expect(view.getUint32(8, true)).toBe(maskCrc(crc32c(framed.subarray(0, 8))));
    expect(hex(framed.subarray(12, 312))).toBe(hex(data));
    expect(view.getUint32(312, true)).toBe(maskCrc(crc32c(data)));
  });
});

describe('Event protos', () => {
  it("encodes events byte for byte as protobuf's own serialiser does (event.proto, summary.proto)", () => {
    // Event(wall_time=1700000000.25, file_version="brain.Event:2").SerializeToString() from the Python protobuf runtime.
    expect(hex(encodeEvent({ wallTime: 1700000000.25, step: 0, fileVersion: EVENT_FILE_VERSION }))).toBe('0900001040fc54d9411a0d627261696e2e4576656e743a32');
    // Event(wall_time=1.5, step=300, summary=Summary(value=[Value(tag='train/loss', simple_value=0.25), Value(tag='é/x', simple_value=-3)])).
    const scalars = [{ tag: 'train/loss', value: 0.25 }, { tag: 'é/x', value: -3 }];
    expect(hex(encodeEvent({ wallTime: 1.5, step: 300, scalars }))).toBe('09000000000000f83f10ac022a200a110a0a747261696e2f6c6f7373150000803e0a0b0a04c3a92f7815000040c0');
    expect(() => encodeEvent({ wallTime: 1, step: -1 })).toThrow(RangeError);
  });

  it('decodes what it encodes, with float32 values, and stops at a damaged record saying where', () => {
    const events = [
      { wallTime: 10, step: 0, fileVersion: EVENT_FILE_VERSION },
      { wallTime: 11.5, step: 2 ** 40, scalars: [{ tag: 'heldOut/accuracy', value: 0.1 }] },
      { wallTime: 12, step: 7, scalars: [] },
    ];
    const file = Buffer.concat(events.map((e) => frameRecord(encodeEvent(e))));
    const decoded = decodeEventFile(file);
    expect(decoded.damage).toBeUndefined();
    expect(decoded.events).toEqual([events[0], { ...events[1], scalars: [{ tag: 'heldOut/accuracy', value: Math.fround(0.1) }] }, events[2]]);

    const first = frameRecord(encodeEvent(events[0]!)).length;
    expect(decodeEventFile(file.subarray(0, file.length - 1))).toMatchObject({ events: [events[0], expect.anything()], damage: 'ends inside record 2' });
    const flipped = Uint8Array.from(file);
    flipped[first + 14]! ^= 1;
    expect(decodeEventFile(flipped)).toEqual({ events: [events[0]], damage: 'has a wrong data CRC in record 1' });
    const badLength = Uint8Array.from(file);
    badLength[first]! ^= 1;
    expect(decodeEventFile(badLength).damage).toBe('has a wrong length CRC in record 1');
  });

  it('tags every scalar of a record by split, and figures by name, mean and layer', () => {
    const r: RunRecord = { step: 4, split: 'train', loss: 2, lr: 0.01, lossTerms: { l1: 0.5 }, figures: { 'activation-sparsity.value': { mean: 0.5, perLayer: [0.25, 0.75] } } };
    expect(recordScalars(r)).toEqual([
      { tag: 'train/loss', value: 2 },
      { tag: 'train/lr', value: 0.01 },
      { tag: 'train/loss-term/l1', value: 0.5 },
      { tag: 'train/activation-sparsity.value/mean', value: 0.5 },
      { tag: 'train/activation-sparsity.value/layer0', value: 0.25 },
      { tag: 'train/activation-sparsity.value/layer1', value: 0.75 },
    ]);
    expect(recordScalars({ step: 4, split: 'heldOut', loss: 1, accuracy: 0.5, figures: {} }).map((s) => s.tag)).toEqual(['heldOut/loss', 'heldOut/accuracy']);
  });
});

const record = (step: number, split: 'train' | 'heldOut' = 'train'): RunRecord => ({
  step,
  split,
  loss: 1 / step,
  ...(split === 'heldOut' ? { accuracy: step / 100 } : { lr: 0.001 }),
  figures: { 'm.value': { mean: step, perLayer: [step - 0.5, step + 0.5] } },
  wallMs: step * 10,
});
const estimate = (step: number): FlatnessRecord => ({ step, estimator: 'hessian-trace', plugin: 'hessian-trace', figures: { trace: step * 2, stderr: 0.5 }, cost: { forwardPasses: 0, backwardPasses: 4, wallMs: 1 }, batch: { size: 8, split: 'heldOut' } });

async function eventFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter(isEventFileName);
}

async function eventsIn(dir: string) {
  const [name] = await eventFiles(dir);
  const decoded = decodeEventFile(await readFile(join(dir, name!)));
  expect(decoded.damage).toBeUndefined();
  return decoded.events;
}

const stepsOf = (events: { step: number; scalars?: readonly { tag: string }[] }[], prefix: string) => events.filter((e) => e.scalars?.[0]?.tag.startsWith(prefix)).map((e) => e.step);

describe('the run directory event file', () => {
  it('holds every record and estimate in step order, rewritten whole at each flush under one name', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'fs-tb-')), 'run');
    const run = new RunDirectory(dir, { title: 'x', facts: {} });
    await run.init();
    run.addFlatness([estimate(0)]);
    run.add(record(1));
    run.add(record(2));
    await run.flush();
    const [name] = await eventFiles(dir);
    expect(name).toMatch(new RegExp(`^events\\.out\\.tfevents\\.\\d{10}\\.${hostname().replace(/[.]/g, '\\.')}$`));
    run.add(record(2, 'heldOut'));
    run.addFlatness([estimate(2)]);
    run.add(record(3));
    await run.flush();
    expect(await eventFiles(dir)).toEqual([name]);
    expect((await readdir(dir)).filter((n) => LEFTOVER.test(n))).toEqual([]);

    const events = await eventsIn(dir);
    expect(events[0]).toMatchObject({ step: 0, fileVersion: EVENT_FILE_VERSION });
    expect(events.slice(1).map((e) => `${e.scalars![0]!.tag.split('/')[0]}@${e.step}`)).toEqual(['flatness@0', 'train@1', 'flatness@2', 'train@2', 'heldOut@2', 'train@3']);
    expect(events[5]!.scalars).toEqual([
      { tag: 'heldOut/loss', value: Math.fround(0.5) },
      { tag: 'heldOut/accuracy', value: Math.fround(0.02) },
      { tag: 'heldOut/m.value/mean', value: 2 },
      { tag: 'heldOut/m.value/layer0', value: 1.5 },
      { tag: 'heldOut/m.value/layer1', value: 2.5 },
    ]);
    expect(events[3]!.scalars).toEqual([{ tag: 'flatness/hessian-trace/trace', value: 4 }, { tag: 'flatness/hessian-trace/stderr', value: 0.5 }]);
    const now = Date.now() / 1000;
    for (const e of events) expect(Math.abs(e.wallTime - now)).toBeLessThan(60);
  });

  it('a resume keeps the file, its name and the kept history with its wall times, and drops what came after the checkpoint', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'fs-tb-')), 'run');
    const run = new RunDirectory(dir, { title: 'x', facts: {} });
    await run.init();
    for (const s of [1, 2, 3, 4, 5, 6]) {
      run.add(record(s));
      if (s % 3 === 0) {
        run.add(record(s, 'heldOut'));
        run.addFlatness([estimate(s)]);
      }
      await run.flush();
    }
    const [name] = await eventFiles(dir);
    const before = await eventsIn(dir);

    const resumed = new RunDirectory(dir, { title: 'x', facts: {} });
    await resumed.continueFrom(4);
    await resumed.init();
    await resumed.flush();
    const kept = await eventsIn(dir);
    expect(await eventFiles(dir)).toEqual([name]);
    expect(kept).toEqual(before.filter((e) => e.step < 4));

    await new Promise((r) => setTimeout(r, 20));
    for (const s of [4, 5, 6]) {
      resumed.add(record(s));
      if (s === 6) {
        resumed.add(record(s, 'heldOut'));
        resumed.addFlatness([estimate(s)]);
      }
    }
    await resumed.flush();
    const after = await eventsIn(dir);
    expect(stepsOf(after, 'train/')).toEqual([1, 2, 3, 4, 5, 6]);
    expect(stepsOf(after, 'heldOut/')).toEqual([3, 6]);
    expect(stepsOf(after, 'flatness/')).toEqual([3, 6]);
    expect(after.slice(0, kept.length)).toEqual(kept);
    // The new records carry the time they were made, not the times of the dropped ones.
    const dropped = before.find((e) => e.step === 5)!;
    expect(after.find((e) => e.step === 5)!.wallTime).toBeGreaterThan(dropped.wallTime);
  });

  it('a damaged event file is a warning on resume and is rewritten from the records', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'fs-tb-')), 'run');
    const run = new RunDirectory(dir, { title: 'x', facts: {} });
    await run.init();
    run.add(record(1));
    run.add(record(2));
    await run.flush();
    const [name] = await eventFiles(dir);
    const bytes = await readFile(join(dir, name!));
    await writeFile(join(dir, name!), bytes.subarray(0, bytes.length - 3));

    const resumed = new RunDirectory(dir, { title: 'x', facts: {} });
    await resumed.loadExisting();
    await resumed.init();
    await resumed.flush();
    const warnings = JSON.parse(await readFile(join(dir, 'warnings.json'), 'utf8'));
    expect(warnings).toEqual([expect.objectContaining({ code: 'E_RUN_FILE', message: `'${join(dir, name!)}' is not a complete TensorBoard event file: it ends inside record 2.` })]);
    expect(stepsOf(await eventsIn(dir), 'train/')).toEqual([1, 2]);
  });

  it('names the file after its creation time and host, and a failed write is RunFileError (E_RUN_FILE) naming it', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'fs-tb-')), 'run');
    const events = new TensorBoardEvents(dir, () => 1_700_000_000_500, 'host');
    await events.write([record(1)], []);
    const path = join(dir, 'events.out.tfevents.1700000000.host');
    expect(events.path).toBe(path);
    expect(decodeEventFile(await readFile(path)).events.map((e) => e.wallTime)).toEqual([1_700_000_000, 1_700_000_000.5]);
    const blocked = new TensorBoardEvents(join(path, 'below-a-file'), () => 1_700_000_000_000, 'host');
    await expect(blocked.write([record(1)], [])).rejects.toMatchObject({ code: 'E_RUN_FILE', path: join(path, 'below-a-file', 'events.out.tfevents.1700000000.host') });
  });
});
