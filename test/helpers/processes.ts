import { readdirSync, readFileSync } from 'node:fs';

/** A process as /proc shows it; `start` tells a process from a later one with its pid. */
export interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  readonly state: string;
  readonly start: string;
  readonly cmdline: string;
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may hold spaces: the fields after it follow the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const rest = stat.slice(close + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return {
      pid,
      comm,
      state: rest[0]!,
      ppid: Number(rest[1]),
      start: rest[19]!,
      cmdline,
    };
  } catch {
    return undefined;
  }
}

/** Every process below `root` now, children of children included. */
export function descendants(root: number): ProcInfo[] {
  const all = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => readProc(Number(d)))
    .filter((p): p is ProcInfo => p !== undefined);
  const found: ProcInfo[] = [];
  const parents = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}

/** Still running: the same process (same start time), and not a zombie waiting to be reaped. */
export function isRunning(p: ProcInfo): boolean {
  const now = readProc(p.pid);
  return now !== undefined && now.start === p.start && now.state !== 'Z';
}
