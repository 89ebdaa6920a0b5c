// Bundles the CLI and the library with esbuild (npm run build, after tsc; scripts/setup runs it):
// dist/bundle/cli.js is what bin/nspod.js loads, dist/bundle/index.js the package's main export.
// ES modules with code splitting: each command's body (the dynamic imports in src/cli/main.ts) is a
// chunk of its own, so a command reads and compiles only the code it runs. Never committed.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(top, 'dist', 'bundle');
await rm(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: top,
  entryPoints: { cli: 'src/cli/main.ts', index: 'src/index.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  // The CommonJS packages (commander, tar-fs, ...) call require(): ES modules have none, so each file makes one.
  banner: {
    js: "import { createRequire as __nspodCreateRequire } from 'node:module'; const require = __nspodCreateRequire(import.meta.url);",
  },
  sourcemap: 'linked',
  metafile: process.env.NSPOD_BUNDLE_META === '1',
  logLevel: 'warning',
});
if (result.metafile) {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path.join(outdir, 'meta.json'), JSON.stringify(result.metafile));
}
