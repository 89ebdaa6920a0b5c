/**
 * ConfigMaps and Secrets from the command line, as kubectl has them: `nspod get configmaps|secrets`, `nspod create
 * configmap|secret generic NAME --from-literal/--from-file/--from-env-file`, `nspod rm configmap|secret NAME...`; and
 * `nspod down FILE...`, which removes what those files made (pods, ConfigMaps, Secrets). A Secret's values are never printed.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { NspodError } from '../../errors.js';
import { resolveStateRoot } from '../../paths.js';
import { ConfigStore } from '../../pod/configs.js';
import { Pod } from '../../pod/pod.js';
import { configValues, type ConfigKind, type ConfigObject } from '../../spec/config.js';
import { configKind, table } from '../format.js';
import { loadManifests } from '../manifests.js';
import { podOptions, usageError, type GlobalOptions } from '../options.js';
import { out } from '../output.js';

function store(g: GlobalOptions): ConfigStore {
  return new ConfigStore(resolveStateRoot(g.root));
}

export async function get(what: string, o: { output?: string }, g: GlobalOptions): Promise<number> {
  const kind = configKind(what) ?? usageError(`get lists configmaps or secrets, not ${JSON.stringify(what)}`);
  const objects = await store(g).list(kind);
  if (o.output === 'json') {
    // A Secret's keys and sizes, never its values.
    const shown = objects.map((x) =>
      x.kind === 'Secret' ? { ...x, data: Object.fromEntries([...configValues(x)].map(([k, v]) => [k, `<${v.length} bytes>`])) } : x,
    );
    out(`${JSON.stringify(shown, null, 2)}\n`);
    return 0;
  }
  const rows = objects.map((x) => {
    const count = String(configValues(x).size);
    return x.kind === 'Secret' ? [x.name, x.type ?? 'Opaque', count] : [x.name, count];
  });
  out(table(kind === 'Secret' ? ['NAME', 'TYPE', 'DATA'] : ['NAME', 'DATA'], rows));
  return 0;
}

export interface CreateOptions {
  fromLiteral?: string[];
  fromFile?: string[];
  fromEnvFile?: string[];
  type?: string;
}

/** `KEY=VALUE` lines of an env file; blank lines and `#` comments skipped. */
function envFileEntries(text: string, file: string): [string, string][] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'))
    .map((l) => {
      const eq = l.indexOf('=');
      if (eq <= 0) throw new NspodError('INVALID_SPEC', `${file}: ${JSON.stringify(l)} is not KEY=VALUE`);
      return [l.slice(0, eq).trim(), l.slice(eq + 1)];
    });
}

/** The keys `--from-file=[KEY=]PATH` gives: the file under its name (or KEY), or every regular file of a directory. */
async function fileEntries(spec: string): Promise<[string, Buffer][]> {
  const eq = spec.indexOf('=');
  const [key, file] = eq > 0 ? [spec.slice(0, eq), spec.slice(eq + 1)] : [undefined, spec];
  const st = await stat(file).catch(() => undefined);
  if (!st) throw new NspodError('INVALID_SPEC', `--from-file: cannot read ${file}`);
  if (!st.isDirectory()) return [[key ?? path.basename(file), await readFile(file)]];
  if (key !== undefined) throw new NspodError('INVALID_SPEC', `--from-file: ${file} is a directory: a key cannot name it`);
  const out: [string, Buffer][] = [];
  for (const name of (await readdir(file)).sort()) {
    const child = path.join(file, name);
    if ((await stat(child)).isFile()) out.push([name, await readFile(child)]);
  }
  return out;
}

export async function create(what: string, args: string[], o: CreateOptions, g: GlobalOptions): Promise<number> {
  const kind = configKind(what) ?? usageError(`create makes a configmap or a secret, not ${JSON.stringify(what)}`);
  // `create secret generic NAME`, as kubectl says it.
  if (kind === 'Secret' && args[0] !== 'generic') usageError('nspod create secret generic NAME: only generic secrets are made here');
  const name = (kind === 'Secret' ? args[1] : args[0]) ?? usageError(`create ${what} needs a NAME`);
  const entries: [string, Buffer][] = [];
  for (const literal of o.fromLiteral ?? []) {
    const eq = literal.indexOf('=');
    if (eq <= 0) usageError(`--from-literal takes KEY=VALUE, not ${JSON.stringify(literal)}`);
    entries.push([literal.slice(0, eq), Buffer.from(literal.slice(eq + 1))]);
  }
  for (const spec of o.fromFile ?? []) entries.push(...(await fileEntries(spec)));
  for (const file of o.fromEnvFile ?? []) {
    for (const [k, v] of envFileEntries(await readFile(file, 'utf8'), file)) entries.push([k, Buffer.from(v)]);
  }
  const keys = new Set<string>();
  for (const [k] of entries) {
    if (keys.has(k)) throw new NspodError('INVALID_SPEC', `key ${JSON.stringify(k)} is given twice`);
    keys.add(k);
  }
  let object: ConfigObject;
  if (kind === 'Secret') {
    object = { kind, name, type: o.type ?? 'Opaque', data: Object.fromEntries(entries.map(([k, v]) => [k, v.toString('base64')])) };
  } else {
    // Text stays text; anything that is not UTF-8 goes to binaryData, as kubectl puts it.
    const text = entries.filter(([, v]) => Buffer.from(v.toString('utf8')).equals(v));
    const binary = entries.filter((e) => !text.includes(e));
    object = { kind, name, data: Object.fromEntries(text.map(([k, v]) => [k, v.toString('utf8')])) };
    if (binary.length > 0) object.binaryData = Object.fromEntries(binary.map(([k, v]) => [k, v.toString('base64')]));
  }
  await store(g).put(object, { create: true });
  out(`${kind.toLowerCase()}/${name} created\n`);
  return 0;
}

export async function removeObjects(kind: ConfigKind, names: string[], g: GlobalOptions): Promise<number> {
  for (const name of names) {
    if (!(await store(g).remove(kind, name)))
      throw new NspodError('INVALID_SPEC', `no ${kind} named ${JSON.stringify(name)} in ${resolveStateRoot(g.root)}`, {
        hint: `nspod get ${kind.toLowerCase()}s lists them`,
      });
    out(`${kind.toLowerCase()}/${name}\n`);
  }
  return 0;
}

/** Removes the pods, ConfigMaps and Secrets the files name (what nspod run made of them); what is not there is passed over. */
export async function down(files: string[], o: { time?: string }, g: GlobalOptions): Promise<number> {
  const grace = o.time === undefined ? undefined : Number(o.time);
  if (grace !== undefined && (!Number.isFinite(grace) || grace < 0)) usageError(`--time takes seconds >= 0, not ${JSON.stringify(o.time)}`);
  const manifests = await loadManifests(files);
  const existing = new Set(await Pod.list(podOptions(g)));
  for (const { spec } of manifests.pods) {
    if (!existing.has(spec.name)) continue;
    const pod = await Pod.load(spec.name, podOptions(g));
    await pod.remove(grace === undefined ? {} : { gracePeriodSeconds: grace });
    out(`pod/${spec.name}\n`);
  }
  for (const object of manifests.objects) {
    if (await store(g).remove(object.kind, object.name)) out(`${object.kind.toLowerCase()}/${object.name}\n`);
  }
  return 0;
}
