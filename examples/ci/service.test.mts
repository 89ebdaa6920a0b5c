/**
 * A test suite that brings its own service pod: created from the manifest, Ready through its
 * readiness probe, removed at the end of the scope (`await using`), pass or fail. Run as root.
 */
import test from 'ava';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pod, loadManifestFile, waitForHttp } from 'nspod';

const here = path.dirname(fileURLToPath(import.meta.url));

test('the service answers once it is Ready', async (t) => {
  const { pods } = await loadManifestFile(path.join(here, 'service.yaml'));
  // Its own name and host port, so it can run next to the workflow's CLI-started pod.
  const spec = { ...pods[0]!, name: `ci-service-${process.pid}` };
  spec.containers = spec.containers.map((c) => ({ ...c, ports: c.ports?.map((p) => ({ ...p, hostPort: 18081 })) }));
  await using pod = await Pod.create(spec, { cwd: here });
  await pod.waitReady({ timeout: 30_000 });
  // From inside the pod's network namespace: no host port needed for this one.
  await waitForHttp(pod, { port: 8080, path: '/', timeout: 10_000 });
  const response = await fetch('http://127.0.0.1:18081/', { signal: AbortSignal.timeout(5000) });
  t.is(response.status, 200);
  t.is((await response.text()).trim(), 'hello from nspod');
});
