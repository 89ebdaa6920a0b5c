import test from 'ava';
import { parseManifest } from '../../src/manifest/manifest.js';
import { validatePodSpec } from '../../src/spec/spec.js';

const manifest = (annotation: string, extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: big
  annotations:
    note: "${annotation}"
spec:
  containers:
    - name: app
      image: busybox
      command: ["true"]
${extra}`;

test("a 2 MiB annotation is refused naming the field; over Kubernetes' 256 KiB in all too", (t) => {
  const huge = t.throws(() => parseManifest(manifest('x'.repeat(2 * 1024 * 1024)), { file: 'pod.yaml' }));
  t.regex(huge!.message, /^pod\.yaml: line 1: a document of \d+ bytes is over nspod's bound of 1048576/);
  const big = t.throws(() => parseManifest(manifest('x'.repeat(300 * 1024)), { file: 'pod.yaml' }));
  t.regex(big!.message, /annotations.*more than Kubernetes' limit of 262144 \(256 KiB\)/);
  t.notThrows(() => parseManifest(manifest('x'.repeat(200 * 1024))));
});

test("args and env beyond the kernel's ARG_MAX, or one argument over MAX_ARG_STRLEN, are refused naming the field", (t) => {
  const spec = (args: string[], env: Record<string, string> = {}) => ({
    name: 'big',
    containers: [{ name: 'app', image: 'busybox', command: ['echo'], args, env }],
  });
  const many = t.throws(() => validatePodSpec(spec(Array.from({ length: 300_000 }, () => 'abcdefgh'))));
  t.regex(many!.message, /containers\[0\]\.args: \d+ bytes of command and args and \d+ of env: more than the kernel's ARG_MAX/);
  const env = t.throws(() =>
    validatePodSpec(spec([], Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`V${i}`, 'x'.repeat(100_000)])))),
  );
  t.regex(env!.message, /containers\[0\]\.env: .*ARG_MAX/);
  const long = t.throws(() => validatePodSpec(spec(['x'.repeat(200 * 1024)])));
  t.regex(long!.message, /containers\[0\]\.args: an item is longer than the kernel takes for one argument/);
  t.notThrows(() => validatePodSpec(spec(['hello'])));
});
