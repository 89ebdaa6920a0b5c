/** A pod's plan without touching the host: each bundle's config.json and the runtime commands in order (`nspod run --dry-run`). */
import { swapAccounting } from '../host/cgroups.js';
import path from 'node:path';
import { buildPauseSpec } from '../oci/pause.js';
import { buildSiblingSpec } from '../oci/sibling.js';
import { hostSpecFacts } from '../runtime/features.js';
import { containerOomScoreAdj, podQosClass } from '../spec/qos.js';
import { podPidsLimit } from '../spec/pids.js';
import { securityWarnings } from '../spec/risks.js';
import { cgroupsPath, podCgroupName } from '../oci/common.js';
import { NAMESPACE_FILES, type JoinableNamespace, type PauseNamespaces, type Spec } from '../oci/spec.js';
import { assets } from '../paths.js';
import { validatePodSpec, type ContainerSpec, type PodSpec } from '../spec/spec.js';
import type { ConfigLookup } from '../spec/env.js';
import type { NodeFacts } from '../host/node.js';
import { isProjection, onTmpfs, volumeFiles } from '../spec/volumes.js';
import { StateRoot } from './store.js';
import { podHostname, podMounts, readOnlyWarnings, volumeDir } from './files.js';
import { wantsExitCommand } from './supervisor.js';
import { isSidecar } from '../spec/restart.js';
import { containerAsRun, podFacts } from './env.js';
import { hostLsm, lsmWarnings } from './security.js';

export const PAUSE_PID_PLACEHOLDER = '<pause-pid>';
/** What the dry run shows for a Secret's value, wherever it would land (env, args, files). */
export const SECRET_MASK = '<secret>';

export interface PodPlan {
  pod: string;
  bundles: { container: string; path: string; config: Spec }[];
  /** Each container's environment as it would be (Secret values masked; the image's env is added at create). */
  env: { container: string; env: Record<string, string> }[];
  /** The files of configMap, secret, downwardAPI and projected volumes (Secret values masked). */
  files: { volume: string; path: string; mode: string; content: string }[];
  commands: string[];
  /** envFrom keys that would be skipped. */
  warnings: string[];
}

/** The lookup with every Secret value replaced by SECRET_MASK: the plan never holds a secret. */
function maskSecrets(lookup: ConfigLookup): ConfigLookup {
  const masked = Buffer.from(SECRET_MASK).toString('base64');
  return (kind, name) => {
    const o = lookup(kind, name);
    if (o?.kind !== 'Secret') return o;
    return { ...o, data: Object.fromEntries(Object.keys(o.data ?? {}).map((k) => [k, masked])) };
  };
}

export interface PlanOptions {
  root: string;
  /** The data root: the writable layers, disk emptyDirs and logs (default: in the pod dir, as older pods had them). */
  dataRoot?: string | undefined;
  runtime: { name: string; binary: string };
  cwd: string;
  nofileHardLimit: number;
  /** The pod goes once its apps are done for good (`nspod run -d --rm`): their shims wake the supervisor even with restartPolicy Never. */
  removeWhenDone?: boolean | undefined;
  /** The ConfigMaps and Secrets the pod would read. */
  lookup: ConfigLookup;
  node: NodeFacts;
  /** The pids limit option (`PodOptions.pidsLimit`, env NSPOD_PIDS_LIMIT). */
  pidsLimit?: number | undefined;
}

/** Where a container's rootfs comes from, as the plan can tell without unpacking anything. */
function lowerDir(image: string, cwd: string): string {
  if (image === 'busybox') return assets.toolboxRootfs;
  if (/^(tar|oci|oci-archive|docker-archive):/.test(image) || /\.(tar|tar\.gz|tgz)$/.test(image) || /[:@]/.test(image)) {
    return `<cached rootfs of ${image}>`;
  }
  return path.resolve(cwd, image);
}

export function planPod(spec: PodSpec, options: PlanOptions): PodPlan {
  validatePodSpec(spec);
  const store = new StateRoot(options.root);
  const dir = store.podDir(spec.name);
  const pod = { dir, dataDir: options.dataRoot ? store.podDataDir(options.dataRoot, spec.name, '<uid>') : undefined };
  const data = pod.dataDir ?? dir;
  const cgroup = podCgroupName(spec.name, '<uid>');
  const hostname = podHostname(spec);
  const rt = `${options.runtime.binary} --root ${store.runtimeRoot(options.runtime.name)}`;
  const pauseBundle = path.join(dir, 'pause');
  const host = hostSpecFacts(options.runtime.binary);
  const qos = podQosClass(spec);
  const pauseConfig = buildPauseSpec({
    hostname,
    cgroupsPath: cgroupsPath(cgroup, 'pause'),
    nofileHardLimit: options.nofileHardLimit,
    hostNetwork: spec.hostNetwork === true,
    sysctls: spec.sysctls,
    host,
  });
  const bundles: PodPlan['bundles'] = [{ container: 'pause', path: pauseBundle, config: pauseConfig }];
  const commands = [
    `mkdir ${dir}${pod.dataDir ? ` ${pod.dataDir}` : ''}`,
    `cp ${assets.pauseBinary} ${pauseBundle}/rootfs/pause   # the scratch rootfs: /pause and nothing else`,
    `${assets.shimBinary} -l ${pauseBundle}/pause.log -e ${pauseBundle}/exit -p ${pauseBundle}/pid -- ` +
      `${rt} run -d --pid-file ${pauseBundle}/pid --bundle ${pauseBundle} ${spec.name}`,
  ];
  const paths = Object.fromEntries(
    (['network', 'ipc', 'uts', 'pid'] as JoinableNamespace[]).map((ns) => [ns, `/proc/${PAUSE_PID_PLACEHOLDER}/ns/${NAMESPACE_FILES[ns]}`]),
  ) as PauseNamespaces['paths'];
  const pause: PauseNamespaces = { pid: 0, paths };
  const attached = !spec.hostNetwork && (spec.network ?? 'default') !== 'none';
  const lookup = maskSecrets(options.lookup);
  const facts = podFacts({ spec, uid: '<uid>', network: undefined }, options.node);
  if (attached) facts.podIPs = ['<pod-ip>'];
  const files: PodPlan['files'] = [];
  for (const v of spec.volumes ?? []) {
    const vdir = volumeDir(pod, v);
    if (onTmpfs(v)) commands.push(`mount -t tmpfs tmpfs ${vdir}`);
    if (!isProjection(v)) continue;
    for (const f of volumeFiles(v, spec, facts, lookup)) {
      const content = f.secret ? SECRET_MASK : f.content.toString('utf8');
      files.push({ volume: v.name, path: f.path, mode: `0${f.mode.toString(8)}`, content });
    }
    commands.push(`# ${vdir}: the files below, in a ..<timestamp> dir that ..data links to`);
  }
  if (attached) {
    commands.push(`# CNI ADD of network ${JSON.stringify(spec.network ?? 'default')} on the pause's pinned netns ${dir}/netns`);
  }
  const envs: PodPlan['env'] = [];
  const warnings: string[] = [];
  const container = (c: ContainerSpec, init: boolean) => {
    const cdir = path.join(dir, 'containers', c.name);
    const bundle = path.join(cdir, 'bundle');
    const rootfs = path.join(bundle, 'rootfs');
    // The image's defaults are known once it is resolved: the plan shows the container as written, env resolved.
    const asRun = containerAsRun(spec, c, {}, facts, lookup);
    envs.push({ container: c.name, env: asRun.env });
    warnings.push(...asRun.warnings);
    const config = buildSiblingSpec({
      pod: { name: spec.name, hostname, cgroup, shareProcessNamespace: spec.shareProcessNamespace, hostNetwork: spec.hostNetwork },
      container: asRun.container,
      env: asRun.env,
      pause,
      rootfs,
      nofileHardLimit: options.nofileHardLimit,
      extraMounts: podMounts(pod, spec, c, { images: new Map(), env: asRun.env, recursiveReadOnly: host.recursiveReadOnly }),
      oomScoreAdj: containerOomScoreAdj(qos, c, options.node.memoryBytes),
      pidsLimit: podPidsLimit(spec.annotations, options.pidsLimit),
      host,
      swapAccounting: swapAccounting(),
    });
    bundles.push({ container: c.name, path: bundle, config });
    commands.push(
      `mount -t overlay overlay -o lowerdir=${lowerDir(c.image, options.cwd)},upperdir=${data}/containers/${c.name}/upper,workdir=${data}/containers/${c.name}/work ${rootfs}`,
    );
    const wakes = wantsExitCommand({ spec, supervised: true, removeWhenDone: options.removeWhenDone }, { name: c.name, init });
    const exitCommand = wakes ? ' -x <nspod internal container-exited>' : '';
    const run = `${rt} run -d --pid-file ${cdir}/pid --bundle ${bundle} ${spec.name}.${c.name}`;
    commands.push(`${assets.shimBinary} -l ${data}/logs/${c.name}.log -e ${cdir}/exit -p ${cdir}/pid${exitCommand} -- ${run}`);
    if (init) commands.push(`# wait for ${c.name} to exit 0, then: ${rt} delete ${spec.name}.${c.name}; umount ${rootfs}`);
    else if (isSidecar(c) && spec.initContainers?.includes(c))
      commands.push(
        `# sidecar ${c.name}: wait until it has started (${c.startupProbe ? 'its startup probe succeeded' : 'it runs'}), then go on`,
      );
  };
  warnings.push(
    ...[...securityWarnings(spec), ...readOnlyWarnings(spec, host.recursiveReadOnly), ...lsmWarnings(spec, hostLsm())].map(
      (w) => `pod ${spec.name}: ${w}`,
    ),
  );
  for (const c of spec.initContainers ?? []) container(c, !isSidecar(c));
  for (const c of spec.containers) container(c, false);
  return { pod: spec.name, bundles, env: envs, files, commands, warnings };
}
