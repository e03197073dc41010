/**
 * `perf script` output (stacks sampled from a Node process run with
 * `--perf-basic-prof-only-functions`) → samples counted by who owns the code that ran: the
 * package, tracelab module or Node module of the innermost JavaScript frame. Engine and
 * kernel frames under it (inline caches, builtins, syscalls) are charged to that frame, since
 * it asked for them; a sample with no JavaScript frame (the garbage collector, the event loop,
 * the compiler) is `[no JS frame]`. Pure.
 */

/** One sample: its process and its frames, innermost first. */
export interface PerfSample {
  readonly pid: number;
  readonly frames: readonly string[];
}

/** A header line: `node 26200  2401.195555:    2004008 cpu-clock:ppp:` (comm may hold spaces). */
const HEADER = /^\S.*?\s(\d+)(?:\/\d+)?\s+\d+\.\d+:/;

export function parsePerfScript(text: string): PerfSample[] {
  const samples: PerfSample[] = [];
  let pid = -1;
  let frames: string[] = [];
  const end = () => {
    if (pid >= 0 && frames.length > 0) samples.push({ pid, frames });
    pid = -1;
    frames = [];
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      end();
    } else if (line[0] === ' ' || line[0] === '\t') {
      if (pid >= 0) frames.push(line.trim());
    } else {
      end();
      const m = HEADER.exec(line);
      if (m) pid = Number(m[1]);
    }
  }
  end();
  return samples;
}

export const NO_JS_FRAME = '[no JS frame]';

const OWNER =
  /node_modules\/((?:@[^/\s]+\/)?[^/\s]+)\/|dist\/src\/([^/\s]+)\/|\b(node:[a-z_/]+):\d+/;

/** Who owns a JavaScript frame: `pg`, `@opentelemetry/sdk-trace`, `tracelab/bus`, `node:buffer`. */
export function ownerOf(frame: string): string {
  const m = OWNER.exec(frame);
  if (!m) return 'other JS';
  if (m[1]) return m[1];
  if (m[2]) return `tracelab/${m[2]}`;
  return m[3]!;
}

/** The function of a JavaScript frame, without its address and map file. */
export function functionOf(frame: string): string {
  const js = frame.slice(frame.indexOf('JS:') + 3);
  return js.replace(/\+0x[0-9a-f]+.*$/, '').replace(/^[*^~]/, '');
}

/** Samples by the owner (or the function, `by: 'function'`) of their innermost JS frame. */
export function countByOwner(
  samples: readonly PerfSample[],
  by: 'owner' | 'function' = 'owner',
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of samples) {
    const js = s.frames.find((f) => f.includes('JS:'));
    const key = js === undefined ? NO_JS_FRAME : by === 'owner' ? ownerOf(js) : functionOf(js);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export interface OwnerDifference {
  readonly owner: string;
  readonly before: number;
  readonly after: number;
  /** after − before, in samples. */
  readonly difference: number;
}

/** Each owner's samples in two profiles, the largest growth first. */
export function differences(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
): OwnerDifference[] {
  const owners = new Set([...before.keys(), ...after.keys()]);
  return [...owners]
    .map((owner) => {
      const b = before.get(owner) ?? 0;
      const a = after.get(owner) ?? 0;
      return { owner, before: b, after: a, difference: a - b };
    })
    .sort((x, y) => y.difference - x.difference || x.owner.localeCompare(y.owner));
}
