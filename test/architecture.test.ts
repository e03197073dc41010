import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';

const ROOT = join(__dirname, '..', '..');
const SRC = join(ROOT, 'src');

interface Rule {
  readonly layer: number;
  /** Modules it may import; undefined: any module on a lower layer. */
  readonly mayImport: ReadonlySet<string> | undefined;
}

/**
 * A file directly under `src/` belongs to no module: it is an entry on the top layer, like
 * `cli` (it may import any module, through its face), and nothing may import it.
 */
const TOP_LEVEL: Rule = { layer: Infinity, mayImport: undefined };

/**
 * Imports that may go past another module's `index.ts`, each with its reason. `from` is a file,
 * or a module for all its files. Keep it short: a new entry needs a reason a face cannot serve.
 */
const ALLOWED_PAST_FACE: readonly { from: string; to: string; reason: string }[] = [
  {
    from: 'workload/cpu-worker.ts',
    to: 'monitor/thread-cpu.ts',
    reason:
      'a worker thread loaded by path: it reads its own CPU time and must not load the monitor and telemetry into every worker',
  },
];

const allows = (entry: { from: string; to: string }, from: string, to: string): boolean =>
  entry.to === to && (entry.from === from || from.startsWith(`${entry.from}/`));

/** The table between the import-rules markers of docs/architecture.md. */
function readRules(): Map<string, Rule> {
  const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
  const table = /<!-- import-rules:start -->([\s\S]*?)<!-- import-rules:end -->/.exec(doc)?.[1];
  assert.ok(table, 'docs/architecture.md has an import-rules table');
  const rules = new Map<string, Rule>();
  for (const line of table.split('\n')) {
    const m = /^\|\s*`([a-z-]+)`\s*\|\s*(\d+)\s*\|\s*([^|]*)\|/.exec(line);
    if (!m) continue;
    const list = m[3]!.trim();
    rules.set(m[1]!, {
      layer: Number(m[2]),
      mayImport:
        list === 'any lower module'
          ? undefined
          : new Set(
              list
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean),
            ),
    });
  }
  return rules;
}

/** Every TypeScript source under `dir`, `.ts` and `.tsx`, at any depth. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : /\.[cm]?tsx?$/.test(e.name)
        ? [join(dir, e.name)]
        : [],
  );
}

/** Relative specifiers of static imports, re-exports, dynamic imports and requires. */
function relativeImports(text: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/g,
    /\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g,
    /^\s*import\s+['"](\.{1,2}\/[^'"]+)['"]/gm,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) found.push(m[1]!);
  return found;
}

/** `model/order.ts` for `<src>/model/order.js`: the path a source file is known by. */
const sourcePath = (src: string, file: string): string =>
  relative(src, file)
    .split(sep)
    .join('/')
    .replace(/\.[cm]?jsx?$/, (ext) => ext.replace('j', 't'));

/** A module's face: its `index.ts`, however the import names it (`x`, `x/index`, `x/index.js`). */
const isFace = (path: string[]): boolean =>
  path.length === 1 || (path.length === 2 && /^index(\.[cm]?[jt]sx?)?$/.test(path[1]!));

/**
 * Every import in the source tree at `src` that breaks the rules: one module importing a module
 * its row does not name, importing past the other module's `index.ts` (but for the allow-list),
 * importing a file directly under `src/`, or reaching outside `src/`. Inside a module anything goes.
 */
export function importViolations(
  src: string,
  rules: ReadonlyMap<string, Rule>,
  allowed: typeof ALLOWED_PAST_FACE = ALLOWED_PAST_FACE,
): string[] {
  const shown = (file: string) => relative(dirname(src), file).split(sep).join('/');
  const violations: string[] = [];
  for (const file of sourceFiles(src)) {
    const fromPath = relative(src, file).split(sep);
    const from = fromPath.length > 1 ? fromPath[0]! : undefined;
    const rule = from === undefined ? TOP_LEVEL : rules.get(from);
    if (!rule) continue; // a module without a row: reported by the test of the table
    for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), spec);
      const where = `${shown(file)} imports '${spec}'`;
      if (!target.startsWith(src + sep)) {
        violations.push(`${where}: outside src/`);
        continue;
      }
      const toPath = relative(src, target).split(sep);
      if (toPath.length === 1) {
        violations.push(`${where}: a file directly under src/, which nothing may import`);
        continue;
      }
      const to = toPath[0]!;
      if (to === from) continue;
      const mayImport = rule.mayImport
        ? rule.mayImport.has(to)
        : (rules.get(to)?.layer ?? Infinity) < rule.layer;
      if (!mayImport) {
        violations.push(`${where}: ${from ?? 'a top-level file'} may not import ${to}`);
      } else if (
        !isFace(toPath) &&
        !allowed.some((a) => allows(a, sourcePath(src, file), sourcePath(src, target)))
      ) {
        violations.push(`${where}: past the face of ${to} (src/${to}/index.ts)`);
      }
    }
  }
  return violations.sort();
}

test('every module in src/ has a row in the architecture table, on a layer above what it may import', () => {
  const rules = readRules();
  const modules = readdirSync(SRC, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  for (const name of modules) {
    assert.ok(rules.has(name), `src/${name} is in the table of docs/architecture.md`);
  }
  for (const [name, rule] of rules) {
    for (const dep of rule.mayImport ?? []) {
      const below = rules.get(dep);
      assert.ok(below, `${name} may import ${dep}, which is in the table`);
      assert.ok(below.layer < rule.layer, `${dep} (layer ${below.layer}) is below ${name}`);
    }
  }
});

test('every import between modules is one the table allows, through the other module’s face', () => {
  const violations = importViolations(SRC, readRules());
  assert.ok(
    violations.length === 0,
    `${violations.length} imports break docs/architecture.md:\n  ${violations.join('\n  ')}`,
  );
});

test('each allow-list entry is still used: some file it names imports past the face', () => {
  const imported = sourceFiles(SRC).flatMap((file) =>
    relativeImports(readFileSync(file, 'utf8')).map((spec) => ({
      from: sourcePath(SRC, file),
      to: sourcePath(SRC, resolve(dirname(file), spec)),
    })),
  );
  for (const entry of ALLOWED_PAST_FACE) {
    assert.ok(
      imported.some(({ from, to }) => allows(entry, from, to)),
      `${entry.from} still imports ${entry.to}`,
    );
  }
});

test('a deep import, or a .tsx import the table forbids, planted in a copy of src/ is reported', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tracelab-architecture-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const src = join(dir, 'src');
  cpSync(SRC, src, { recursive: true });
  const rules = readRules();
  const before = new Set(importViolations(src, rules));
  const plant = (path: string, text: string) => {
    mkdirSync(dirname(join(src, path)), { recursive: true });
    writeFileSync(join(src, path), text);
  };
  plant('bus/planted.ts', "import { encodeOrder } from '../model/order.js';\n");
  plant('bus/planted-face.ts', "import { encodeOrder } from '../model/index.js';\n");
  plant(
    'ui/views/Planted.tsx',
    "import { createBus } from '../../bus/index.js';\nimport { TOPICS } from '../../model/topics.js';\n",
  );
  plant('planted.ts', "import { TOPICS } from './model/topics.js';\n");
  plant('model/planted-up.ts', "import '../planted.js';\n");
  const added = importViolations(src, rules).filter((v) => !before.has(v));
  assert.deepEqual(added.sort(), [
    "src/bus/planted.ts imports '../model/order.js': past the face of model (src/model/index.ts)",
    "src/model/planted-up.ts imports '../planted.js': a file directly under src/, which nothing may import",
    "src/planted.ts imports './model/topics.js': past the face of model (src/model/index.ts)",
    "src/ui/views/Planted.tsx imports '../../bus/index.js': ui may not import bus",
    "src/ui/views/Planted.tsx imports '../../model/topics.js': past the face of model (src/model/index.ts)",
  ]);
});

/** Run in a fresh process: what each face, imported in turn, loads of the `heavy` packages. */
function heavyLoads(faces: readonly string[], heavy: string): string[] {
  const found: string[] = [];
  for (const face of faces) {
    const before = new Set(Object.keys(require.cache));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(face);
    const added = Object.keys(require.cache).filter(
      (k) => !before.has(k) && new RegExp(heavy).test(k),
    );
    if (added.length) found.push(`${face} loads ${added.length} files: ${added[0]}, …`);
  }
  return found;
}

test('importing a face loads no adapter: no Redis or Kafka client, no OpenTelemetry SDK, no ajv', () => {
  const faces = readdirSync(SRC, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== 'ui' && existsSync(join(SRC, e.name, 'index.ts')))
    .map((e) => join(__dirname, '..', 'src', e.name, 'index.js'));
  const heavy =
    'node_modules/(ioredis|kafkajs|ajv|fastify|@opentelemetry/(sdk-|instrumentation|exporter-))';
  const script = `console.log(JSON.stringify((${heavyLoads.toString()})(${JSON.stringify(faces)}, ${JSON.stringify(heavy)})))`;
  const found = JSON.parse(
    execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }),
  ) as string[];
  assert.ok(
    found.length === 0,
    `faces that load an adapter when imported:\n  ${found.join('\n  ')}`,
  );
});
