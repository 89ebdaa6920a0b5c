/** A pod's plan without touching the host: each bundle's config.json and the runtime commands in order (`nspod run --dry-run`). */
import path from 'node:path';
import { buildPauseSpec } from '../oci/pause.js';
import { buildSiblingSpec } from '../oci/sibling.js';
import { cgroupsPath, podCgroupName } from '../oci/common.js';
import { NAMESPACE_FILES, type JoinableNamespace, type PauseNamespaces, type Spec } from '../oci/spec.js';
import { assets } from '../paths.js';
import { validatePodSpec, type ContainerSpec, type PodSpec } from '../spec/spec.js';
import { StateRoot } from './store.js';
import { podHostname, podMounts } from './files.js';
import { wantsExitCommand } from './supervisor.js';

export const PAUSE_PID_PLACEHOLDER = '<pause-pid>';

export interface PodPlan {
  pod: string;
  bundles: { container: string; path: string; config: Spec }[];
  commands: string[];
}

export interface PlanOptions {
  root: string;
  runtime: { name: string; binary: string };
  cwd: string;
  nofileHardLimit: number;
  /** The pod goes once its apps are done for good (`nspod run -d --rm`): their shims wake the supervisor even with restartPolicy Never. */
  removeWhenDone?: boolean | undefined;
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
  const cgroup = podCgroupName(spec.name, '<uid>');
  const hostname = podHostname(spec);
  const rt = `${options.runtime.binary} --root ${store.runtimeRoot(options.runtime.name)}`;
  const pauseBundle = path.join(dir, 'pause');
  const pauseConfig = buildPauseSpec({
    hostname,
    cgroupsPath: cgroupsPath(cgroup, 'pause'),
    nofileHardLimit: options.nofileHardLimit,
    hostNetwork: spec.hostNetwork === true,
  });
  const bundles: PodPlan['bundles'] = [{ container: 'pause', path: pauseBundle, config: pauseConfig }];
  const commands = [
    `mkdir ${dir}`,
    `cp ${assets.pauseBinary} ${pauseBundle}/rootfs/pause   # the scratch rootfs: /pause and nothing else`,
    `${assets.shimBinary} -l ${pauseBundle}/pause.log -e ${pauseBundle}/exit -p ${pauseBundle}/pid -- ` +
      `${rt} run -d --pid-file ${pauseBundle}/pid --bundle ${pauseBundle} ${spec.name}`,
  ];
  const paths = Object.fromEntries(
    (['network', 'ipc', 'uts', 'pid'] as JoinableNamespace[]).map((ns) => [ns, `/proc/${PAUSE_PID_PLACEHOLDER}/ns/${NAMESPACE_FILES[ns]}`]),
  ) as PauseNamespaces['paths'];
  const pause: PauseNamespaces = { pid: 0, paths };
  if (!spec.hostNetwork && (spec.network ?? 'default') !== 'none') {
    commands.push(`# CNI ADD of network ${JSON.stringify(spec.network ?? 'default')} on the pause's pinned netns ${dir}/netns`);
  }
  const container = (c: ContainerSpec, init: boolean) => {
    const cdir = path.join(dir, 'containers', c.name);
    const bundle = path.join(cdir, 'bundle');
    const rootfs = path.join(bundle, 'rootfs');
    const config = buildSiblingSpec({
      pod: { name: spec.name, hostname, cgroup, shareProcessNamespace: spec.shareProcessNamespace, hostNetwork: spec.hostNetwork },
      container: c,
      pause,
      rootfs,
      nofileHardLimit: options.nofileHardLimit,
      extraMounts: podMounts(dir, spec, c),
    });
    bundles.push({ container: c.name, path: bundle, config });
    commands.push(
      `mount -t overlay overlay -o lowerdir=${lowerDir(c.image, options.cwd)},upperdir=${cdir}/upper,workdir=${cdir}/work ${rootfs}`,
    );
    const wakes = wantsExitCommand({ spec, supervised: true, removeWhenDone: options.removeWhenDone }, init);
    const exitCommand = wakes ? ' -x <nspod internal container-exited>' : '';
    const run = `${rt} run -d --pid-file ${cdir}/pid --bundle ${bundle} ${spec.name}.${c.name}`;
    commands.push(`${assets.shimBinary} -l ${dir}/logs/${c.name}.log -e ${cdir}/exit -p ${cdir}/pid${exitCommand} -- ${run}`);
    if (init) commands.push(`# wait for ${c.name} to exit 0, then: ${rt} delete ${spec.name}.${c.name}; umount ${rootfs}`);
  };
  for (const c of spec.initContainers ?? []) container(c, true);
  for (const c of spec.containers) container(c, false);
  return { pod: spec.name, bundles, commands };
}
