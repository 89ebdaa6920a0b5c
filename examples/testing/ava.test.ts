// An ava suite with its service in a pod: `npx ava examples/testing/ava.test.ts` (ava with tsx, as this repository runs it).
import test from 'ava';
import path from 'node:path';
import { loadManifestFile, Pod } from 'nspod';

let pod: Pod;

test.before(async () => {
  const { pods, baseDir } = await loadManifestFile(path.join(import.meta.dirname, 'service.yaml'));
  // A name of this run's own; the pod goes with this process even if it is killed with -9.
  const spec = { ...pods[0]!, name: `${pods[0]!.name}-ava-${process.pid}` };
  // reuse: another suite of this run asking for the same spec gets this pod, not a name clash.
  pod = await Pod.create(spec, { cwd: baseDir, removeWhen: 'owner-exits', reuse: true });
  await pod.waitReady({ timeout: 30_000 });
});

test.after.always(async () => {
  await pod?.remove({ gracePeriodSeconds: 0 });
});

test('the service answers on its random host port', async (t) => {
  const res = await fetch(`http://127.0.0.1:${pod.hostPort(8080)}/`);
  t.is(res.status, 200);
  t.is(await res.text(), 'hello from the service\n');
});
