/** reuse: a create of a running pod's spec gets that pod, also from another process and when two ask at once. */
import test from 'ava';
import { execa } from 'execa';
import { isNspodError } from '../../src/errors.js';
import { Pod } from '../../src/pod/pod.js';
import type { PodSpec } from '../../src/spec/spec.js';
import { packageRoot } from '../../src/paths.js';
import { RUNTIME, stateRoot } from '../helpers/host.js';
import { podName } from '../helpers/pods.js';
import { assertNoLeftovers } from '../helpers/leftovers.js';
import { nspod, writeManifest } from '../helpers/cli.js';
import { tempDir } from '../helpers/images.js';

/** A Node process that creates the pod with reuse and prints its pause pid and uid. */
const creator = (spec: PodSpec, root: string) =>
  execa(
    process.execPath,
    [
      '--import=tsx',
      '--input-type=module',
      '-e',
      `const { Pod } = await import(${JSON.stringify(`${packageRoot}/src/pod/pod.ts`)});
       const pod = await Pod.create(JSON.parse(process.env.SPEC), { root: process.env.ROOT, runtime: process.env.RUNTIME, reuse: true });
       const s = await pod.status();
       console.log(JSON.stringify({ pausePid: pod.pausePid, uid: s.uid ?? null }));`,
    ],
    { cwd: packageRoot, env: { SPEC: JSON.stringify(spec), ROOT: root, RUNTIME }, reject: false, stdin: 'ignore' },
  );

test('two processes create the same spec with reuse at once: one pod, both get it; a changed spec is refused naming the field; a stopped pod is refused', async (t) => {
  const root = await stateRoot(t, 'reuse');
  const spec: PodSpec = {
    name: podName('reuse'),
    network: 'none',
    containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }],
  };
  t.teardown(async () => {
    const pod = await Pod.load(spec.name, { root }).catch(() => undefined);
    await pod?.remove({ gracePeriodSeconds: 0 }).catch(() => undefined);
  });
  const runs = await Promise.all([creator(spec, root), creator(spec, root)]);
  for (const r of runs) t.is(r.exitCode, 0, r.stderr);
  const [a, b] = runs.map((r) => JSON.parse(r.stdout.trim().split('\n').pop()!) as { pausePid: number });
  t.is(a!.pausePid, b!.pausePid);
  t.deepEqual(await Pod.list({ root }), [spec.name]);

  // This process gets it too, its keys in another order.
  const here = await Pod.create({ containers: spec.containers, network: 'none', name: spec.name }, { root, runtime: RUNTIME, reuse: true });
  t.is(here.pausePid, a!.pausePid);

  const changed = { ...spec, containers: [{ ...spec.containers[0]!, command: ['sleep', '7200'] }] };
  const error = await t.throwsAsync(Pod.create(changed, { root, runtime: RUNTIME, reuse: true }));
  t.true(isNspodError(error, 'POD_EXISTS'), String(error));
  t.regex(error!.message, /exists with another spec: containers\[0\]\.command\[1\] is "7200", the pod's is "3600"/);
  // Without reuse the name is taken, as ever.
  t.true(isNspodError(await t.throwsAsync(Pod.create(spec, { root, runtime: RUNTIME })), 'POD_EXISTS'));

  await here.stop({ gracePeriodSeconds: 0 });
  const stopped = await t.throwsAsync(Pod.create(spec, { root, runtime: RUNTIME, reuse: true }));
  t.true(isNspodError(stopped, 'POD_EXISTS'), String(stopped));
  t.regex(stopped!.message, /exists but is Stopped: reuse takes a running pod only/);
  await here.remove({ gracePeriodSeconds: 0 });
  await assertNoLeftovers(t, root);
});

test('nspod run -d --reuse twice: the second run gets the first pod; a changed manifest is refused naming the field', async (t) => {
  const root = await stateRoot(t, 'reuse');
  const name = podName('reuse-cli');
  t.teardown(() => nspod(root, ['rm', '-f', name]));
  const dir = await tempDir(t, 'reuse-cli');
  const manifest = (arg: string) =>
    `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n  containers: [{name: app, image: busybox, command: [sleep, "${arg}"]}]\n`;
  const file = await writeManifest(dir, manifest('3600'));
  const first = await nspod(root, ['run', '-d', '--reuse', '--network', 'none', file]);
  t.is(first.exitCode, 0, first.stderr);
  const pid = (await Pod.load(name, { root })).pausePid;
  const second = await nspod(root, ['run', '-d', '--reuse', '--network', 'none', file]);
  t.is(second.exitCode, 0, second.stderr);
  t.is(second.stdout, `${name}\n`);
  t.is((await Pod.load(name, { root })).pausePid, pid);
  const changed = await nspod(root, ['run', '-d', '--reuse', '--network', 'none', await writeManifest(dir, manifest('60'), 'b.yaml')]);
  t.is(changed.exitCode, 1);
  t.regex(changed.stderr, /exists with another spec: containers\[0\]\.command\[1\] is "60", the pod's is "3600"/);
  t.is((await nspod(root, ['rm', '-f', name])).exitCode, 0);
  await assertNoLeftovers(t, root);
});
