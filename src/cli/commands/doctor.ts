/** `nspod doctor`: what this host has and lacks for nspod, with what to install. */
import { existsSync, readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { errorMessage } from '../../errors.js';
import { assets, resolveDataRoot } from '../../paths.js';
import { isProcessAlive } from '../../host/proc.js';
import { cgroupVersion } from '../../host/cgroups.js';
import { overlayMountProblem } from '../../host/mounts.js';
import { StateRoot } from '../../pod/store.js';
import { checkPodNetwork, podIPv4 } from '../../network/attachment.js';
import { Runtime } from '../../runtime/runtime.js';
import { findExecutable, findExecutableIn } from '../../host/executables.js';
import { runProgram } from '../../host/program.js';
import { resolveNetworkOptions } from '../../network/config.js';

export interface Check {
  name: string;
  ok: boolean | 'warn';
  detail: string;
  fix?: string;
}

async function runtimeChecks(runtimeName: string | undefined): Promise<Check[]> {
  let runtime: { binary: string; name: string };
  try {
    runtime = Runtime.find(runtimeName);
  } catch (e) {
    return [{ name: 'runtime', ok: false, detail: errorMessage(e) }];
  }
  const v = await runProgram(runtime.binary, ['--version']);
  const checks: Check[] = [
    { name: 'runtime', ok: v.exitCode === 0, detail: `${v.stdout.split('\n')[0] || runtime.name} (${runtime.binary})` },
  ];
  if (runtime.name === 'crun' && cgroupVersion() === 'hybrid') {
    const offered = readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').trim();
    const first = offered.split(' ')[0];
    checks.push(
      offered
        ? {
            name: 'crun on a hybrid cgroup host',
            ok: false,
            detail: `the cgroup2 mount offers ${offered}: crun refuses to run ("cgroups in hybrid mode not supported")`,
            fix:
              `mount ${first} on its own v1 hierarchy (mkdir -p /sys/fs/cgroup/${first} && ` +
              `mount -t cgroup -o ${first} none /sys/fs/cgroup/${first}), or use --runtime runc`,
          }
        : { name: 'crun on a hybrid cgroup host', ok: true, detail: 'the cgroup2 mount offers no controller: crun runs' },
    );
  }
  return checks;
}

/** CNI CHECK of every Running pod of the state root that has an attachment: do its interface, address, routes and chains still hold? */
export async function podNetworkChecks(root: string): Promise<Check[]> {
  const store = new StateRoot(root);
  const checks: Check[] = [];
  for (const name of await store.names()) {
    const record = await store.load(name).catch(() => undefined);
    const a = record?.network;
    if (!record || !a || record.phase !== 'Running' || !record.pause || !isProcessAlive(record.pause)) continue;
    const what = `network ${a.network}, ${podIPv4(a.result) ?? 'no address'}, CNI container id ${a.containerId}`;
    try {
      await checkPodNetwork(a);
      checks.push({ name: `pod ${name}`, ok: true, detail: `CNI CHECK ok (${what})` });
    } catch (e) {
      checks.push({
        name: `pod ${name}`,
        ok: false,
        detail: `CNI CHECK failed (${what}): ${errorMessage(e)}`,
        fix: `recreate the pod (nspod rm -f ${name}, then run it again)`,
      });
    }
  }
  return checks;
}

/** Statfs' type of tmpfs (linux/magic.h). */
const TMPFS_MAGIC = 0x01021994;
/** Below this much free space the data root is a warning: writable layers and logs fill it first. */
const LOW_DATA_SPACE = 1024 * 1024 * 1024;

/** Where the state root and the data root are, on what, with how much free: the data root must be a disk. */
export async function rootChecks(stateRoot: string, dataRoot: string): Promise<Check[]> {
  // The nearest dir that exists: a root not yet made lands on its parent's filesystem.
  const existing = (dir: string): string => (existsSync(dir) || path.dirname(dir) === dir ? dir : existing(path.dirname(dir)));
  const place = async (dir: string) => {
    const fs = await statfs(existing(dir));
    return { tmpfs: Number(fs.type) === TMPFS_MAGIC, free: Number(fs.bavail) * Number(fs.bsize) };
  };
  const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB free`;
  const state = await place(stateRoot);
  const data = await place(dataRoot);
  return [
    {
      name: 'state root',
      ok: true,
      detail: `${stateRoot} (${state.tmpfs ? 'tmpfs' : 'disk'}, ${gib(state.free)}): records, exit files, events`,
    },
    {
      name: 'data root',
      ok: data.tmpfs || data.free < LOW_DATA_SPACE ? 'warn' : true,
      detail: `${dataRoot} (${data.tmpfs ? 'tmpfs: writable layers and logs would fill memory' : 'disk'}, ${gib(data.free)}): writable layers, disk emptyDirs, logs`,
      fix: 'give a disk with room: --data-root DIR or NSPOD_DATA_ROOT',
    },
  ];
}

export async function doctorChecks(options: {
  runtime?: string | undefined;
  root?: string | undefined;
  dataRoot?: string | undefined;
}): Promise<Check[]> {
  const checks: Check[] = [];
  const root = process.getuid?.() === 0;
  checks.push({
    name: 'root',
    ok: root,
    detail: root ? 'running as root' : `running as uid ${process.getuid?.()}`,
    fix: 'run nspod as root (sudo)',
  });
  checks.push(...(await runtimeChecks(options.runtime)));
  const ns = await runProgram('unshare', ['--net', '--ipc', '--uts', '--pid', '--mount', '--fork', 'true']);
  checks.push({
    name: 'namespaces',
    ok: ns.exitCode === 0,
    detail: ns.exitCode === 0 ? 'net, ipc, uts, pid and mount namespaces can be made' : (ns.stderr || ns.message).trim(),
    fix: 'run as root on a kernel with namespaces (and outside a restricted container)',
  });
  const overlayProblem = await overlayMountProblem(os.tmpdir());
  checks.push({
    name: 'overlayfs',
    ok: overlayProblem === undefined,
    detail: overlayProblem === undefined ? 'a test overlay mount works' : overlayProblem,
    fix: 'modprobe overlay (a kernel with overlayfs)',
  });
  const cg = cgroupVersion();
  checks.push({ name: 'cgroups', ok: true, detail: { v1: 'cgroup v1', v2: 'cgroup v2 (unified)', hybrid: 'cgroup v1 + v2 (hybrid)' }[cg] });
  const cniDirs = resolveNetworkOptions().cniPath;
  const plugins = ['bridge', 'host-local', 'portmap', 'firewall', 'loopback'];
  const missing = plugins.filter((p) => findExecutableIn(cniDirs, p) === undefined);
  checks.push({
    name: 'CNI plugins',
    ok: missing.length === 0 ? true : 'warn',
    detail:
      missing.length === 0
        ? `${plugins.join(', ')} in ${cniDirs.join(':')}`
        : `missing ${missing.join(', ')} in ${cniDirs.join(':')}: pods can only use hostNetwork or network none`,
    fix: 'apt-get install containernetworking-plugins',
  });
  for (const tool of ['iptables', 'nsenter', 'mount']) {
    const found = findExecutable(tool);
    const fix = `apt-get install ${tool === 'iptables' ? 'iptables' : 'util-linux'}`;
    checks.push({ name: tool, ok: found ? true : 'warn', detail: found ?? 'not found', fix });
  }
  const built = [assets.pauseBinary, assets.shimBinary].every((f) => existsSync(f));
  const binaries = `${assets.pauseBinary}, ${assets.shimBinary}`;
  checks.push({ name: 'nspod binaries', ok: built, detail: built ? binaries : 'pause/build is missing', fix: 'run scripts/setup' });
  const schemas = existsSync(path.join(assets.runtimeSpecSchemas, 'config-schema.json'));
  checks.push({
    name: 'runtime-spec schemas',
    ok: schemas,
    detail: schemas ? assets.runtimeSpecSchemas : 'not installed',
    fix: 'run scripts/setup (apt-get install golang-github-opencontainers-specs-dev)',
  });
  if (options.root) checks.push(...(await rootChecks(options.root, resolveDataRoot(options.root, options.dataRoot))));
  if (options.root) checks.push(...(await podNetworkChecks(options.root)));
  return checks;
}

export async function runDoctor(
  options: { runtime?: string | undefined; root?: string | undefined; dataRoot?: string | undefined },
  out: (s: string) => void,
): Promise<number> {
  const checks = await doctorChecks(options);
  for (const c of checks) {
    const mark = c.ok === true ? 'ok  ' : c.ok === 'warn' ? 'warn' : 'FAIL';
    out(`${mark}  ${c.name}: ${c.detail}${c.ok !== true && c.fix ? ` (${c.fix})` : ''}\n`);
  }
  const failed = checks.filter((c) => c.ok === false);
  out(
    failed.length === 0 ? 'nspod can run pods on this host\n' : `${failed.length} problem${failed.length > 1 ? 's' : ''}: see FAIL above\n`,
  );
  return failed.length === 0 ? 0 : 1;
}
