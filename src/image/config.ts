/**
 * The image config's rules: what an OCI image config supplies to a container (Entrypoint, Cmd, Env,
 * WorkingDir, User, StopSignal, Docker's Healthcheck), how a `User` becomes numbers from the image's own passwd and group files, and how
 * Kubernetes applies those defaults to a container spec.
 */
import { NspodError } from '../errors.js';
import type { ContainerSpec } from '../spec/spec.js';
import { imageStopSignal } from '../spec/signals.js';

/** The part of an OCI image config (application/vnd.oci.image.config.v1+json) nspod reads. */
export interface ImageConfig {
  config?: {
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Env?: string[] | null;
    WorkingDir?: string;
    User?: string;
    StopSignal?: string;
    /** Docker's HEALTHCHECK (not in the OCI spec; Docker and buildah write it): durations in nanoseconds, 0 = default. */
    Healthcheck?: {
      Test?: string[] | null;
      Interval?: number;
      Timeout?: number;
      StartPeriod?: number;
      StartInterval?: number;
      Retries?: number;
    } | null;
  } | null;
}

/**
 * An image's HEALTHCHECK with Docker's defaults applied (interval and timeout 30 s, start period 0, start interval
 * 5 s, retries 3): `argv` is the command to run in the container (CMD as given, CMD-SHELL under `/bin/sh -c`).
 */
export interface ImageHealthcheck {
  argv: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  startIntervalMs: number;
  retries: number;
}

/** Defaults an image supplies to a container (from an OCI image config, when there is one). */
export interface ImageDefaults {
  entrypoint?: string[];
  cmd?: string[];
  env?: Record<string, string>;
  workingDir?: string;
  /** As resolved: numeric `uid:gid` (names already looked up in the image's /etc/passwd and /etc/group). */
  user?: string;
  /** The config's StopSignal in Kubernetes' spelling (`SIGQUIT`): what stops the container when its lifecycle names none. */
  stopSignal?: string;
  /** The image's HEALTHCHECK, when it has one (Kubernetes ignores it; waitForHealthy runs it). */
  healthcheck?: ImageHealthcheck;
}

/** Docker's HEALTHCHECK → an ImageHealthcheck; undefined for none, `NONE`, or a Test of no command. */
export function imageHealthcheck(
  h: NonNullable<NonNullable<ImageConfig['config']>['Healthcheck']> | undefined | null,
): ImageHealthcheck | undefined {
  const test = h?.Test ?? [];
  const [kind, ...rest] = test;
  let argv: string[];
  if (kind === 'CMD' && rest.length > 0) argv = rest;
  else if (kind === 'CMD-SHELL' && rest.length > 0) argv = ['/bin/sh', '-c', rest.join(' ')];
  else return undefined;
  const ms = (ns: number | undefined, fallback: number) => (ns && ns > 0 ? Math.max(1, Math.round(ns / 1e6)) : fallback);
  return {
    argv,
    intervalMs: ms(h?.Interval, 30_000),
    timeoutMs: ms(h?.Timeout, 30_000),
    startPeriodMs: ms(h?.StartPeriod, 0),
    startIntervalMs: ms(h?.StartInterval, 5_000),
    retries: h?.Retries && h.Retries > 0 ? h.Retries : 3,
  };
}

/** The image config's fields Kubernetes applies to a container. */
export function imageDefaults(config: ImageConfig): ImageDefaults {
  const c = config.config ?? {};
  const out: ImageDefaults = {};
  if (c.Entrypoint && c.Entrypoint.length > 0) out.entrypoint = c.Entrypoint;
  if (c.Cmd && c.Cmd.length > 0) out.cmd = c.Cmd;
  const env = envListToRecord(c.Env);
  if (env) out.env = env;
  if (c.WorkingDir) out.workingDir = c.WorkingDir;
  if (c.User) out.user = c.User;
  const stopSignal = imageStopSignal(c.StopSignal);
  if (stopSignal) out.stopSignal = stopSignal;
  const healthcheck = imageHealthcheck(c.Healthcheck);
  if (healthcheck) out.healthcheck = healthcheck;
  return out;
}

/** `["K=V", ...]` → `{K: V}`; a later duplicate wins, as in a process environment. */
export function envListToRecord(env: readonly string[] | undefined | null): Record<string, string> | undefined {
  if (!env || env.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const item of env) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** One line of /etc/passwd or /etc/group: name → [id, primary gid]. */
export function parseIdFile(text: string): Map<string, { id: number; gid: number }> {
  const out = new Map<string, { id: number; gid: number }>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || !f[0] || line.startsWith('#')) continue;
    const id = Number(f[2]);
    const gid = Number(f[3] ?? f[2]);
    if (Number.isInteger(id)) out.set(f[0], { id, gid: Number.isInteger(gid) ? gid : id });
  }
  return out;
}

/**
 * An image config's `User` (`uid`, `uid:gid`, `name`, `name:group`, ...) → numeric `uid:gid`.
 * Names are looked up in the image's own passwd/group text; a bare uid takes its passwd gid, else 0.
 */
export function numericUser(user: string, passwd: string, group: string): { uid: number; gid: number } {
  const [u = '', g] = user.split(':', 2);
  const users = parseIdFile(passwd);
  const numeric = /^\d+$/;
  let uid: number;
  let gid: number;
  if (numeric.test(u)) {
    uid = Number(u);
    gid = [...users.values()].find((e) => e.id === uid)?.gid ?? 0;
  } else {
    const entry = users.get(u);
    if (!entry)
      throw new NspodError('IMAGE_INVALID', `image user ${JSON.stringify(user)}: no user ${JSON.stringify(u)} in the image's /etc/passwd`, {
        hint: 'use a numeric uid[:gid], or add the user to the image',
      });
    uid = entry.id;
    gid = entry.gid;
  }
  if (g !== undefined && g !== '') {
    if (numeric.test(g)) gid = Number(g);
    else {
      const entry = parseIdFile(group).get(g);
      if (!entry)
        throw new NspodError(
          'IMAGE_INVALID',
          `image user ${JSON.stringify(user)}: no group ${JSON.stringify(g)} in the image's /etc/group`,
          { hint: 'use a numeric gid, or add the group to the image' },
        );
      gid = entry.id;
    }
  }
  return { uid, gid };
}

/**
 * Kubernetes' rules: the image's Entrypoint when there is no command, its Cmd when there are no args either;
 * image Env under the container's; WorkingDir and User (numeric `uid[:gid]`, as resolveImage gives it) when unset.
 */
export function withImageDefaults(c: ContainerSpec, d: ImageDefaults): ContainerSpec {
  const out: ContainerSpec = { ...c };
  if (!c.command || c.command.length === 0) {
    if (d.entrypoint) out.command = d.entrypoint;
    if (!c.args && d.cmd) out.args = d.cmd;
  }
  if (d.env) out.env = { ...d.env, ...(c.env ?? {}) };
  if (!c.workingDir && d.workingDir) out.workingDir = d.workingDir;
  // The image's User fills what runAsUser/runAsGroup leave out; a runAsUser of its own takes its gid from the image's
  // passwd later (imageUserGid), not from the image's User.
  if (c.user?.uid === undefined && d.user) {
    const m = /^(\d+)(?::(\d+))?$/.exec(d.user);
    if (!m)
      throw new NspodError('IMAGE_INVALID', `container ${c.name}: image user ${JSON.stringify(d.user)} is not numeric uid[:gid]`, {
        hint: 'resolveImage looks user and group names up in the image',
      });
    const gid = c.user?.gid ?? (m[2] === undefined ? undefined : Number(m[2]));
    out.user = gid === undefined ? { uid: Number(m[1]) } : { uid: Number(m[1]), gid };
  }
  return out;
}

/** The name and primary gid the image's /etc/passwd gives `uid`, if it lists it. */
export function passwdEntry(passwd: string, uid: number): { name: string; gid: number } | undefined {
  for (const [name, e] of parseIdFile(passwd)) if (e.id === uid) return { name, gid: e.gid };
  return undefined;
}

/** The gids of the groups /etc/group lists `user` as a member of (its supplementary groups, as containerd reads them). */
export function memberGroups(group: string, user: string): number[] {
  const out: number[] = [];
  for (const line of group.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#') || f[0] === user) continue;
    const gid = Number(f[2]);
    if (Number.isInteger(gid) && f[3]!.split(',').includes(user)) out.push(gid);
  }
  return out;
}
