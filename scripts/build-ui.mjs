// Bundles the web UI (src/ui) into dist/ui: one script, one stylesheet, index.html. Everything it
// needs is in the bundle, so the UI fetches nothing from anywhere but its own origin.
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const outdir = path.join(root, 'dist/ui');

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
await build({
  entryPoints: { app: path.join(root, 'src/ui/main.tsx') },
  outdir,
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  format: 'esm',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'eof',
  logLevel: 'warning',
});
await copyFile(path.join(root, 'src/ui/index.html'), path.join(outdir, 'index.html'));
