import type { ExecutionContext } from 'ava';
import { Pod, type PodOptions } from '../../src/pod/pod.js';
import type { PodSpec } from '../../src/spec/spec.js';
import { RUNTIME, stateRoot } from './host.js';

let counter = 0;

/** A unique, valid pod name for this test process. */
export function podName(prefix = 'p'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

/** Creates a pod under a fresh state root; it is removed when the test ends, pass or fail. */
export async function testPod(
  t: ExecutionContext,
  spec: Omit<PodSpec, 'name'> & { name?: string },
  options: PodOptions = {},
): Promise<{ pod: Pod; root: string }> {
  const root = options.root ?? (await stateRoot(t));
  const pod = await Pod.create({ name: podName(), ...spec } as PodSpec, { runtime: RUNTIME, ...options, root });
  t.teardown(async () => {
    await pod.remove({ gracePeriodSeconds: 0 }).catch(() => undefined);
  });
  return { pod, root };
}

/** A busybox container that sleeps until stopped. */
export function sleeper(name: string): PodSpec['containers'][number] {
  return { name, image: 'busybox', command: ['sleep', '3600'] };
}

/** A busybox httpd serving the toolbox's /var/www on 127.0.0.1:port. */
export function webServer(name: string, port = 8080): PodSpec['containers'][number] {
  return { name, image: 'busybox', command: ['httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', '/var/www'] };
}
