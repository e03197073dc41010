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
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    // `node …/main.js service processing …`: the command and, for a service, its name.
    const main = argv.findIndex((a) => a.endsWith('main.js'));
    const name =
      main >= 0
        ? argv.slice(main + 1, argv[main + 1] === 'service' ? main + 3 : main + 2).join(' ')
        : (argv[0] ?? '').split('/').pop()!;
    return {
      pid,
      name,
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
