/** The manifests of one command line: several files, `-` for stdin, read as one set (a name twice across them is an error). */
import { NspodError } from '../errors.js';
import { loadManifestFile, parseManifest, type LoadedManifest } from '../manifest/index.js';
import type { ConfigLookup } from '../spec/env.js';
import type { PodSpec } from '../spec/spec.js';
import type { ConfigMapObject, SecretObject } from '../spec/config.js';

export interface ManifestSet {
  /** Each pod with the directory its relative image paths are resolved against. */
  pods: { spec: PodSpec; baseDir: string; file: string }[];
  objects: (ConfigMapObject | SecretObject)[];
  warnings: string[];
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function loadManifests(files: string[]): Promise<ManifestSet> {
  const set: ManifestSet = { pods: [], objects: [], warnings: [] };
  const seen = new Map<string, string>();
  for (const file of files) {
    const m: LoadedManifest =
      file === '-'
        ? { ...parseManifest(await readStdin(), { file: '<stdin>' }), file: '<stdin>', baseDir: process.cwd() }
        : await loadManifestFile(file);
    set.warnings.push(...m.warnings);
    const named: [string, string][] = [
      ...m.pods.map((p): [string, string] => [`pod ${p.name}`, p.name]),
      ...[...m.configMaps, ...m.secrets].map((o): [string, string] => [`${o.kind} ${o.name}`, o.name]),
    ];
    for (const [what] of named) {
      const first = seen.get(what);
      if (first !== undefined && first !== m.file)
        throw new NspodError('INVALID_SPEC', `${m.file}: ${what} is also in ${first}`, { hint: 'give each pod and object one name' });
      seen.set(what, m.file);
    }
    set.pods.push(...m.pods.map((spec) => ({ spec, baseDir: m.baseDir, file: m.file })));
    set.objects.push(...m.configMaps, ...m.secrets);
  }
  return set;
}

/** The objects of the set, over those of the state root (what a dry run reads: it stores nothing). */
export function overlayLookup(objects: ManifestSet['objects'], under: ConfigLookup): ConfigLookup {
  return (kind, name) => objects.find((o) => o.kind === kind && o.name === name) ?? under(kind, name);
}
