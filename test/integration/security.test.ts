import test from 'ava';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isNspodError } from '../../src/errors.js';
import { parseManifest } from '../../src/manifest/index.js';
import { Pod } from '../../src/pod/pod.js';
import type { PodSpec } from '../../src/spec/spec.js';
import { RUNTIME, stateRoot } from '../helpers/host.js';
import { assertNoLeftovers } from '../helpers/leftovers.js';
import { podName, sleeper, testPod } from '../helpers/pods.js';

/** `Key:\tvalue` lines of /proc/<pid>/status in a container (its PID 1 unless the pod shares one). */
async function procStatus(pod: Pod, container: string): Promise<Record<string, string>> {
  const r = await pod.exec(container, ['cat', '/proc/1/status']);
  return Object.fromEntries(r.stdout.split('\n').flatMap((l) => (/^(\w+):\s*(.*)$/.exec(l) ? [[RegExp.$1, RegExp.$2]] : [])));
}

/** A manifest's one pod, named uniquely for this run. */
function manifestPod(yaml: string): PodSpec {
  const [spec] = parseManifest(yaml).pods;
  return { ...spec!, name: podName('sec') };
}

/** A private Localhost profile root holding `files`, removed when the test ends. */
async function profileRoot(t: import('ava').ExecutionContext, files: Record<string, object>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nspod-seccomp-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const [name, profile] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), JSON.stringify(profile));
  }
  return dir;
}

test('a container with no securityContext runs under RuntimeDefault: Seccomp 2, unshare -U refused; the pause has its own filter', async (t) => {
  const { pod } = await testPod(t, { containers: [sleeper('app')] });
  const status = await procStatus(pod, 'app');
  t.is(status.Seccomp, '2');
  t.is(status.NoNewPrivs, '0', 'allowPrivilegeEscalation defaults to true');
  const unshare = await pod.exec('app', ['unshare', '-U', 'true']);
  t.not(unshare.exitCode, 0);
  t.regex(unshare.stderr, /Operation not permitted/);
  // The pause: a filter of its own, and no_new_privs.
  const pause = await readFile(`/proc/${pod.pausePid}/status`, 'utf8');
  t.regex(pause, /^Seccomp:\s+2$/m);
  t.regex(pause, /^NoNewPrivs:\s+1$/m);
});

test('seccompProfile Unconfined (pod level) runs without a filter: Seccomp 0, unshare -U works', async (t) => {
  const { pod } = await testPod(t, { seccompProfile: { type: 'Unconfined' }, containers: [sleeper('app')] });
  t.is((await procStatus(pod, 'app')).Seccomp, '0');
  const unshare = await pod.exec('app', ['unshare', '-U', 'true']);
  t.is(unshare.exitCode, 0, unshare.stderr);
});

test("a container's own profile wins over the pod's; SYS_ADMIN gets what Docker gives it (unshare)", async (t) => {
  const { pod } = await testPod(t, {
    seccompProfile: { type: 'Unconfined' },
    containers: [
      { ...sleeper('confined'), seccompProfile: { type: 'RuntimeDefault' } },
      { ...sleeper('admin'), seccompProfile: { type: 'RuntimeDefault' }, capabilities: { add: ['SYS_ADMIN'] } },
    ],
  });
  t.is((await procStatus(pod, 'confined')).Seccomp, '2');
  t.not((await pod.exec('confined', ['unshare', '-U', 'true'])).exitCode, 0);
  t.is((await procStatus(pod, 'admin')).Seccomp, '2');
  const unshare = await pod.exec('admin', ['unshare', '-U', 'true']);
  t.is(unshare.exitCode, 0, unshare.stderr);
});

test('the restricted Pod Security Standard pod runs: NoNewPrivs 1, Seccomp 2, no capabilities, uid 1000', async (t) => {
  const spec = manifestPod(`
apiVersion: v1
kind: Pod
metadata:
  name: restricted
spec:
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    seccompProfile:
      type: RuntimeDefault
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    securityContext:
      allowPrivilegeEscalation: false
      capabilities:
        drop: ["ALL"]
`);
  const { pod } = await testPod(t, spec);
  const status = await procStatus(pod, 'app');
  t.is(status.NoNewPrivs, '1');
  t.is(status.Seccomp, '2');
  t.is(status.CapEff, '0000000000000000');
  t.is(status.CapPrm, '0000000000000000');
  t.regex(status.Uid ?? '', /^1000\s+1000\s+1000\s+1000$/);
});

test('a Localhost profile that denies mkdir: mkdir fails with EPERM; read again from the profile root at each start', async (t) => {
  const seccompRoot = await profileRoot(t, {
    'profiles/no-mkdir.json': {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
    },
  });
  const spec = manifestPod(`
apiVersion: v1
kind: Pod
metadata:
  name: no-mkdir
spec:
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    securityContext:
      seccompProfile:
        type: Localhost
        localhostProfile: profiles/no-mkdir.json
`);
  const { pod } = await testPod(t, spec, { seccompRoot });
  t.is((await procStatus(pod, 'app')).Seccomp, '2');
  const mkdirTry = await pod.exec('app', ['mkdir', '/tmp/x']);
  t.not(mkdirTry.exitCode, 0);
  t.regex(mkdirTry.stderr, /Operation not permitted/);
  t.is((await pod.exec('app', ['touch', '/tmp/y'])).exitCode, 0, 'what the profile allows works');
});

test('a Localhost profile that leads out of the profile root, or is missing, is refused at create; nothing is left', async (t) => {
  const seccompRoot = await profileRoot(t, {});
  const outside = await profileRoot(t, { 'elsewhere.json': { defaultAction: 'SCMP_ACT_ALLOW' } });
  await symlink(path.join(outside, 'elsewhere.json'), path.join(seccompRoot, 'escape.json'));
  const root = await stateRoot(t);
  for (const [file, code, message] of [
    ['escape.json', 'INVALID_SPEC', /outside the profile root/],
    ['missing.json', 'PROFILE_INVALID', /no file/],
  ] as const) {
    const name = podName('sec');
    const error = await t.throwsAsync(
      Pod.create(
        { name, containers: [{ ...sleeper('app'), seccompProfile: { type: 'Localhost', localhostProfile: file } }] },
        { runtime: RUNTIME, root, seccompRoot },
      ),
    );
    t.true(isNspodError(error, code), String(error));
    t.regex(error?.message ?? '', message);
    t.regex(error?.message ?? '', /container app/);
    await assertNoLeftovers(t, root, { pod: name });
  }
});
