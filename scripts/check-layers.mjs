#!/usr/bin/env node
// The floors of src/ (README, "Architecture"): every import, `import type` and `export ... from` included, points to
// the same folder or down a floor, and no chain of imports between files closes a circle. Exits 1 naming each breach.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const src = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Folder (or top-level file) → floor; higher floors may import lower ones, never the reverse. */
const FLOORS = [
  ['errors.ts', 'paths.ts'],
  ['spec', 'host'],
  ['network', 'image', 'probe', 'oci'],
  ['runtime', 'manifest'],
  ['pod'],
  ['cli'],
  ['index.ts'],
];
const floorOf = new Map(FLOORS.flatMap((names, floor) => names.map((n) => [n, floor])));

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** `spec/spec.ts` → `spec`; `errors.ts` → `errors.ts`. */
const room = (rel) => rel.split('/')[0];
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

const problems = [];
const edges = new Map();
for (const file of files(src)) {
  const rel = path.relative(src, file);
  const from = room(rel);
  if (!floorOf.has(from)) problems.push(`${rel}: ${from} has no floor in scripts/check-layers.mjs (add it to FLOORS)`);
  const targets = [];
  for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    const target = path.relative(src, path.resolve(path.dirname(file), spec)).replace(/\.js$/, '.ts');
    targets.push(target);
    const to = room(target);
    if (to === from) continue;
    if (floorOf.get(to) > floorOf.get(from)) problems.push(`${rel} imports ${target}: ${to} is on a floor above ${from}`);
    else if (floorOf.get(to) === floorOf.get(from))
      problems.push(`${rel} imports ${target}: ${from} and ${to} share a floor (move the shared part down)`);
  }
  edges.set(rel, targets);
}

// Circles between files, through any chain of imports (Tarjan's strongly connected components).
let index = 0;
const stack = [];
const state = new Map();
function visit(v) {
  const s = { index, low: index, onStack: true };
  index += 1;
  state.set(v, s);
  stack.push(v);
  for (const w of edges.get(v) ?? []) {
    if (!edges.has(w)) continue;
    const t = state.get(w);
    if (!t) {
      visit(w);
      s.low = Math.min(s.low, state.get(w).low);
    } else if (t.onStack) s.low = Math.min(s.low, t.index);
  }
  if (s.low === s.index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      state.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1) problems.push(`import cycle: ${component.sort().join(' <-> ')}`);
  }
}
for (const v of edges.keys()) if (!state.has(v)) visit(v);

if (problems.length > 0) {
  for (const p of problems) console.error(`check-layers: ${p}`);
  process.exit(1);
}
console.log(`check-layers: ${edges.size} files, every import points down a floor, no cycles`);
