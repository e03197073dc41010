import { readdirSync, readFileSync } from 'node:fs';

/** Every process below `root` now, children of children included. */
export function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name, which may hold spaces: state, ppid, …
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // Exited meanwhile.
    }
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const [child, parent] of parents)
      if (parent === pid) {
        found.push(child);
        walk(child);
      }
  };
  walk(root);
  return found;
}

/** A process's memory, KB, as /proc/<pid>/smaps_rollup counts it. */
export interface ProcessMemory {
  readonly pid: number;
  /** What the process is: `up`, `collector`, `service processing`, `redis-server`. */
  readonly name: string;
  /** Resident pages, shared ones (the node binary) counted in full in every process. */
  readonly rssKb: number;
  /** Resident pages with each shared page divided among the processes that map it. */
  readonly pssKb: number;
  /** Private memory: the heap, compiled code, buffers. */
  readonly anonKb: number;
}

export function processMemory(pid: number): ProcessMemory | undefined {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const field = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(rollup)?.[1] ?? 0);
    return {
      pid,
      name: processName(pid),
      rssKb: field('Rss'),
      pssKb: field('Pss'),
      anonKb: field('Anonymous'),
    };
  } catch {
    return undefined; // gone between listing and reading
  }
}

/** The memory of `root` and every process below it. */
export function treeMemory(root: number): ProcessMemory[] {
  return [root, ...descendants(root)]
    .map(processMemory)
    .filter((m): m is ProcessMemory => m !== undefined);
}

/** What a process is: `up`, `collector`, `service processing`, `redis-server`. */
export function processName(pid: number): string {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  // `node …/main.js service processing …`: the command and, for a service, its name.
  const main = argv.findIndex((a) => a.endsWith('main.js'));
  return main >= 0
    ? argv.slice(main + 1, argv[main + 1] === 'service' ? main + 3 : main + 2).join(' ')
    : (argv[0] ?? '').split('/').pop()!;
}

/** CPU time a process has used so far, user + system, ms; undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name: state is field 3, utime 14, stime 15 (clock ticks).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return undefined;
  }
}

/** Linux's USER_HZ, 100 on every architecture Node runs on. */
const CLOCK_TICKS_PER_S = 100;

/** CPU time so far of `root`, every process below it and any `extra` ones, by name. */
export function treeCpuMs(root: number, extra: readonly number[] = []): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of [root, ...descendants(root), ...extra]) {
    try {
      const name = cpuGroup(processName(pid));
      const ms = processCpuMs(pid);
      if (ms !== undefined) out.set(name, (out.get(name) ?? 0) + ms);
    } catch {
      // Exited meanwhile.
    }
  }
  return out;
}

/**
 * PostgreSQL retitles its processes as they work (`postgres: user db 127.0.0.1(5123) idle`,
 * then `… UPDATE`): its connections are summed as one name, its own workers as another.
 */
function cpuGroup(name: string): string {
  if (/^postgres: \S+ \S+ [\d.:[\]a-f]+\(\d+\)/.test(name)) return 'postgres connections';
  if (name.startsWith('postgres') || name.endsWith('/postgres')) return 'postgres server';
  return name;
}
