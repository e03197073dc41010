import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
// The package itself, here only: the services keep copies of the few names they use.
import * as otel from '@opentelemetry/semantic-conventions/incubating';
import * as ours from '../../src/telemetry/semconv.js';

const SRC = join(__dirname, '..', '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

test("every OpenTelemetry name in semconv.ts is the package's own, letter for letter", () => {
  const table = otel as unknown as Record<string, unknown>;
  const copied = Object.entries(ours).filter(([name]) => name in table);
  // The messaging, database, error, service and process names, and the three metrics.
  assert.ok(copied.length >= 20, `${copied.length} names copied from the package`);
  for (const [name, value] of copied) assert.equal(value, table[name], name);
});

test('no source file loads the semantic-conventions package (its incubating entry alone is 1.7 MB)', () => {
  for (const file of sourceFiles(SRC)) {
    if (file.includes(`${join('src', 'ui')}`)) continue;
    assert.doesNotMatch(
      readFileSync(file, 'utf8'),
      /from '@opentelemetry\/semantic-conventions/,
      `${file.slice(SRC.length + 1)} imports the package: use src/telemetry/semconv.ts`,
    );
  }
});
