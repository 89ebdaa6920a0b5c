import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { isNspodError } from '../../src/errors.js';
import { importImage } from '../../src/image/manage.js';
import { waitForCommand, waitForHealthy, waitForHttp, waitForLogLine, waitForPort } from '../../src/pod/wait.js';
import { testPod, webServer } from '../helpers/pods.js';
import { tempDir, toolboxImageArchive } from '../helpers/images.js';
import { TIME_FACTOR } from '../helpers/host.js';

const SECOND = 1_000_000_000;

/** A host Node HTTPS server in the pod's network namespace (self-signed for localhost), on 127.0.0.1:8443. */
async function httpsServerIn(t: import('ava').ExecutionContext, pausePid: number): Promise<{ cert: string }> {
  const dir = await tempDir(t, 'tls');
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  await execa('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost',
  ]);
  const script = `
    const fs = require('node:fs');
    require('node:https').createServer({ key: fs.readFileSync(process.env.KEY), cert: fs.readFileSync(process.env.CERT) }, (req, res) => {
      res.setHeader('x-served-by', 'nspod-test');
      if (req.headers['x-token'] !== 'secret') { res.statusCode = 401; return res.end('no token'); }
      res.end('status: green\\n');
    }).listen(8443, '127.0.0.1', () => console.log('listening'));`;
  const child = spawn('nsenter', [`--net=/proc/${pausePid}/ns/net`, process.execPath, '-e', script], {
    env: { ...process.env, KEY: key, CERT: cert },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });
  await once(child.stdout, 'data');
  return { cert: await readFile(cert, 'utf8') };
}

test('waitForHttp over https (self-signed accepted; with ca verified) with request headers, body and response headers', async (t) => {
  const { pod } = await testPod(t, { network: 'none', containers: [webServer('web')] });
  const { cert } = await httpsServerIn(t, pod.pausePid);
  const https = { port: 8443, https: true, headers: { 'x-token': 'secret' }, timeout: 10_000 * TIME_FACTOR };
  await waitForHttp(pod, { ...https, body: /status: (green|yellow)/, responseHeaders: { 'X-Served-By': 'nspod-test' } });
  await waitForHttp(pod, { ...https, body: 'green', ca: cert });
  const timeout = 600 * TIME_FACTOR;
  const wrongName = await t.throwsAsync(waitForHttp(pod, { ...https, ca: cert, servername: 'other.example', timeout }));
  t.true(isNspodError(wrongName, 'TIMEOUT'), String(wrongName));
  t.regex(wrongName!.message, /https:\/\/127\.0\.0\.1:8443\/ .*other\.example/);
  const noToken = await t.throwsAsync(waitForHttp(pod, { port: 8443, https: true, timeout }));
  t.regex(noToken!.message, /HTTP 401: no token/);
  const red = await t.throwsAsync(waitForHttp(pod, { ...https, body: 'red', timeout }));
  t.regex(red!.message, /body does not contain "red": "status: green\\n"/);
  const header = await t.throwsAsync(waitForHttp(pod, { ...https, responseHeaders: { 'x-served-by': /^apache/ }, timeout }));
  t.regex(header!.message, /header x-served-by: "nspod-test", not \/\^apache\//);
  // Plain HTTP, from busybox httpd in the container: its body and its Content-Type.
  await waitForHttp(pod, {
    port: 8080,
    body: /^hello from nspod/,
    responseHeaders: { 'content-type': /text\/html/ },
    timeout: 10_000 * TIME_FACTOR,
  });
  const plainToTls = await t.throwsAsync(waitForHttp(pod, { port: 8080, https: true, timeout }));
  t.true(isNspodError(plainToTls, 'TIMEOUT'), String(plainToTls));
  const refused = await t.throwsAsync(waitForHttp(pod, { port: 8081, timeout }));
  t.regex(refused!.message, /dial tcp 127\.0\.0\.1:8081: Connection refused/);
});

test('waitForCommand runs argv in the container until it exits 0; a container gone for good rejects at once', async (t) => {
  const { pod } = await testPod(t, {
    network: 'none',
    restartPolicy: 'Never',
    containers: [
      {
        name: 'db',
        image: 'busybox',
        command: ['sh', '-c', 'until [ -e /tmp/go ]; do sleep 0.05; done; sleep 0.5; touch /tmp/ready; sleep 3600'],
      },
      { name: 'brief', image: 'busybox', command: ['sh', '-c', 'until [ -e /tmp/go ]; do sleep 0.05; done; exit 3'] },
    ],
  });
  const before = await waitForCommand(pod, 'db', ['test', '-e', '/tmp/ready'], { timeout: 300 * TIME_FACTOR }).catch((e: Error) => e);
  t.true(isNspodError(before, 'TIMEOUT'), String(before));
  t.regex((before as Error).message, /\["test","-e","\/tmp\/ready"\] in .*\/db did not exit 0; the last run: exit code 1/);
  t.is((await pod.exec('db', ['touch', '/tmp/go'])).exitCode, 0);
  const r = await waitForCommand(pod, 'db', ['sh', '-c', 'test -e /tmp/ready && echo up'], { timeout: 10_000 * TIME_FACTOR });
  t.is(r.stdout.trim(), 'up');
  t.is((await pod.exec('brief', ['touch', '/tmp/go'])).exitCode, 0);
  const gone = await t.throwsAsync(waitForCommand(pod, 'brief', ['true'], { timeout: 30_000 * TIME_FACTOR }));
  t.true(isNspodError(gone, 'RUNTIME_FAILED'), String(gone));
  t.regex(gone!.message, /brief is exited with code 3, and restartPolicy Never does not restart it/);
});

test('waitForHttp, waitForPort and waitForLogLine on a container that printed "boom" and exited 1 reject long before their 60 s timeout, saying it exited, its code and its last lines', async (t) => {
  const { pod } = await testPod(t, {
    network: 'none',
    restartPolicy: 'Never',
    containers: [{ name: 'web', image: 'busybox', command: ['sh', '-c', 'echo starting; echo boom >&2; exit 1'] }],
  });
  // A 60 s timeout: a TIMEOUT error would mean the wait did not see the exit.
  const timeout = 60_000;
  const said =
    /pod \S+ (will not|has not logged) .*: container web is exited with code 1, and restartPolicy Never does not restart it; its last log lines \(up to 20\): starting \| boom/;
  for (const wait of [
    waitForHttp(pod, { port: 8080, timeout }),
    waitForPort(pod, 8080, { timeout }),
    waitForLogLine(pod, 'web', /listening/, { timeout }),
  ]) {
    const error = await t.throwsAsync(wait);
    t.true(isNspodError(error, 'RUNTIME_FAILED'), String(error));
    t.regex(error!.message, said);
  }
  // A line it did write before it exited is still found.
  await waitForLogLine(pod, 'web', /boom/, { stream: 'stderr', timeout });
});

test('waitForLogLine on stderr only: a stdout line does not count', async (t) => {
  const { pod } = await testPod(t, {
    network: 'none',
    containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'echo "fine on stdout"; echo "oops on stderr" >&2; sleep 3600'] }],
  });
  await waitForLogLine(pod, 'app', /oops/, { stream: 'stderr', timeout: 10_000 * TIME_FACTOR });
  await waitForLogLine(pod, 'app', /fine/, { stream: 'stdout', timeout: 10_000 * TIME_FACTOR });
  await waitForLogLine(pod, 'app', /on std/, { times: 2, timeout: 10_000 * TIME_FACTOR });
  const error = await t.throwsAsync(waitForLogLine(pod, 'app', /fine/, { stream: 'stderr', timeout: 400 * TIME_FACTOR }));
  t.true(isNspodError(error, 'TIMEOUT'), String(error));
  t.regex(error!.message, /0 of 1 line\(s\) matching \/fine\/ in the stderr of/);
});

test("waitForHealthy runs the image's HEALTHCHECK (CMD-SHELL, CMD) as Docker does; unhealthy rejects; no HEALTHCHECK is refused", async (t) => {
  const work = await tempDir(t, 'health');
  const imageRoot = path.join(work, 'images');
  const healthy = await toolboxImageArchive(work, 'healthy', {
    cmd: ['sleep', '3600'],
    healthcheck: {
      Test: ['CMD-SHELL', 'test -e /tmp/healthy && echo ok'],
      Interval: SECOND / 5,
      Timeout: 5 * SECOND,
      StartPeriod: 120 * SECOND,
      StartInterval: SECOND / 5,
      Retries: 2,
    },
  });
  const sick = await toolboxImageArchive(work, 'sick', {
    cmd: ['sleep', '3600'],
    healthcheck: { Test: ['CMD', 'sh', '-c', 'echo "db down"; exit 1'], Interval: SECOND / 5, Retries: 3 },
  });
  const plain = await toolboxImageArchive(work, 'plain', { cmd: ['sleep', '3600'], healthcheck: { Test: ['NONE'] } });
  await importImage('healthy:1', healthy, { imageRoot });
  await importImage('sick:1', sick, { imageRoot });
  await importImage('plain:1', plain, { imageRoot });
  const { pod } = await testPod(
    t,
    {
      network: 'none',
      containers: [
        { name: 'svc', image: 'healthy:1' },
        { name: 'sick', image: 'sick:1' },
        { name: 'plain', image: 'plain:1' },
      ],
    },
    { imageRoot },
  );
  t.deepEqual(pod.imageHealthcheck('svc')?.argv, ['/bin/sh', '-c', 'test -e /tmp/healthy && echo ok']);
  // In the start period failures do not count: the wait goes on until it times out.
  const starting = await t.throwsAsync(waitForHealthy(pod, 'svc', { timeout: 1000 * TIME_FACTOR }));
  t.true(isNspodError(starting, 'TIMEOUT'), String(starting));
  t.regex(starting!.message, /HEALTHCHECK of .*\/svc has not passed \(0 failure\(s\) counted\); the last run: exit code 1/);
  t.is((await pod.exec('svc', ['touch', '/tmp/healthy'])).exitCode, 0);
  await waitForHealthy(pod, 'svc', { timeout: 10_000 * TIME_FACTOR });
  const unhealthy = await t.throwsAsync(waitForHealthy(pod, 'sick', { timeout: 30_000 * TIME_FACTOR }));
  t.true(isNspodError(unhealthy, 'RUNTIME_FAILED'), String(unhealthy));
  t.regex(unhealthy!.message, /sick is unhealthy: its HEALTHCHECK failed 3 time\(s\) in a row; the last: exit code 1: db down/);
  const none = await t.throwsAsync(waitForHealthy(pod, 'plain'));
  t.true(isNspodError(none, 'INVALID_SPEC'), String(none));
  t.regex(none!.message, /has no HEALTHCHECK/);
});
