import { copyFile, mkdir, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import { baseMounts, maskedPaths, NO_HOST_FACTS, nofileRlimit, READONLY_PATHS, type HostSpecFacts } from './common.js';
import { PAUSE_OOM_SCORE_ADJ } from '../spec/qos.js';
import { OCI_VERSION, type Spec } from './spec.js';
import { pauseSeccomp } from './seccomp.js';
import { sysctlName } from '../spec/security.js';

/** The Kubernetes pause image runs as this uid and gid since 3.5: it needs no privilege. */
export const PAUSE_UID = 65535;

export interface PauseSpecInput {
  hostname: string;
  cgroupsPath: string;
  /** The caller's RLIMIT_NOFILE hard limit; the pause never asks for more. */
  nofileHardLimit: number;
  /** Rootfs path as written into config.json (relative to the bundle by default). */
  rootfs?: string;
  /** The pod's sysctls (checked namespaced): the runtime writes them in the pause's namespaces, which every container joins. */
  sysctls?: { name: string; value: string }[] | undefined;
  /** Share the host's network namespace instead of making one (hostNetwork pods). */
  hostNetwork?: boolean;
  annotations?: Record<string, string>;
  /** The host's thermal_throttle dirs, masked as in every container. */
  host?: HostSpecFacts;
}

/** config.json of the scratch pause bundle: read-only root holding only /pause, no capabilities, its own namespaces. */
export function buildPauseSpec(input: PauseSpecInput): Spec {
  const none: string[] = [];
  const namespaces: NonNullable<Spec['linux']>['namespaces'] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (!input.hostNetwork) namespaces.splice(1, 0, { type: 'network' });
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: false,
      user: { uid: PAUSE_UID, gid: PAUSE_UID },
      args: ['/pause'],
      env: ['PATH=/'],
      cwd: '/',
      capabilities: { bounding: none, effective: none, permitted: none, inheritable: none, ambient: none },
      rlimits: [nofileRlimit(1024, input.nofileHardLimit)],
      noNewPrivileges: true,
      // The kubelet's for a pod's sandbox: the last a memory shortage kills (where the caller may set it so low).
      oomScoreAdj: Math.max(PAUSE_OOM_SCORE_ADJ, (input.host ?? NO_HOST_FACTS).oomScoreAdjMin),
    },
    root: { path: input.rootfs ?? 'rootfs', readonly: true },
    hostname: input.hostname,
    mounts: baseMounts({ privateIpc: true, sysfsReadOnly: true, cgroup: false }),
    ...(input.annotations ? { annotations: input.annotations } : {}),
    linux: {
      namespaces,
      cgroupsPath: input.cgroupsPath,
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      maskedPaths: maskedPaths(input.host ?? NO_HOST_FACTS),
      readonlyPaths: READONLY_PATHS,
      seccomp: pauseSeccomp(),
      ...(input.sysctls?.length ? { sysctl: Object.fromEntries(input.sysctls.map((s) => [sysctlName(s.name), s.value])) } : {}),
    },
  };
}

/**
 * Writes a complete scratch bundle at `dir`: `rootfs/` holding only `/pause`
 * (plus the empty mount points the runtime mounts on), and `config.json`.
 */
export async function writePauseBundle(dir: string, input: PauseSpecInput & { pauseBinary: string }): Promise<Spec> {
  const spec = buildPauseSpec(input);
  // The schema's validator is loaded by the bundle writers alone: stopping, listing and removing pods never need it.
  const { assertValidSpec } = await import('./validate.js');
  assertValidSpec(spec, 'pause bundle');
  const rootfs = path.join(dir, 'rootfs');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await Promise.all(['proc', 'dev', 'sys'].map((d) => mkdir(path.join(rootfs, d), { recursive: true })));
  await copyFile(input.pauseBinary, path.join(rootfs, 'pause'));
  await chmod(path.join(rootfs, 'pause'), 0o755);
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(spec, null, 2), { mode: 0o600 });
  return spec;
}
