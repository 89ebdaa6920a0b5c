/**
 * The ConfigMaps and Secrets of a state root: `<root>/config/{configmaps,secrets}/<name>.json`, each written
 * atomically and readable by root alone (0600 in 0700 dirs), referenced by name from the pods of that root.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { NspodError } from '../errors.js';
import { ensurePrivateDir, readJson, writeJsonAtomic } from '../host/files.js';
import { validateConfigObject, type ConfigKind, type ConfigObject } from '../spec/config.js';
import type { ConfigLookup } from '../spec/env.js';
import type { PodSpec } from '../spec/spec.js';

const DIRS: Record<ConfigKind, string> = { ConfigMap: 'configmaps', Secret: 'secrets' };

/** What `put` did: made the object, replaced it, or found it as it is. */
export type PutResult = 'created' | 'configured' | 'unchanged';

export class ConfigStore {
  constructor(readonly root: string) {}

  private dir(kind: ConfigKind): string {
    return path.join(this.root, 'config', DIRS[kind]);
  }

  private file(kind: ConfigKind, name: string): string {
    return path.join(this.dir(kind), `${name}.json`);
  }

  async get(kind: ConfigKind, name: string): Promise<ConfigObject | undefined> {
    return await readJson<ConfigObject>(this.file(kind, name));
  }

  /**
   * Stores the object (what `kubectl apply` does): made when new, replaced when changed, unless the stored one is
   * immutable. With `create`, an object of that name already there is an error (`kubectl create`).
   */
  async put(object: ConfigObject, options: { create?: boolean } = {}): Promise<PutResult> {
    validateConfigObject(object);
    const old = await this.get(object.kind, object.name);
    if (old && options.create) {
      throw new NspodError('INVALID_SPEC', `${object.kind} ${object.name} already exists in ${this.root}`, {
        hint: `remove it first (nspod rm ${object.kind.toLowerCase()} ${object.name})`,
      });
    }
    if (old && isDeepStrictEqual(old, object)) return 'unchanged';
    if (old?.immutable) {
      throw new NspodError('INVALID_SPEC', `${object.kind} ${object.name} is immutable: its data cannot change`, {
        hint: `remove it (nspod rm ${object.kind.toLowerCase()} ${object.name}) and create it again`,
      });
    }
    await ensurePrivateDir(this.root);
    await mkdir(this.dir(object.kind), { recursive: true, mode: 0o700 });
    await writeJsonAtomic(this.file(object.kind, object.name), object, { mode: 0o600 });
    return old ? 'configured' : 'created';
  }

  /** Removes the object; false when there was none. */
  async remove(kind: ConfigKind, name: string): Promise<boolean> {
    const file = this.file(kind, name);
    const there = (await this.get(kind, name)) !== undefined;
    await rm(file, { force: true });
    return there;
  }

  async list(kind: ConfigKind): Promise<ConfigObject[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir(kind))).filter((f) => f.endsWith('.json'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const objects = await Promise.all(names.sort().map((f) => this.get(kind, f.slice(0, -'.json'.length))));
    return objects.filter((o): o is ConfigObject => o !== undefined);
  }

  /** Every object the pod names (env, envFrom, volumes), read once, for the pure resolvers; a missing one is undefined. */
  async lookupFor(spec: PodSpec): Promise<ConfigLookup> {
    const loaded = new Map<string, ConfigObject | undefined>();
    for (const [kind, name] of configReferences(spec)) {
      const key = `${kind}/${name}`;
      if (!loaded.has(key)) loaded.set(key, await this.get(kind, name));
    }
    return (kind, name) => loaded.get(`${kind}/${name}`);
  }
}

/** The ConfigMaps and Secrets a pod names, each as [kind, name]. */
export function configReferences(spec: PodSpec): [ConfigKind, string][] {
  const out: [ConfigKind, string][] = [];
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    for (const from of c.envFrom ?? []) {
      if (from.configMapRef) out.push(['ConfigMap', from.configMapRef.name]);
      if (from.secretRef) out.push(['Secret', from.secretRef.name]);
    }
    for (const value of Object.values(c.env ?? {})) {
      if (typeof value === 'string') continue;
      if (value.configMapKeyRef) out.push(['ConfigMap', value.configMapKeyRef.name]);
      if (value.secretKeyRef) out.push(['Secret', value.secretKeyRef.name]);
    }
  }
  for (const v of spec.volumes ?? []) {
    if (v.configMap) out.push(['ConfigMap', v.configMap.name]);
    if (v.secret) out.push(['Secret', v.secret.secretName]);
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap) out.push(['ConfigMap', s.configMap.name]);
      if (s.secret) out.push(['Secret', s.secret.name]);
    }
  }
  return out;
}
