import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';

const ROOT = join(__dirname, '..', '..');
const SRC = join(ROOT, 'src');

interface Rule {
  readonly layer: number;
  /** Modules it may import; undefined: any module on a lower layer. */
  readonly mayImport: ReadonlySet<string> | undefined;
}

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

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

/** Relative specifiers of static imports, re-exports, dynamic imports and requires. */
function relativeImports(text: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\bfrom\s+'(\.{1,2}\/[^']+)'/g,
    /\bimport\s*\(\s*'(\.{1,2}\/[^']+)'\s*\)/g,
    /\brequire\s*\(\s*'(\.{1,2}\/[^']+)'\s*\)/g,
    /^\s*import\s+'(\.{1,2}\/[^']+)'/gm,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) found.push(m[1]!);
  return found;
}

const moduleOf = (file: string): string => relative(SRC, file).split(sep)[0]!;

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

test('no module imports one the architecture table does not allow (nothing but cli imports cli)', () => {
  const rules = readRules();
  const violations: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = moduleOf(file);
    const rule = rules.get(from);
    if (!rule) continue; // reported by the test above
    for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(SRC + sep)) {
        violations.push(`${relative(ROOT, file)} imports ${spec}, outside src/`);
        continue;
      }
      const to = moduleOf(target);
      if (to === from) continue;
      const allowed = rule.mayImport
        ? rule.mayImport.has(to)
        : (rules.get(to)?.layer ?? Infinity) < rule.layer;
      if (!allowed) violations.push(`${relative(ROOT, file)} (${from}) imports ${spec} (${to})`);
    }
  }
  assert.deepEqual(violations, []);
});
