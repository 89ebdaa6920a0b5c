/**
 * A container's environment as the kubelet makes it: `envFrom` first (every key of each ConfigMap or Secret, with its
 * prefix; keys that are no variable names skipped, with a warning), then `env` in order, each literal value with its
 * `$(VAR)` references to the variables made so far expanded, each source read (a ConfigMap or Secret key, a downward
 * API field); then `$(VAR)` in the container's own command and args, against the whole environment. Pure: the objects
 * come through `lookup`, the pod's facts are given.
 */
import { configValues, missingConfig, type ConfigKind, type ConfigObject } from './config.js';
import { resolveFieldRef, resolveResourceFieldRef, type PodFacts } from './downward.js';
import { expandReferences, lookupIn } from './expand.js';
import { isEnvVarName } from './names.js';
import type { ContainerSpec, EnvVarSource, PodSpec } from './spec.js';

/** The ConfigMap or Secret of that name, or undefined when there is none. */
export type ConfigLookup = (kind: ConfigKind, name: string) => ConfigObject | undefined;

export interface ResolvedEnv {
  /** Every variable, in the order Kubernetes makes them (envFrom's, then env's). */
  env: Record<string, string>;
  /** The container's own command and args, `$(VAR)` expanded (the image's entrypoint and cmd never are). */
  command?: string[];
  args?: string[];
  /** Names of variables whose value came from a Secret: masked wherever the env is shown. */
  secretNames: string[];
  /** What was skipped (keys of envFrom that are no variable names), one line each. */
  warnings: string[];
}

/** The value of one key; undefined when an optional reference finds nothing. */
function keyValue(
  lookup: ConfigLookup,
  kind: ConfigKind,
  ref: { name: string; key: string; optional?: boolean | undefined },
  where: string,
) {
  const object = lookup(kind, ref.name);
  const value = object && configValues(object, false).get(ref.key);
  if (value !== undefined) return value.toString('utf8');
  if (ref.optional) return undefined;
  throw missingConfig(kind, ref.name, object ? ref.key : undefined, where);
}

function sourceValue(source: EnvVarSource, pod: PodSpec, c: ContainerSpec, facts: PodFacts, lookup: ConfigLookup, where: string) {
  if (source.configMapKeyRef) return keyValue(lookup, 'ConfigMap', source.configMapKeyRef, where);
  if (source.secretKeyRef) return keyValue(lookup, 'Secret', source.secretKeyRef, where);
  if (source.fieldRef) return resolveFieldRef(source.fieldRef, facts);
  const ref = source.resourceFieldRef!;
  const named =
    ref.containerName === undefined ? c : [...(pod.initContainers ?? []), ...pod.containers].find((x) => x.name === ref.containerName);
  return resolveResourceFieldRef(ref, named ?? c, facts);
}

/** The container's environment, and its command and args expanded; throws CONFIG_NOT_FOUND for what a reference lacks. */
export function resolveContainerEnv(pod: PodSpec, c: ContainerSpec, facts: PodFacts, lookup: ConfigLookup): ResolvedEnv {
  const env = new Map<string, string>();
  const secret = new Set<string>();
  const warnings: string[] = [];
  const at = `container ${c.name}`;
  for (const from of c.envFrom ?? []) {
    const kind: ConfigKind = from.configMapRef ? 'ConfigMap' : 'Secret';
    const ref = (from.configMapRef ?? from.secretRef)!;
    const object = lookup(kind, ref.name);
    if (!object) {
      if (ref.optional) continue;
      throw missingConfig(kind, ref.name, undefined, `${at}: envFrom`);
    }
    const skipped: string[] = [];
    for (const [key, value] of configValues(object, false)) {
      const name = `${from.prefix ?? ''}${key}`;
      if (!isEnvVarName(name)) {
        skipped.push(name);
        continue;
      }
      env.set(name, value.toString('utf8'));
      if (kind === 'Secret') secret.add(name);
      else secret.delete(name);
    }
    if (skipped.length > 0) {
      warnings.push(
        `${at}: keys [${skipped.sort().join(', ')}] from the envFrom ${kind} ${ref.name} were skipped: they are not valid environment variable names`,
      );
    }
  }
  for (const [name, value] of Object.entries(c.env ?? {})) {
    const resolved =
      typeof value === 'string' ? expandReferences(value, lookupIn(env)) : sourceValue(value, pod, c, facts, lookup, `${at}: env ${name}`);
    // An optional reference that finds nothing leaves the variable out, as the kubelet does.
    if (resolved === undefined) continue;
    env.set(name, resolved);
    if (typeof value !== 'string' && value.secretKeyRef) secret.add(name);
    else secret.delete(name);
  }
  const expand = (list: string[] | undefined) => list?.map((s) => expandReferences(s, lookupIn(env)));
  const out: ResolvedEnv = { env: Object.fromEntries(env), secretNames: [...secret], warnings };
  const command = expand(c.command);
  const args = expand(c.args);
  if (command) out.command = command;
  if (args) out.args = args;
  return out;
}
