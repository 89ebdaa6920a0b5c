// Bundles the CLI and the library with esbuild (npm run build, after tsc; scripts/setup runs it):
// dist/bundle/hot.cjs and cli.js are what bin/nspod.js loads, dist/bundle/index.js the package's main export.
// cli.js: ES modules with code splitting: each command's body (the dynamic imports in src/cli/program.ts) is a
// chunk of its own, so a command reads and compiles only the code it runs. hot.cjs: the hot commands (src/cli/hot.ts)
// in one CommonJS file, which Node loads without its ES module loader and its builtins' facades. Never committed.
import { build } from 'esbuild';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(top, 'dist', 'bundle');
await rm(outdir, { recursive: true, force: true });
const common = { absWorkingDir: top, outdir, bundle: true, platform: 'node', target: 'node20', sourcemap: 'linked', logLevel: 'warning' };
const result = await build({
  ...common,
  entryPoints: { cli: 'src/cli/main.ts', index: 'src/index.ts' },
  splitting: true,
  format: 'esm',
  chunkNames: 'chunks/[name]-[hash]',
  metafile: process.env.NSPOD_BUNDLE_META === '1',
  write: false,
});
// The CommonJS packages (commander, tar-fs, ...) call esbuild's __require, which uses require() when there is one: ES
// modules have none, so the one chunk that defines __require makes it (not every chunk: each createRequire costs a start).
const requireShim =
  "import { createRequire as __nspodCreateRequire } from 'node:module'; const require = __nspodCreateRequire(import.meta.url); ";
for (const file of result.outputFiles) {
  const text = file.path.endsWith('.js') && file.text.includes('var __require = ') ? requireShim + file.text : file.contents;
  await mkdir(path.dirname(file.path), { recursive: true });
  await writeFile(file.path, text);
}
if (result.metafile) await writeFile(path.join(outdir, 'meta.json'), JSON.stringify(result.metafile));
await build({
  ...common,
  entryPoints: { hot: 'src/cli/hot.ts' },
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  // src/paths.ts finds the package from its own file's URL.
  define: { 'import.meta.url': '__nspodFileUrl' },
  banner: { js: "const __nspodFileUrl = require('node:url').pathToFileURL(__filename).href;" },
});
