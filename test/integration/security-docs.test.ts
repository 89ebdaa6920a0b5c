/**
 * The Kubernetes docs' security examples, each manifest as the docs write it (tasks/configure-pod-container/security-context:
 * security-context-2 ... -6; tutorials/security/seccomp: default-pod), with the results the docs show. The images they
 * name cannot be pulled here: each is a stand-in made from the toolbox and imported under the docs' own reference, so
 * no manifest is edited.
 */
import test, { type ExecutionContext } from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { importImage } from '../../src/image/manage.js';
import { parseManifest } from '../../src/manifest/index.js';
import type { Pod } from '../../src/pod/pod.js';
import { toolboxImageArchive } from '../helpers/images.js';
import { podName, testPod } from '../helpers/pods.js';

/** What gcr.io/google-samples/hello-app:2.0 does: answer on :8080 with its greeting, version and hostname. */
const HELLO_APP = `#!/bin/sh
mkdir -p /tmp/www && printf 'Hello, world!\\nVersion: 2.0.0\\nHostname: %s\\n' "$(hostname)" > /tmp/www/index.html
exec httpd -f -p 8080 -h /tmp/www
`;

/** What hashicorp/http-echo:1.0 does: answer with its -text on -listen (default :5678). */
const HTTP_ECHO = `#!/bin/sh
text= listen=:5678
for a; do case "$a" in -text=*) text=\${a#-text=} ;; -listen=*) listen=\${a#-listen=} ;; esac; done
mkdir -p /tmp/www && echo "$text" > /tmp/www/index.html
exec httpd -f -p "\${listen#:}" -h /tmp/www
`;

/** Stand-ins for the images the examples name, imported under the names they use into one image root for the file. */
async function docsImages(dir: string): Promise<string> {
  const imageRoot = path.join(dir, 'images');
  const stand = async (ref: string, name: string, entrypoint: string, files: { path: string; content: string; mode?: number }[]) =>
    importImage(ref, await toolboxImageArchive(dir, name, { entrypoint: [entrypoint] }, files), { imageRoot });
  await stand('gcr.io/google-samples/hello-app:2.0', 'hello-app', '/hello-app', [{ path: 'hello-app', content: HELLO_APP, mode: 0o755 }]);
  // agnhost's /etc/passwd and /etc/group name uid 1000 and put it in group 50000, as the docs show them.
  await stand('registry.k8s.io/e2e-test-images/agnhost:2.45', 'agnhost', '/agnhost', [
    { path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nuser-defined-in-image:x:1000:1000::/home:/bin/sh\n' },
    { path: 'etc/group', content: 'root:x:0:\nuser-defined-in-image:x:1000:\ngroup-defined-in-image:x:50000:user-defined-in-image\n' },
  ]);
  await stand('hashicorp/http-echo:1.0', 'http-echo', '/http-echo', [{ path: 'http-echo', content: HTTP_ECHO, mode: 0o755 }]);
  return imageRoot;
}

let work: string | undefined;
let imageRoot = '';

test.before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'nspod-docs-images-'));
  imageRoot = await docsImages(work);
});

test.after.always(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** The docs' manifest run as it is (its name made unique for this run), with the stand-in images. */
async function docsPod(t: ExecutionContext, yaml: string): Promise<Pod> {
  const [spec] = parseManifest(yaml).pods;
  const { pod } = await testPod(t, { ...spec!, name: podName('docs') }, { imageRoot });
  return pod;
}

/** `Key:\tvalue` lines of /proc/1/status in a container. */
async function procStatus(pod: Pod, container: string): Promise<Record<string, string>> {
  const r = await pod.exec(container, ['cat', '/proc/1/status']);
  return Object.fromEntries(r.stdout.split('\n').flatMap((l) => (/^(\w+):\s*(.*)$/.exec(l) ? [[RegExp.$1, RegExp.$2]] : [])));
}

test("security-context-2: the container's runAsUser (2000) overrides the pod's (1000): ps aux shows its processes as 2000", async (t) => {
  const pod = await docsPod(
    t,
    `apiVersion: v1
kind: Pod
metadata:
  name: security-context-demo-2
spec:
  securityContext:
    runAsUser: 1000
  containers:
  - name: sec-ctx-demo-2
    image: gcr.io/google-samples/hello-app:2.0
    securityContext:
      runAsUser: 2000
      allowPrivilegeEscalation: false
`,
  );
  const ps = await pod.exec('sec-ctx-demo-2', ['ps', 'aux']);
  t.is(ps.exitCode, 0, ps.stderr);
  const [header, ...rows] = ps.stdout.trim().split('\n');
  t.regex(header ?? '', /^\s*PID\s+USER\s+/);
  const users = rows.map((r) => r.trim().split(/\s+/)[1]);
  t.deepEqual([...new Set(users)], ['2000'], ps.stdout);
  t.true(
    rows.some((r) => /^\s*1\s+2000\s+httpd -f -p 8080/.test(r)),
    'PID 1 is the app, as 2000',
  );
  const hello = await pod.exec('sec-ctx-demo-2', ['wget', '-qO-', 'http://127.0.0.1:8080/']);
  t.regex(hello.stdout, /^Hello, world!\nVersion: 2\.0\.0\n/);
});

// The docs write these two as JSON-style YAML; so do we.
const SECURITY_CONTEXT_3 = `---
{
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "security-context-demo-3",
  },
  spec: {
    containers: [{
      name: "sec-ctx-3",
      image: "gcr.io/google-samples/hello-app:2.0",
    }],
  },
}
`;

const SECURITY_CONTEXT_4 = `---
{
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "security-context-demo-4",
  },
  spec: {
    containers: [{
      name: "sec-ctx-4",
      image: "gcr.io/google-samples/hello-app:2.0",
      securityContext: {
        capabilities: {
          add: [
            "NET_ADMIN",
            "SYS_TIME",
          ],
        },
      },
    }],
  },
}
`;

test('security-context-3 and -4: CapPrm and CapEff are 00000000a80425fb, and with NET_ADMIN and SYS_TIME added 00000000aa0435fb (bits 12 and 25)', async (t) => {
  const three = await docsPod(t, SECURITY_CONTEXT_3);
  const four = await docsPod(t, SECURITY_CONTEXT_4);
  const s3 = await procStatus(three, 'sec-ctx-3');
  const s4 = await procStatus(four, 'sec-ctx-4');
  t.is(s3.CapPrm, '00000000a80425fb');
  t.is(s3.CapEff, '00000000a80425fb');
  t.is(s4.CapPrm, '00000000aa0435fb');
  t.is(s4.CapEff, '00000000aa0435fb');
  t.is(BigInt(`0x${s4.CapEff}`) ^ BigInt(`0x${s3.CapEff}`), (1n << 12n) | (1n << 25n), 'CAP_NET_ADMIN (12) and CAP_SYS_TIME (25)');
  const ps = await three.exec('sec-ctx-3', ['ps', 'aux']);
  t.regex(ps.stdout, /^\s*1\s+root\s+httpd -f -p 8080/m, 'the app runs as root, PID 1');
  // What the added capability allows: NET_ADMIN changes a link of the pod's network namespace.
  t.not((await three.exec('sec-ctx-3', ['ip', 'link', 'set', 'lo', 'mtu', '65000'])).exitCode, 0, 'no NET_ADMIN');
  const mtu = await four.exec('sec-ctx-4', ['ip', 'link', 'set', 'lo', 'mtu', '65000']);
  t.is(mtu.exitCode, 0, mtu.stderr);
});

test("security-context-5 and -6: id shows the image's group 50000 with supplementalGroupsPolicy Merge (the default), not with Strict", async (t) => {
  const five = await docsPod(
    t,
    `---
{
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "security-context-demo",
  },
  spec: {
    securityContext: {
      runAsUser: 1000,
      runAsGroup: 3000,
      supplementalGroups: [
        4000,
      ],
    },
    containers: [{
      name: "sec-ctx-demo",
      image: "registry.k8s.io/e2e-test-images/agnhost:2.45",
      command: [
        "sh",
        "-c",
        "sleep 1h",
      ],
      securityContext: {
        allowPrivilegeEscalation: false,
      },
    }],
  },
}
`,
  );
  const six = await docsPod(
    t,
    `apiVersion: v1
kind: Pod
metadata:
  name: security-context-demo
spec:
  securityContext:
    runAsUser: 1000
    runAsGroup: 3000
    supplementalGroups: [4000]
    supplementalGroupsPolicy: Strict
  containers:
  - name: sec-ctx-demo
    image: registry.k8s.io/e2e-test-images/agnhost:2.45
    command: [ "sh", "-c", "sleep 1h" ]
    securityContext:
      allowPrivilegeEscalation: false
`,
  );
  const id = async (pod: Pod) => (await pod.exec('sec-ctx-demo', ['id'])).stdout.trim();
  t.is(await id(five), 'uid=1000(user-defined-in-image) gid=3000 groups=3000,4000,50000(group-defined-in-image)');
  t.is(await id(six), 'uid=1000(user-defined-in-image) gid=3000 groups=3000,4000');
  const groups = async (pod: Pod) => (await procStatus(pod, 'sec-ctx-demo')).Groups?.trim();
  t.is(await groups(five), '3000 4000 50000');
  t.is(await groups(six), '3000 4000');
});

test("the seccomp tutorial's default-pod runs under RuntimeDefault and answers with its text", async (t) => {
  const pod = await docsPod(
    t,
    `apiVersion: v1
kind: Pod
metadata:
  name: default-pod
  labels:
    app.kubernetes.io/name: default-pod
spec:
  securityContext:
    seccompProfile:
      type: RuntimeDefault
  containers:
  - name: test-container
    image: hashicorp/http-echo:1.0
    args:
    - "-text=just made some more syscalls!"
    securityContext:
      allowPrivilegeEscalation: false`,
  );
  const status = await procStatus(pod, 'test-container');
  t.is(status.Seccomp, '2');
  t.is(status.NoNewPrivs, '1');
  const answer = await pod.exec('test-container', ['wget', '-qO-', 'http://127.0.0.1:5678/']);
  t.is(answer.exitCode, 0, answer.stderr);
  t.is(answer.stdout.trim(), 'just made some more syscalls!');
});
