/**
 * The files a pod's containers share: /etc/hosts, /etc/hostname and /etc/resolv.conf under
 * `<podDir>/etc`, emptyDir volumes under `<podDir>/volumes`, hostPath volumes checked (or made), and
 * the bind mounts that put them into each container (`podMounts`, used by create and by the dry run).
 */
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { NspodError } from '../errors.js';
import { bindMount } from '../oci/sibling.js';
import type { Mount } from '../oci/spec.js';
import type { ContainerSpec, PodSpec } from '../spec/spec.js';
import { hostsFile, resolvConf } from '../network/attachment.js';
import type { CniDns } from '../network/cni.js';

const ETC_FILES = ['hosts', 'hostname', 'resolv.conf'] as const;

export function podHostname(spec: PodSpec): string {
  return spec.hostname ?? spec.name;
}

/** /etc/hosts, /etc/hostname and /etc/resolv.conf of the pod, its emptyDir dirs, and its hostPaths checked or made. */
export async function writePodFiles(podDir: string, spec: PodSpec): Promise<void> {
  const hostname = podHostname(spec);
  const etc = path.join(podDir, 'etc');
  await mkdir(etc, { recursive: true });
  await writeFile(path.join(etc, 'hosts'), hostsFile(hostname));
  await writeFile(path.join(etc, 'hostname'), `${hostname}\n`);
  await writeFile(path.join(etc, 'resolv.conf'), await hostResolvConf());
  for (const v of spec.volumes ?? []) {
    if (v.emptyDir) {
      const dir = path.join(podDir, 'volumes', v.name);
      await mkdir(dir, { recursive: true });
      // Writable by the container whatever its user (Kubernetes' emptyDir is 0777 too); mkdir's mode would be cut by the umask.
      await chmod(dir, 0o777);
    }
    if (v.hostPath) await prepareHostPath(v.name, v.hostPath.path, v.hostPath.type);
  }
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

/** A container's mounts of the pod's files and of the volumes it names. */
export function podMounts(podDir: string, spec: PodSpec, c: ContainerSpec): Mount[] {
  const mounts = ETC_FILES.map((f) => bindMount(path.join(podDir, 'etc', f), `/etc/${f}`));
  for (const m of c.volumeMounts ?? []) {
    const volume = (spec.volumes ?? []).find((v) => v.name === m.name)!;
    const source = volume.hostPath ? volume.hostPath.path : path.join(podDir, 'volumes', volume.name);
    mounts.push(bindMount(source, m.mountPath, m.readOnly === true));
  }
  return mounts;
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
