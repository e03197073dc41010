import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** `tracelab collector` as a child process on free ports, for the benches that measure it. */

const CLI = join(__dirname, '..', 'src', 'cli', 'main.js');

export interface CollectorProcess {
  pid: number;
  otlpUrl: string;
  queryUrl: string;
  stop: () => Promise<void>;
}

export function startCollectorProcess(
  maxSpans: number,
  extraArgs: string[] = [],
): Promise<CollectorProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        CLI,
        'collector',
        '--otlp-port',
        '0',
        '--http-port',
        '0',
        '--max-spans',
        String(maxSpans),
        ...extraArgs,
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /receiver on (\S+)\ncollector: query API on (\S+)\n/.exec(out);
      if (m) {
        resolve({
          pid: child.pid!,
          otlpUrl: m[1]!,
          queryUrl: m[2]!,
          stop: () =>
            new Promise((done) => {
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`collector exited with ${code}: ${out}`)));
  });
}

/** User + system CPU time of a process, s: unlike the rate, other users of the machine do not change it. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}
