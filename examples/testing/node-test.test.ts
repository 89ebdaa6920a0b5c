// A node:test suite with its service in a pod: `node --import=tsx --test examples/testing/node-test.test.ts`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadManifestFile, Pod } from 'nspod';

let pod: Pod;

before(async () => {
  const { pods, baseDir } = await loadManifestFile(path.join(import.meta.dirname, 'service.yaml'));
  // A name of this run's own; the pod goes with this process even if it is killed with -9.
  const spec = { ...pods[0]!, name: `${pods[0]!.name}-${process.pid}` };
  // reuse: another suite of this run asking for the same spec gets this pod, not a name clash.
  pod = await Pod.create(spec, { cwd: baseDir, removeWhen: 'owner-exits', reuse: true });
  await pod.waitReady({ timeout: 30_000 });
});

after(async () => {
  await pod?.remove({ gracePeriodSeconds: 0 });
});

test('the service answers on its random host port', async () => {
  const res = await fetch(`http://127.0.0.1:${pod.hostPort(8080)}/`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'hello from the service\n');
});
