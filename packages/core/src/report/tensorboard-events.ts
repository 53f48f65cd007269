import { readFile, readdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { RunWarning } from '../faults/fault-records.js';
import type { FlatnessRecord } from '../flatness/estimator-runner.js';
import { writeFileAtomicVia } from '../io/atomic-write.js';
import type { RunRecord } from './run-record.js';

/**
 * TensorBoard event files for a run directory, written without TensorFlow: TFRecord framing around
 * `tensorboard.Event` protos (tensorboard/compat/proto/event.proto) holding scalar summaries.
 *
 * Tags (one event per record, all its scalars at its step and wall time):
 *   `<split>/loss`, `<split>/accuracy`, `<split>/lr`, `<split>/loss-term/<term>`,
 *   `<split>/<metric>.<figure>/mean`, `<split>/<metric>.<figure>/layer<i>`   (split: train | heldOut)
 *   `flatness/<estimator>/<figure>`                                          (one event per estimate)
 * The first event carries `file_version: "brain.Event:2"`.
 */

/** How an event file's name starts (TensorBoard reads every file whose name contains 'tfevents'). */
export const EVENT_FILE_PREFIX = 'events.out.tfevents.';
/** The file version the first event of a file declares. */
export const EVENT_FILE_VERSION = 'brain.Event:2';

// ---- CRC32C (Castagnoli, reflected polynomial 0x82F63B78), as TFRecord frames use it ----

/** Eight 256-entry tables for slicing-by-8: table k maps a byte to its CRC after k more zero bytes. */
const CRC_TABLES = (() => {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) for (let k = 1; k < 8; k++) t[k * 256 + n] = (t[(k - 1) * 256 + n]! >>> 8) ^ t[t[(k - 1) * 256 + n]! & 0xff]!;
  return t;
})();

/** CRC32C (Castagnoli) of `data`: crc32c('123456789') is 0xE3069283. */
export function crc32c(data: Uint8Array): number {
  const t = CRC_TABLES;
  let c = 0xffffffff;
  let i = 0;
  for (const end8 = data.length - 8; i <= end8; i += 8) {
    const lo = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    c =
      t[7 * 256 + (lo & 0xff)]! ^
      t[6 * 256 + ((lo >>> 8) & 0xff)]! ^
      t[5 * 256 + ((lo >>> 16) & 0xff)]! ^
      t[4 * 256 + (lo >>> 24)]! ^
      t[3 * 256 + data[i + 4]!]! ^
      t[2 * 256 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
  }
  for (; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The masked CRC TFRecord stores: the CRC rotated right by 15 bits plus 0xa282ead8 (mod 2^32). */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: uint64 LE length, masked CRC32C of those 8 bytes, the data, masked CRC32C of the data. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 16);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length % 2 ** 32, true);
  view.setUint32(4, Math.floor(data.length / 2 ** 32), true);
  view.setUint32(8, maskCrc(crc32c(out.subarray(0, 8))), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskCrc(crc32c(data)), true);
  return out;
}

// ---- Event protos ----

/** One scalar of a summary. */
export interface Scalar {
  readonly tag: string;
  readonly value: number;
}

/** What one event holds: wall time (seconds since the epoch), step, and the file version or scalars. */
export interface EventContent {
  readonly wallTime: number;
  readonly step: number;
  readonly fileVersion?: string;
  readonly scalars?: readonly Scalar[];
}

const utf8 = new TextEncoder();

/** UTF-8 bytes of the tags seen so far (a run repeats the same few hundred tags in every record). */
const tagBytes = new Map<string, Uint8Array>();
function encodedTag(tag: string): Uint8Array {
  let b = tagBytes.get(tag);
  if (b === undefined) {
    b = utf8.encode(tag);
    if (tagBytes.size < 100_000) tagBytes.set(tag, b);
  }
  return b;
}

function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/** Writes protobuf wire-format bytes into a buffer of known size. */
class ProtoWriter {
  readonly buf: Uint8Array;
  private readonly view: DataView;
  at = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  /** A non-negative integer up to 2^53 as a varint. */
  varint(v: number): void {
    while (v >= 0x80) {
      this.buf[this.at++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.at++] = v;
  }

  key(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  double(field: number, v: number): void {
    this.key(field, 1);
    this.view.setFloat64(this.at, v, true);
    this.at += 8;
  }

  float(field: number, v: number): void {
    this.key(field, 5);
    this.view.setFloat32(this.at, v, true);
    this.at += 4;
  }

  /** The key and length of a length-delimited field; its bytes follow. */
  lengthOf(field: number, length: number): void {
    this.key(field, 2);
    this.varint(length);
  }

  bytes(field: number, b: Uint8Array): void {
    this.lengthOf(field, b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }
}

/**
 * Encodes a `tensorboard.Event`: wall_time (double, field 1), step (int64, field 2; left out when 0,
 * as proto3 does), file_version (string, field 3) or summary (field 5) with one `Summary.Value` per
 * scalar (tag: field 1, simple_value: float, field 2). Fields come in field-number order, so the bytes
 * are the canonical serialisation.
 */
export function encodeEvent(event: EventContent): Uint8Array {
  if (!Number.isSafeInteger(event.step) || event.step < 0) throw new RangeError(`an event's step must be a non-negative integer, got ${event.step}`);
  const version = event.fileVersion === undefined ? undefined : utf8.encode(event.fileVersion);
  const tags = (event.scalars ?? []).map((s) => encodedTag(s.tag));
  // Summary.Value: tag (key, length, bytes) + simple_value (key, 4 bytes).
  const valueSizes = tags.map((t) => 1 + varintSize(t.length) + t.length + 5);
  const summarySize = valueSizes.reduce((sum, v) => sum + 1 + varintSize(v) + v, 0);
  const size =
    9 +
    (event.step === 0 ? 0 : 1 + varintSize(event.step)) +
    (version === undefined ? 0 : 1 + varintSize(version.length) + version.length) +
    (event.scalars === undefined ? 0 : 1 + varintSize(summarySize) + summarySize);
  const w = new ProtoWriter(size);
  w.double(1, event.wallTime);
  if (event.step !== 0) {
    w.key(2, 0);
    w.varint(event.step);
  }
  if (version !== undefined) w.bytes(3, version);
  if (event.scalars !== undefined) {
    w.lengthOf(5, summarySize);
    event.scalars.forEach((s, i) => {
      w.lengthOf(1, valueSizes[i]!);
      w.bytes(1, tags[i]!);
      w.float(2, s.value);
    });
  }
  if (w.at !== size) throw new Error(`encoded ${w.at} bytes, expected ${size}`);
  return w.buf;
}

/** A decoded event file: its events, and what was wrong with it where reading stopped early. */
export interface DecodedEventFile {
  readonly events: EventContent[];
  /** Why decoding stopped before the end (a truncated record, a CRC mismatch, a malformed event). */
  readonly damage?: string;
}

/** Reads TFRecord-framed events (checking both CRCs of every record); stops at the first damaged record. */
export function decodeEventFile(bytes: Uint8Array): DecodedEventFile {
  const events: EventContent[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at < bytes.length) {
    const n = events.length;
    if (bytes.length - at < 12) return { events, damage: `ends inside the header of record ${n}` };
    if (view.getUint32(at + 8, true) !== maskCrc(crc32c(bytes.subarray(at, at + 8)))) return { events, damage: `has a wrong length CRC in record ${n}` };
    const length = view.getUint32(at, true) + view.getUint32(at + 4, true) * 2 ** 32;
    if (bytes.length - at - 16 < length) return { events, damage: `ends inside record ${n}` };
    const data = bytes.subarray(at + 12, at + 12 + length);
    if (view.getUint32(at + 12 + length, true) !== maskCrc(crc32c(data))) return { events, damage: `has a wrong data CRC in record ${n}` };
    try {
      events.push(decodeEvent(data));
    } catch (err) {
      return { events, damage: `holds a malformed event in record ${n} (${(err as Error).message})` };
    }
    at += length + 16;
  }
  return { events };
}

/** Decodes the fields of a `tensorboard.Event` this module writes (others are skipped). */
export function decodeEvent(data: Uint8Array): EventContent {
  let wallTime = 0;
  let step = 0;
  let fileVersion: string | undefined;
  const scalars: Scalar[] = [];
  let summary = false;
  for (const f of fields(data)) {
    if (f.field === 1 && f.wire === 1) wallTime = f.view.getFloat64(0, true);
    else if (f.field === 2 && f.wire === 0) step = f.int;
    else if (f.field === 3 && f.wire === 2) fileVersion = new TextDecoder().decode(f.bytes);
    else if (f.field === 5 && f.wire === 2) {
      summary = true;
      for (const v of fields(f.bytes)) {
        if (v.field !== 1 || v.wire !== 2) continue;
        let tag = '';
        let value: number | undefined;
        for (const x of fields(v.bytes)) {
          if (x.field === 1 && x.wire === 2) tag = new TextDecoder().decode(x.bytes);
          else if (x.field === 2 && x.wire === 5) value = x.view.getFloat32(0, true);
        }
        if (value !== undefined) scalars.push({ tag, value });
      }
    }
  }
  return { wallTime, step, ...(fileVersion === undefined ? {} : { fileVersion }), ...(summary ? { scalars } : {}) };
}

interface Field {
  readonly field: number;
  readonly wire: number;
  readonly int: number;
  readonly bytes: Uint8Array;
  readonly view: DataView;
}

function* fields(data: Uint8Array): Generator<Field> {
  let at = 0;
  const varint = (): number => {
    let v = 0;
    let scale = 1;
    for (;;) {
      if (at >= data.length) throw new Error('truncated varint');
      const b = data[at++]!;
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 0x80;
    }
  };
  while (at < data.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    const width = wire === 0 ? 0 : wire === 1 ? 8 : wire === 5 ? 4 : wire === 2 ? varint() : -1;
    if (width < 0) throw new Error(`unsupported wire type ${wire}`);
    const int = wire === 0 ? varint() : 0;
    if (at + width > data.length) throw new Error('truncated field');
    const bytes = data.subarray(at, at + width);
    at += width;
    yield { field, wire, int, bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  }
}

// ---- Tags ----

/** The scalars of a record: loss, accuracy, learning rate, loss terms, and every figure's mean and layers, tagged by split. */
export function recordScalars(r: RunRecord): Scalar[] {
  const out: Scalar[] = [{ tag: `${r.split}/loss`, value: r.loss }];
  if (r.accuracy !== undefined) out.push({ tag: `${r.split}/accuracy`, value: r.accuracy });
  if (r.lr !== undefined) out.push({ tag: `${r.split}/lr`, value: r.lr });
  for (const [term, value] of Object.entries(r.lossTerms ?? {})) out.push({ tag: `${r.split}/loss-term/${term}`, value });
  for (const [name, f] of Object.entries(r.figures)) {
    out.push({ tag: `${r.split}/${name}/mean`, value: f.mean });
    f.perLayer.forEach((value, layer) => out.push({ tag: `${r.split}/${name}/layer${layer}`, value }));
  }
  return out;
}

/** The scalars of a flatness estimate: `flatness/<estimator>/<figure>`. */
export function flatnessScalars(r: FlatnessRecord): Scalar[] {
  return Object.entries(r.figures).map(([figure, value]) => ({ tag: `flatness/${r.estimator}/${figure}`, value }));
}

/** Whether `name` is an event file this module writes or reads ('events.out.tfevents.<seconds>.<host>'). */
export function isEventFileName(name: string): boolean {
  return name.startsWith(EVENT_FILE_PREFIX);
}

/** Identifies what an event shows, to carry its wall time over a resume: split and step, or estimator and step. */
function itemKey(kind: 'record' | 'flatness', name: string, step: number): string {
  return `${kind}\u0000${name}\u0000${step}`;
}

function keyOfEvent(e: EventContent): string | undefined {
  const tag = e.scalars?.[0]?.tag;
  if (tag === undefined) return undefined;
  const slash = tag.indexOf('/');
  const head = tag.slice(0, slash);
  if (head === 'train' || head === 'heldOut') return itemKey('record', head, e.step);
  if (head === 'flatness') return itemKey('flatness', tag.slice(slash + 1, tag.lastIndexOf('/')), e.step);
  return undefined;
}

// ---- The run directory's event file ----

/**
 * The TensorBoard event file of a run directory. Like metrics.jsonl, it is rewritten whole at every
 * flush from the records the run directory holds, to a temporary file that is renamed over it: it is
 * never half-written, and after a resume it holds exactly the kept history and the new records (the
 * records dropped with the later checkpoints are gone from it too). Each record is encoded once and
 * its bytes kept, so a flush costs concatenating them and one write.
 *
 * The name, `events.out.tfevents.<unix seconds>.<host>`, is chosen when the file is first written and
 * kept for the run's life: a resume rewrites the event file already in the directory (the last by
 * name, if there are several), so TensorBoard never sees the same step twice. Wall times: a record's
 * is the time it was added; the history a resume keeps keeps the wall times read back from the file
 * (history written before the file existed gets the time of the resume).
 *
 * Within a run every rewrite keeps the bytes already written and adds events at the end, so a
 * TensorBoard that re-reads a replaced file (`--load_fast=false`, with `--detect_file_replacement=true`
 * where TensorFlow is installed) follows a run live; its default fast loader sees a replaced file only
 * once restarted.
 */
export class TensorBoardEvents {
  private name: string | undefined;
  /** Wall time (epoch seconds) of the file_version event. */
  private created: number | undefined;
  private readonly times = new WeakMap<object, number>();
  private readonly frames = new WeakMap<object, Uint8Array>();
  /** Wall times of events read back from the file on a resume, by itemKey. */
  private readonly earlier = new Map<string, number>();
  private loadedAt: number | undefined;

  constructor(
    readonly dir: string,
    private readonly clock: () => number = Date.now,
    private readonly host: string = hostname(),
  ) {}

  /** The event file's path (undefined until it is first written or found by `load`). */
  get path(): string | undefined {
    return this.name === undefined ? undefined : join(this.dir, this.name);
  }

  /** Gives records or estimates that were just made their wall time (now). */
  stamp(items: readonly object[]): void {
    const now = this.clock() / 1000;
    for (const item of items) if (!this.times.has(item)) this.times.set(item, now);
  }

  /**
   * For a resumed run: takes over the event file already in the directory (its name and the wall
   * times of its events). A file that cannot be read or decoded whole is a warning: it is rewritten
   * from metrics.jsonl and flatness.jsonl at the next flush, the wall times it lost replaced.
   */
  async load(): Promise<RunWarning | undefined> {
    this.loadedAt = this.clock() / 1000;
    const name = (await readdir(this.dir).catch(() => [] as string[])).filter(isEventFileName).sort().at(-1);
    if (name === undefined) return undefined;
    this.name = name;
    const path = join(this.dir, name);
    const action = 'rewritten from metrics.jsonl and flatness.jsonl; the history it could not give keeps the time of the resume as its wall time';
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (err) {
      return { code: 'E_RUN_FILE', message: `Cannot read '${path}': ${(err as Error).message}`, action };
    }
    const { events, damage } = decodeEventFile(bytes);
    const first = events[0];
    if (first?.fileVersion !== undefined) this.created = first.wallTime;
    for (const e of events) {
      const key = keyOfEvent(e);
      if (key !== undefined && !this.earlier.has(key)) this.earlier.set(key, e.wallTime);
    }
    return damage === undefined ? undefined : { code: 'E_RUN_FILE', message: `'${path}' is not a complete TensorBoard event file: it ${damage}.`, action };
  }

  /**
   * The whole file for `records` and `estimates`: the file_version event, then one event per record
   * and per estimate (with figures), in the order they were made: records count steps from 0 (the
   * record of step n is taken during step n), estimates count steps completed, so an estimate at n
   * comes before the record of step n.
   */
  encode(records: readonly RunRecord[], estimates: readonly FlatnessRecord[]): Uint8Array {
    const now = this.clock() / 1000;
    this.created ??= Math.floor(now);
    this.name ??= `${EVENT_FILE_PREFIX}${Math.floor(this.created)}.${this.host}`;
    const parts: Uint8Array[] = [frameRecord(encodeEvent({ wallTime: this.created, step: 0, fileVersion: EVENT_FILE_VERSION }))];
    const frame = (item: RunRecord | FlatnessRecord, key: string, scalars: () => Scalar[]) => {
      let bytes = this.frames.get(item);
      if (bytes === undefined) {
        const wallTime = this.times.get(item) ?? this.earlier.get(key) ?? this.loadedAt ?? now;
        this.times.set(item, wallTime);
        bytes = frameRecord(encodeEvent({ wallTime, step: item.step, scalars: scalars() }));
        this.frames.set(item, bytes);
      }
      parts.push(bytes);
    };
    let j = 0;
    const estimatesUpTo = (step: number) => {
      for (; j < estimates.length && estimates[j]!.step <= step; j++) {
        const e = estimates[j]!;
        if (Object.keys(e.figures).length > 0) frame(e, itemKey('flatness', e.estimator, e.step), () => flatnessScalars(e));
      }
    };
    for (const r of records) {
      estimatesUpTo(r.step);
      frame(r, itemKey('record', r.split, r.step), () => recordScalars(r));
    }
    estimatesUpTo(Infinity);
    return Buffer.concat(parts);
  }

  /** Rewrites the event file atomically with `records` and `estimates` (see `encode`). */
  async write(records: readonly RunRecord[], estimates: readonly FlatnessRecord[]): Promise<void> {
    const data = this.encode(records, estimates);
    await writeEventFileAtomic(this.dir, this.name!, data);
  }
}

/**
 * Writes `data` to `dir/name` through a temporary file that is synced and renamed over it (as
 * writeFileAtomic does). The temporary name leaves out 'tfevents' so that TensorBoard, which loads
 * every file whose name contains it, never reads a file being written; it still has the form of the
 * leftovers a resume removes ('.<name>.<12 hex digits>.tmp'). Failures: RunFileError (E_RUN_FILE).
 */
async function writeEventFileAtomic(dir: string, name: string, data: Uint8Array): Promise<void> {
  await writeFileAtomicVia(join(dir, name), data, 'tensorboard-events');
}
