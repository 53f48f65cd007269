import type { Io } from '@flatsparse/cli';

/** An Io that records lines, for asserting on CLI output. */
export function recordingIo(): Io & { readonly out_: string[]; readonly err_: string[]; text(): string } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (l) => void out_.push(l), err: (l) => void err_.push(l), text: () => [...out_, ...err_].join('\n') };
}
