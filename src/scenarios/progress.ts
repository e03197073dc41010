import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ScenarioError } from './errors.js';

/** The learner's progress: the scenarios answered right, kept in a small JSON file. */
export interface Progress {
  readonly solved: readonly string[];
}

export async function readProgress(file: string): Promise<Progress> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { solved: [] };
    throw new ScenarioError('SCN_ERR_PROGRESS', `cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    const solved = (JSON.parse(text) as { solved?: unknown }).solved;
    return { solved: Array.isArray(solved) ? solved.filter((s) => typeof s === 'string') : [] };
  } catch (err) {
    throw new ScenarioError('SCN_ERR_PROGRESS', `${file} is not JSON: ${(err as Error).message}`, {
      hint: 'remove it to start over, or point TRACELAB_PROGRESS_FILE elsewhere',
    });
  }
}

/** Adds a solved scenario; written whole to a new file then renamed, so it is never half written. */
export async function markSolved(file: string, id: string): Promise<Progress> {
  const progress = await readProgress(file);
  if (progress.solved.includes(id)) return progress;
  const next = { solved: [...progress.solved, id] };
  try {
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(next, null, 2)}\n`);
    await rename(tmp, file);
  } catch (err) {
    throw new ScenarioError('SCN_ERR_PROGRESS', `cannot write ${file}: ${(err as Error).message}`);
  }
  return next;
}
