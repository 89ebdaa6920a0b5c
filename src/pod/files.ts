/**
 * The files a pod's containers share: /etc/hosts, /etc/hostname and /etc/resolv.conf under
 * `<podDir>/etc`, volumes under `<podDir>/volumes` (emptyDir dirs, a tmpfs for medium Memory, Secrets
 * and projections; configMap, secret, downwardAPI and projected files in the kubelet's layout), hostPath
 * volumes checked (or made), subPaths made and checked, and the bind mounts that put them into each
 * container (`podMounts`, used by create and by the dry run).
 */
import { chmod, chown, lstat, mkdir, readdir, readFile, readlink, realpath, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { NspodError } from '../errors.js';
import { mountTmpfs, unmountAll } from '../host/mounts.js';
import { bindMount } from '../oci/sibling.js';
import type { Mount } from '../oci/spec.js';
import type { ProjectedFile } from '../spec/config.js';
import type { PodFacts } from '../spec/downward.js';
import type { ConfigLookup } from '../spec/env.js';
import { expandReferences, lookupIn } from '../spec/expand.js';
import type { ContainerSpec, PodSpec, VolumeMount, VolumeSpec } from '../spec/spec.js';
import { isProjection, onTmpfs, volumeFiles } from '../spec/volumes.js';
import { hostsFile, resolvConf } from '../network/attachment.js';
import type { CniDns } from '../network/cni.js';
import type { Rollback } from './steps.js';
import { containerDir, StateRoot } from './store.js';
import { terminationLogFile, terminationMessagePath } from './termination.js';
import { imageRootOf } from '../image/cache.js';

const ETC_FILES = ['hosts', 'hostname', 'resolv.conf'] as const;

export function podHostname(spec: PodSpec): string {
  return spec.hostname ?? spec.name;
}

/** What the pod's volumes are made of: the pod's facts and its ConfigMaps and Secrets (for projections). */
export interface VolumeSources {
  facts: PodFacts;
  lookup: ConfigLookup;
}

/** Where a pod's files are: its state dir, and its data dir on the data root (older pods: none). */
export interface PodDirs {
  dir: string;
  dataDir?: string | undefined;
}

/** A volume's directory: a disk emptyDir's under the data dir (writable data goes to disk), the others' under the pod dir. */
export function volumeDir(pod: PodDirs, v: Pick<VolumeSpec, 'name' | 'emptyDir'>): string {
  const onDisk = v.emptyDir !== undefined && !onTmpfs(v as VolumeSpec);
  return path.join(onDisk ? (pod.dataDir ?? pod.dir) : pod.dir, 'volumes', v.name);
}

/**
 * /etc/hosts, /etc/hostname and /etc/resolv.conf of the pod, its volumes (emptyDir dirs, tmpfs mounts, projected
 * files), and its hostPaths checked or made. The tmpfs mounts' undo goes into `rollback`.
 */
export async function writePodFiles(pod: PodDirs, spec: PodSpec, sources: VolumeSources, rollback: Rollback): Promise<void> {
  const podDir = pod.dir;
  const hostname = podHostname(spec);
  const etc = path.join(podDir, 'etc');
  await mkdir(etc, { recursive: true, mode: 0o700 });
  await writeFile(path.join(etc, 'hosts'), hostsFile(hostname));
  await writeFile(path.join(etc, 'hostname'), `${hostname}\n`);
  await writeFile(path.join(etc, 'resolv.conf'), await hostResolvConf());
  const volumes = path.join(podDir, 'volumes');
  await mkdir(volumes, { recursive: true, mode: 0o700 });
  if ((spec.volumes ?? []).some(onTmpfs)) rollback.add('volume mounts', () => unmountAll(volumes));
  for (const v of spec.volumes ?? []) {
    const dir = volumeDir(pod, v);
    if (v.emptyDir || isProjection(v)) {
      // Its parent (volumes/ of the pod dir or of the data dir) is root's alone.
      await mkdir(path.dirname(dir), { recursive: true, mode: 0o700 });
      await mkdir(dir, { recursive: true });
    }
    // Writable by the container whatever its user (Kubernetes' emptyDir is 0777 too); mkdir's mode would be cut by the umask.
    if (v.emptyDir) await chmod(dir, 0o777);
    if (onTmpfs(v)) await mountTmpfs(dir, { sizeBytes: tmpfsSize(v, spec, sources.facts), mode: v.emptyDir ? 0o777 : 0o755 });
    // fsGroup owns an emptyDir, setgid so that what its containers make there is the group's too (as the kubelet does).
    if (v.emptyDir && spec.fsGroup !== undefined) {
      await chown(dir, 0, spec.fsGroup);
      await chmod(dir, 0o2777);
    }
    if (isProjection(v)) await writeProjection(dir, volumeFiles(v, spec, sources.facts, sources.lookup));
    if (v.hostPath) await prepareHostPath(v.name, v.hostPath.path, v.hostPath.type);
  }
}

/** A memory-backed emptyDir is as large as its sizeLimit, else the pod's memory limit (when every app has one), else the host's memory. */
function tmpfsSize(v: VolumeSpec, spec: PodSpec, facts: PodFacts): number | undefined {
  if (!v.emptyDir) return undefined;
  const size = (v.emptyDir as { sizeLimitBytes?: number }).sizeLimitBytes;
  if (size !== undefined) return size;
  const limits = spec.containers.map((c) => c.resources?.memoryBytes);
  return limits.every((l) => l !== undefined)
    ? Math.min(
        facts.memoryBytes,
        limits.reduce((a, b) => a! + b!, 0)!,
      )
    : facts.memoryBytes;
}

/** `..2024_05_01_12_00_00.<random>`: the kubelet's name for one generation of a volume's files. */
function generationName(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}`;
  return `..${stamp}.${randomBytes(5).readUInt32BE() % 1_000_000_000}`;
}

/**
 * Writes a volume's files as the kubelet's atomic writer lays them out: the files in a new timestamped dir, `..data`
 * a symlink to it (swapped by a rename, so a reader sees the old set or the new one), each top-level name a symlink
 * through `..data`; the previous generation and names no longer there are removed. Also how a volume is updated.
 */
export async function writeProjection(dir: string, files: ProjectedFile[]): Promise<void> {
  const generation = generationName();
  const target = path.join(dir, generation);
  await mkdir(target, { mode: 0o755 });
  await chmod(target, 0o755);
  for (const f of files) {
    const file = path.join(target, f.path);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
    await writeFile(file, f.content, { mode: f.mode });
    await chmod(file, f.mode);
  }
  const entries = await readdir(dir);
  const old = await readlink(path.join(dir, '..data')).catch(() => undefined);
  const next = path.join(dir, '..data_tmp');
  await rm(next, { force: true });
  await symlink(generation, next);
  await rename(next, path.join(dir, '..data'));
  const top = new Set(files.map((f) => f.path.split('/')[0]!));
  for (const name of top) {
    if (!entries.includes(name)) await symlink(path.join('..data', name), path.join(dir, name));
  }
  for (const name of entries) {
    if (!name.startsWith('..') && !top.has(name)) await rm(path.join(dir, name), { force: true });
  }
  if (old !== undefined && old !== generation) await rm(path.join(dir, old), { recursive: true, force: true });
}

/** Once the pod has an IP: its hostname maps to it, and the network's DNS (if it names any) is the pod's resolver. */
export async function writeNetworkedPodFiles(
  podDir: string,
  spec: PodSpec,
  podIP: string | undefined,
  dns: CniDns | undefined,
): Promise<void> {
  const etc = path.join(podDir, 'etc');
  // Rewritten in place: the files are bind-mounted into every container by inode.
  await writeFile(path.join(etc, 'hosts'), hostsFile(podHostname(spec), podIP));
  const resolv = resolvConf(dns);
  if (resolv) await writeFile(path.join(etc, 'resolv.conf'), resolv);
}

/** What a container's mounts are made of besides the pod dir: image volumes' rootfs, and the container's resolved env (subPathExpr). */
export interface MountSources {
  /** Volume name → the cached rootfs of its image. */
  images: ReadonlyMap<string, string>;
  env: Record<string, string>;
  /** Mount index → the subPath's real path, once checked by prepareSubPaths. */
  subPaths?: ReadonlyMap<number, string>;
  /** Read-only mounts are read-only with their submounts too (`rro`: the host and runtime can). */
  recursiveReadOnly?: boolean;
}

/** The volume's own directory on the host. */
function volumeSource(pod: PodDirs, v: VolumeSpec, images: ReadonlyMap<string, string>): string {
  if (v.hostPath) return v.hostPath.path;
  if (v.image) return images.get(v.name) ?? `<rootfs of ${v.image.reference}>`;
  return volumeDir(pod, v);
}

/** The subPath of a mount, `$(VAR)` references of subPathExpr expanded with the container's env; '' for the volume's root. */
export function mountSubPath(m: VolumeMount, env: Record<string, string>): string {
  if (m.subPathExpr) return expandReferences(m.subPathExpr, lookupIn(env));
  return m.subPath ?? '';
}

/** Kubernetes mounts these read-only whatever the mount says. */
function alwaysReadOnly(v: VolumeSpec): boolean {
  return isProjection(v) || v.image !== undefined;
}

/** A container's mounts of the pod's files and of the volumes it names. */
export function podMounts(pod: PodDirs, spec: PodSpec, c: ContainerSpec, sources: MountSources): Mount[] {
  const mounts = ETC_FILES.map((f) => bindMount(path.join(pod.dir, 'etc', f), `/etc/${f}`));
  for (const [i, m] of (c.volumeMounts ?? []).entries()) {
    const volume = (spec.volumes ?? []).find((v) => v.name === m.name)!;
    const sub = mountSubPath(m, sources.env);
    const source =
      sources.subPaths?.get(i) ??
      (sub === '' ? volumeSource(pod, volume, sources.images) : path.join(volumeSource(pod, volume, sources.images), sub));
    const recursive = sources.recursiveReadOnly === true && m.recursiveReadOnly !== 'Disabled';
    const mount = bindMount(source, m.mountPath, m.readOnly === true || alwaysReadOnly(volume), recursive);
    // An image volume's files are data: nothing in it runs (Kubernetes mounts it noexec).
    if (volume.image) mount.options!.push('nosuid', 'nodev', 'noexec');
    mounts.push(mount);
  }
  // Writable even on a read-only root filesystem, as the kubelet's bind mount of it is.
  mounts.push(bindMount(terminationLogFile(containerDir(pod.dir, c.name)), terminationMessagePath(c)));
  return mounts;
}

/**
 * Where the host cannot make a read-only bind recursive: a warning per readOnly hostPath mount that leaves
 * `recursiveReadOnly` unset (its submounts stay writable); an error for one that says `Enabled`, as the kubelet fails it.
 */
export function readOnlyWarnings(spec: PodSpec, recursiveReadOnly: boolean): string[] {
  if (recursiveReadOnly) return [];
  for (const [list, containers] of [
    ['initContainers', spec.initContainers ?? []],
    ['containers', spec.containers],
  ] as const) {
    for (const [i, c] of containers.entries()) {
      const j = (c.volumeMounts ?? []).findIndex((m) => m.recursiveReadOnly === 'Enabled');
      if (j < 0) continue;
      throw new NspodError(
        'INVALID_SPEC',
        `${list}[${i}].volumeMounts[${j}].recursiveReadOnly: Enabled, but this host cannot make a bind mount read-only recursively`,
        {
          hint: 'rro needs Linux 5.12 and runc 1.1 or crun 1.4; or say IfPossible',
        },
      );
    }
  }
  const out: string[] = [];
  for (const [list, containers] of [
    ['initContainers', spec.initContainers ?? []],
    ['containers', spec.containers],
  ] as const) {
    for (const [i, c] of containers.entries()) {
      for (const [j, m] of (c.volumeMounts ?? []).entries()) {
        const volume = (spec.volumes ?? []).find((v) => v.name === m.name);
        if (!m.readOnly || !volume?.hostPath || m.recursiveReadOnly !== undefined) continue;
        out.push(
          `${list}[${i}].volumeMounts[${j}].readOnly: its submounts stay writable: this host cannot make a bind mount read-only recursively (rro needs Linux 5.12 and runc 1.1 or crun 1.4)`,
        );
      }
    }
  }
  return out;
}

/**
 * Each subPath of the container's mounts, made (as a directory, when it is missing from a writable volume) and checked
 * to lie inside its volume once symlinks are followed; returns mount index → the real path to bind.
 */
export async function prepareSubPaths(pod: PodDirs, spec: PodSpec, c: ContainerSpec, sources: MountSources): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (const [i, m] of (c.volumeMounts ?? []).entries()) {
    const sub = mountSubPath(m, sources.env);
    if (sub === '') continue;
    const volume = (spec.volumes ?? []).find((v) => v.name === m.name)!;
    const root = await realpath(volumeSource(pod, volume, sources.images));
    const bad = (why: string): never => {
      throw new NspodError('INVALID_SPEC', `container ${c.name}: volumeMounts[${i}] (${m.name}): subPath ${JSON.stringify(sub)} ${why}`);
    };
    if (sub.startsWith('/') || sub.split('/').includes('..')) bad("must be a relative path without '..'");
    const wanted = path.join(root, sub);
    const there = await lstat(wanted).catch(() => undefined);
    if (!there) {
      if (alwaysReadOnly(volume)) bad('does not exist in the volume');
      await mkdir(wanted, { recursive: true, mode: 0o755 });
    }
    const real = await realpath(wanted);
    if (real !== root && !real.startsWith(`${root}/`)) bad('leads out of its volume through a symlink');
    out.set(i, real);
  }
  return out;
}

/**
 * The host's resolv.conf for a pod. A loopback resolver (systemd-resolved's
 * 127.0.0.53 on Ubuntu) does not exist in the pod's network namespace: then
 * the upstream list resolved keeps is used, as kubelet and Docker do.
 */
export async function hostResolvConf(): Promise<string> {
  const main = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  const servers = [...main.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1]!);
  if (servers.length > 0 && servers.every((s) => s.startsWith('127.') || s === '::1')) {
    const upstream = await readFile('/run/systemd/resolve/resolv.conf', 'utf8').catch(() => undefined);
    if (upstream !== undefined) return upstream;
  }
  return main;
}

/** A Kubernetes hostPath type: what must be there, what is said when it is not, and how the *OrCreate types make it. */
interface HostPathType {
  is: (st: Stats) => boolean;
  why: string;
  create?: (hostPath: string) => Promise<unknown>;
}

const HOST_PATH_TYPES = new Map<string, HostPathType>([
  ['', { is: () => true, why: 'does not exist (give a type such as DirectoryOrCreate to have it made)' }],
  [
    'DirectoryOrCreate',
    { is: (st) => st.isDirectory(), why: 'is not a directory', create: (p) => mkdir(p, { recursive: true, mode: 0o755 }) },
  ],
  ['Directory', { is: (st) => st.isDirectory(), why: 'is not an existing directory' }],
  ['FileOrCreate', { is: (st) => st.isFile(), why: 'is not a file', create: (p) => writeFile(p, '', { flag: 'a', mode: 0o644 }) }],
  ['File', { is: (st) => st.isFile(), why: 'is not an existing file' }],
  ['Socket', { is: (st) => st.isSocket(), why: 'is not an existing socket' }],
  ['CharDevice', { is: (st) => st.isCharacterDevice(), why: 'is not an existing character device' }],
  ['BlockDevice', { is: (st) => st.isBlockDevice(), why: 'is not an existing block device' }],
]);

/** Kubernetes' hostPath types: checked (or made) with the pod's files, right after the claim, before any container. */
export async function prepareHostPath(volume: string, hostPath: string, type: string | undefined): Promise<void> {
  const bad = (why: string): never => {
    throw new NspodError('INVALID_SPEC', `volume ${volume}: hostPath ${hostPath} ${why}`);
  };
  const rule = HOST_PATH_TYPES.get(type ?? '') ?? bad(`has an unknown type ${JSON.stringify(type)}`);
  const st = await stat(hostPath).catch(() => undefined);
  if (!st && rule.create) await rule.create(hostPath);
  else if (!st || !rule.is(st)) bad(rule.why);
}

/** A directory of nspod's own that no hostPath may contain or lie inside. */
export interface OwnDir {
  what: string;
  path: string;
}

/** `p` with symlinks resolved as far as it exists (a DirectoryOrCreate path may not be there yet). */
async function resolvedPath(p: string): Promise<string> {
  const tail: string[] = [];
  for (let head = path.resolve(p); ; head = path.dirname(head)) {
    const real = await realpath(head).catch(() => undefined);
    if (real !== undefined) return path.join(real, ...tail.reverse());
    if (head === '/') return path.resolve(p);
    tail.push(path.basename(head));
  }
}

function isWithin(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(outer.endsWith('/') ? outer : `${outer}/`);
}

/**
 * Refuses a hostPath that lies inside the state root, the image cache or the runtime's root, or contains one: a container
 * would reach other pods' rootfs, records and Secrets. `/` is the exception: it is the whole host by intent (and warned about).
 */
export async function refuseHostPathsOverOwnDirs(spec: PodSpec, dirs: OwnDir[]): Promise<void> {
  const own = await Promise.all(dirs.map(async (d) => ({ ...d, real: await resolvedPath(d.path) })));
  for (const [i, v] of (spec.volumes ?? []).entries()) {
    if (!v.hostPath) continue;
    const real = await resolvedPath(v.hostPath.path);
    if (real === '/') continue;
    for (const d of own) {
      const how = isWithin(real, d.real) ? 'is inside' : isWithin(d.real, real) ? 'contains' : undefined;
      if (!how) continue;
      throw new NspodError(
        'INVALID_SPEC',
        `volumes[${i}].hostPath.path: ${v.hostPath.path} ${how} ${d.what} ${d.path}: its containers would reach other pods' rootfs, records and Secrets`,
        { hint: `mount a directory outside ${d.path}` },
      );
    }
  }
}

/**
 * The hostPath rule for a pod under the state root `root` run by `runtimeName`: no hostPath over the state root, the
 * runtime's root or the image cache. Pod.create and `nspod run --dry-run` both ask it, so both refuse alike.
 */
export async function refuseHostPathsOverNspodDirs(
  spec: PodSpec,
  where: { root: string; runtimeName: string; imageRoot?: string | undefined; dataRoot?: string | undefined },
): Promise<void> {
  await refuseHostPathsOverOwnDirs(spec, [
    { what: 'the state root', path: where.root },
    { what: "the runtime's root", path: new StateRoot(where.root).runtimeRoot(where.runtimeName) },
    { what: 'the image cache', path: imageRootOf(where) },
    ...(where.dataRoot ? [{ what: 'the data root', path: where.dataRoot }] : []),
  ]);
}
