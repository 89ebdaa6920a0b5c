/** The suite's one "nothing left" assertion: what a pod under a state root could leave behind, asserted gone. */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { isAlive } from '../../src/host/proc.js';
import { mountsUnder } from '../../src/host/mounts.js';
import { StateRoot } from '../../src/pod/store.js';
import { podCgroupDirs, processesMentioning, runtimeContainers, RUNTIME, testDataRoot } from './host.js';

export interface LeftoverScope {
  /** One pod: its state dir and its cgroups must be gone (without it, the whole pods/ dir must be empty). */
  pod?: string | undefined;
  /** Processes of the pod (pause, containers) that must have died. */
  pids?: number[] | undefined;
}

/** No runtime container, mount, state dir, data dir, live pod process, shim of the root or pod cgroup is left. */
export async function assertNoLeftovers(t: ExecutionContext, root: string, scope: LeftoverScope = {}): Promise<void> {
  t.deepEqual(await runtimeContainers(path.join(root, 'runtime', RUNTIME)), [], 'runtime containers');
  t.deepEqual(mountsUnder(root), [], 'mounts under the state root');
  // The pods' data dirs under the data root the state root names (upper/work dirs, disk emptyDirs, logs).
  const data = new StateRoot(root).dataDirUnder(testDataRoot(root));
  const dataDirs = (await readdir(data).catch((): string[] => [])).filter((d) => d !== 'state-root');
  t.deepEqual(
    scope.pod !== undefined ? dataDirs.filter((d) => /^(.+)-[0-9a-f]{8}$/.exec(d)?.[1] === scope.pod) : dataDirs,
    [],
    'pod data dirs',
  );
  if (scope.pod !== undefined) t.false(existsSync(path.join(root, 'pods', scope.pod)), 'state dir');
  else t.deepEqual(existsSync(path.join(root, 'pods')) ? await readdir(path.join(root, 'pods')) : [], [], 'pod state dirs');
  t.deepEqual((scope.pids ?? []).filter(isAlive), [], 'pod processes');
  t.deepEqual(await processesMentioning(`${root}/`), [], 'processes of this state root (shims)');
  if (scope.pod !== undefined) t.deepEqual(await podCgroupDirs(scope.pod), [], 'cgroups of the pod');
}
