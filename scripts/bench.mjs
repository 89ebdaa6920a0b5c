// nspod's benchmark: ratios against raw runtime calls doing the same work, in
// the same invocation. Never a pass/fail: it prints numbers. Then the memory
// of a pod whose probes run, and scripts/bench-network.mjs and
// scripts/bench-image.mjs, so that one `npm run bench` prints everything.
//
//   npm run bench                 (runc; BENCH_RUNS=15, BENCH_PODS=1000)
//   NSPOD_RUNTIME=crun npm run bench
//   BENCH_PODS=20 BENCH_RUNS=3    (a quick look; BENCH_MAIN_ONLY=1 leaves out the network and image benches)
//
// The baseline does by hand what nspod does for a pod of pause + 2 siblings:
// an overlay rootfs per sibling, `run -d` of the pause, sibling configs that
// join its namespaces, `run -d` of each; teardown is `kill KILL` + `delete` of each
// plus the unmounts. It runs under nspod-reaper, so the baseline's detached
// containers are reaped at once as nspod's shims reap theirs.
//
// The CLI as users run it (bin/nspod.js, the bundle): `nspod version` and
// `nspod ps` (10 pods) against `node -e 0`, the floor of any Node program; and
// `nspod run -d FILE` + `nspod rm -f NAME` of pause + 1 busybox against the same
// raw runtime calls for one sibling. Then BENCH_PODS pods of pause + 1 busybox
// one after another (API), kept running: first and last tenth, memory per idle
// pod, `nspod ps` over all of them, and one `nspod rm -f` of all of them.
import { execa } from 'execa';
import { mkdtemp, mkdir, rm, writeFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import { openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (!process.env.NSPOD_BENCH_REAPED) {
  const r = await execa(
    path.join(top, 'pause/build/nspod-reaper'),
    [process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    {
      stdio: 'inherit',
      env: { NSPOD_BENCH_REAPED: '1' },
      reject: false,
    },
  );
  process.exit(r.exitCode ?? 1);
}

const { Pod, buildPauseSpec, buildSiblingSpec, writePauseBundle, Runtime } = await import('../dist/index.js');
const { pauseNamespacePaths } = await import('../dist/oci/spec.js');
const { assets } = await import('../dist/paths.js');

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const PODS = Number(process.env.BENCH_PODS ?? 1000);
// podman 4.3.1's run -d + rm -f of the same pod on this host, as the README reports it (when podman is not installed).
const PODMAN_CYCLE_MS = 390;
const runtimeName = process.env.NSPOD_RUNTIME ?? 'runc';
const runtimeBinary = new Runtime({ runtime: runtimeName, root: '/' }).binary;
const work = await mkdtemp(path.join(os.tmpdir(), 'nspod-bench-'));
const hardLimit = 20000;

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)] };
};
const fmt = (ms) => `${ms.toFixed(1).padStart(7)} ms`;

// ---- baseline: the runtime by hand ----------------------------------------
const rawRoot = path.join(work, 'raw-runtime');
// Files, never pipes, as the stdio of a detached start: the container would inherit a pipe and hold it open.
const errFd = openSync(path.join(work, 'raw-runtime.err'), 'a');
const rr = (...args) => execa(runtimeBinary, ['--root', rawRoot, ...args], { stdin: 'ignore', stdout: 'ignore', stderr: errFd });

async function rawPodUp(i, siblings = ['a', 'b']) {
  const dir = path.join(work, `raw${i + 100}`);
  const pauseDir = path.join(dir, 'pause');
  await writePauseBundle(pauseDir, {
    hostname: 'raw',
    cgroupsPath: `/nspod-bench/raw${i + 100}/pause`,
    nofileHardLimit: hardLimit,
    pauseBinary: assets.pauseBinary,
  });
  const t0 = performance.now();
  await rr('run', '-d', '--pid-file', path.join(pauseDir, 'pid'), '--bundle', pauseDir, `raw${i + 100}`);
  const pid = Number(await readFile(path.join(pauseDir, 'pid'), 'utf8'));
  for (const c of siblings) {
    const cdir = path.join(dir, c);
    const rootfs = path.join(cdir, 'rootfs');
    await Promise.all(['upper', 'work', 'rootfs'].map((d) => mkdir(path.join(cdir, d), { recursive: true })));
    await execa('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${assets.toolboxRootfs},upperdir=${cdir}/upper,workdir=${cdir}/work`,
      rootfs,
    ]);
    const spec = buildSiblingSpec({
      pod: { name: `raw${i + 100}`, hostname: 'raw', cgroup: `raw${i + 100}` },
      container: { name: c, image: 'busybox', command: ['sleep', '3600'] },
      env: {},
      pause: pauseNamespacePaths(pid),
      rootfs,
      nofileHardLimit: hardLimit,
    });
    spec.linux.cgroupsPath = `/nspod-bench/raw${i + 100}/${c}`;
    await writeFile(path.join(cdir, 'config.json'), JSON.stringify(spec));
    await rr('run', '-d', '--bundle', cdir, `raw${i + 100}.${c}`);
  }
  return performance.now() - t0;
}

async function rawPodDown(i, siblings = ['a', 'b']) {
  const dir = path.join(work, `raw${i + 100}`);
  const t0 = performance.now();
  // By hand: KILL, then delete once the reaper has collected it.
  const killAndDelete = async (id) => {
    await rr('kill', id, 'KILL');
    for (let tries = 0; ; tries++) {
      try {
        await rr('delete', id);
        return;
      } catch (e) {
        if (tries > 200) throw e;
      }
    }
  };
  for (const c of siblings) {
    await killAndDelete(`raw${i + 100}.${c}`);
    await execa('umount', [path.join(dir, c, 'rootfs')]);
  }
  await killAndDelete(`raw${i + 100}`);
  const ms = performance.now() - t0;
  await rm(dir, { recursive: true, force: true });
  await rmCgroups(`nspod-bench/raw${i + 100}`);
  return ms;
}

async function rmCgroups(rel) {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const mounts = info
    .split('\n')
    .filter((l) => / - cgroup2? /.test(l))
    .map((l) => l.split(' ')[4]);
  await Promise.all(mounts.map((m) => execa('rmdir', [path.join(m, rel)], { reject: false })));
}

// ---- nspod ----------------------------------------------------------------
const nspodRoot = path.join(work, 'nspod-root');
// network none: the raw baseline has no network either (and a bench must not make the default 10.89.0.0/16 bridge).
const podSpec = (name, containers = ['a', 'b']) => ({
  name,
  network: 'none',
  containers: containers.map((c) => ({ name: c, image: 'busybox', command: ['sleep', '3600'] })),
});

async function nspodPodUp(name, containers) {
  const t0 = performance.now();
  const pod = await Pod.create(podSpec(name, containers), { root: nspodRoot, runtime: runtimeName });
  return { pod, ms: performance.now() - t0 };
}

// ---- the CLI, as users run it ------------------------------------------------
const nspodBin = path.join(top, 'bin', 'nspod.js');
// Node's own start, on both sides: a NODE_EXTRA_CA_CERTS in the environment (some CI hosts set one) makes every Node
// process read a CA bundle first, which is the host's cost, not nspod's; it is left out of the CLI runs and the floor.
const nodeEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_EXTRA_CA_CERTS'));
const node = (args) => execa(process.execPath, args, { stdin: 'ignore', env: nodeEnv, extendEnv: false });
const cli = (...args) => node([nspodBin, '--root', nspodRoot, '--runtime', runtimeName, ...args]);
const timed = async (fn) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};
const ratio = (ours, theirs) => (ours / theirs).toFixed(2);

async function cliStartup() {
  const idle = [];
  for (let i = 0; i < 10; i++) idle.push((await nspodPodUp(`ps-${i}`, ['a'])).pod);
  await cli('version'); // the page cache, and the compile cache where Node has one
  await cli('ps');
  const floor = [];
  const version = [];
  const ps = [];
  for (let i = 0; i < RUNS; i++) {
    floor.push(await timed(() => node(['-e', '0'])));
    version.push(await timed(() => cli('version')));
    ps.push(await timed(() => cli('ps')));
  }
  const f = stats(floor).median;
  const line = (what, xs) => {
    const m = stats(xs).median;
    console.log(`${what.padEnd(22)} median ${fmt(m)} | floor + ${(m - f).toFixed(0).padStart(3)} ms | ratio ${ratio(m, f)}`);
  };
  console.log(`\nCLI startup, against node -e 0 (median ${fmt(f)}; target: floor + 25 ms, ratio <= 1.4):`);
  line('nspod version', version);
  line('nspod ps (10 pods)', ps);
  for (const pod of idle) await pod.remove({ gracePeriodSeconds: 0 });
}

async function cliCycle(podman) {
  const file = path.join(work, 'cycle.yaml');
  await writeFile(
    file,
    'apiVersion: v1\nkind: Pod\nmetadata:\n  name: cycle\nspec:\n  containers:\n  - name: a\n    image: busybox\n    command: ["sleep", "3600"]\n',
  );
  const cycle = async () =>
    (await timed(() => cli('run', '-d', '--network', 'none', file))) + (await timed(() => cli('rm', '-f', 'cycle')));
  await cycle(); // warm-up
  const raw = [];
  const ours = [];
  for (let i = 0; i < RUNS; i++) {
    raw.push((await rawPodUp(200 + i, ['a'])) + (await rawPodDown(200 + i, ['a'])));
    ours.push(await cycle());
  }
  const r = stats(raw).median;
  const o = stats(ours).median;
  console.log(`\nCLI cycle: nspod run -d FILE + nspod rm -f NAME (pause + 1 busybox, network none), against the raw calls by hand:`);
  console.log(`  raw median ${fmt(r)} | nspod median ${fmt(o)} (min ${fmt(stats(ours).min)}) | ratio ${ratio(o, r)} (target <= 2.5)`);
  const p = podman ?? PODMAN_CYCLE_MS;
  console.log(
    `  podman ${podman ? 'run -d + rm -f here' : '4.3.1 (README, measured on this host)'}: ${fmt(p)} -> nspod is ${(p / o).toFixed(1)}x faster`,
  );
}

/** podman's run -d + rm -f of a busybox sleeper, when podman is installed and has the image; else undefined. */
async function podmanCycle() {
  const has = await execa('podman', ['image', 'exists', 'busybox'], { reject: false, stdin: 'ignore' });
  if (has.exitCode !== 0) return undefined;
  const xs = [];
  for (let i = 0; i < RUNS; i++) {
    const name = `nspod-bench-${process.pid}-${i}`;
    xs.push(
      (await timed(() => execa('podman', ['run', '-d', '--network', 'none', '--name', name, 'busybox', 'sleep', '3600']))) +
        (await timed(() => execa('podman', ['rm', '-f', '-t', '0', name]))),
    );
  }
  return stats(xs).median;
}

const memAvailableKb = async () => Number(/^MemAvailable:\s+(\d+)/m.exec(await readFile('/proc/meminfo', 'utf8'))[1]);

async function nspodPodDown(pod) {
  const t0 = performance.now();
  await pod.remove({ gracePeriodSeconds: 0 });
  return performance.now() - t0;
}

function procField(pid, field) {
  return readFile(`/proc/${pid}/status`, 'utf8').then((s) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0));
}
const vmRss = (pid) => procField(pid, 'VmRSS');

/** A detached pod whose probes run every second: what it costs the host while they run (pause + shims + prober). */
async function probedPodMemory() {
  // The pod test/integration/probe-memory.test.ts measures too (one fixture, so both measure the same thing).
  const fixture = JSON.parse(await readFile(path.join(top, 'test/fixtures/probed-pod.json'), 'utf8'));
  const pod = await Pod.create({ name: 'probed', ...fixture }, { root: nspodRoot, runtime: runtimeName });
  try {
    await pod.waitReady({ timeout: 15_000 });
    await new Promise((r) => setTimeout(r, 3000)); // several rounds of every probe first: measured after work, not fresh
    const status = await pod.status();
    const record = JSON.parse(await readFile(path.join(pod.dir, 'pod.json'), 'utf8'));
    const pause = status.pause.pid;
    const shims = await Promise.all([pause, ...status.containers.map((c) => c.pid)].map((pid) => procField(pid, 'PPid')));
    const rss = {
      pause: await vmRss(pause),
      shims: (await Promise.all(shims.map(vmRss))).reduce((a, b) => a + b, 0),
      prober: await vmRss(record.prober.pid),
    };
    const total = rss.pause + rss.shims + rss.prober;
    console.log(`\npod with probes (httpGet + exec readiness and liveness on 2 containers, periodSeconds 1), after 3 s of probing:`);
    console.log(
      `  VmRSS pause ${rss.pause} kB + ${shims.length} shims ${rss.shims} kB + prober ${rss.prober} kB = ${total} kB (bound 2048 kB: ${total <= 2048 ? 'within' : 'OVER'})`,
    );
  } finally {
    await pod.remove({ gracePeriodSeconds: 0 });
  }
}

try {
  console.log(`nspod bench: runtime ${runtimeName} (${runtimeBinary}), ${RUNS} runs each, pod = pause + 2 busybox siblings\n`);
  // Warm-up: first runs pay for page cache and the schema compile.
  await rawPodUp(-1);
  await rawPodDown(-1);
  await nspodPodDown((await nspodPodUp('warmup')).pod);

  const raw = { up: [], down: [] };
  const ours = { up: [], down: [] };
  for (let i = 0; i < RUNS; i++) {
    // Interleave so that drift on the host hits both alike.
    raw.up.push(await rawPodUp(i));
    raw.down.push(await rawPodDown(i));
    const { pod, ms } = await nspodPodUp(`bench-${i}`);
    ours.up.push(ms);
    ours.down.push(await nspodPodDown(pod));
  }
  const line = (what, r, o) => {
    const a = stats(r);
    const b = stats(o);
    console.log(
      `${what.padEnd(10)} raw min ${fmt(a.min)} median ${fmt(a.median)} | nspod min ${fmt(b.min)} median ${fmt(b.median)} | ratio (median) ${(b.median / a.median).toFixed(2)}`,
    );
  };
  line('pod up', raw.up, ours.up);
  line('teardown', raw.down, ours.down);

  await cliStartup();
  await cliCycle(await podmanCycle().catch(() => undefined));

  console.log(`\n${PODS} pods of pause + 1 busybox one after another (nspod API, network none, each kept running until the end):`);
  const pods = [];
  const times = [];
  const memBefore = await memAvailableKb();
  for (let i = 0; i < PODS; i++) {
    const { pod, ms } = await nspodPodUp(`seq-${i}`, ['a']);
    pods.push(pod);
    times.push(ms);
  }
  const memPerPod = (memBefore - (await memAvailableKb())) / PODS;
  const tenth = Math.max(1, Math.floor(PODS / 10));
  const firsts = stats(times.slice(0, tenth)).median;
  const lasts = stats(times.slice(-tenth)).median;
  console.log(
    `  first ${fmt(times[0])}, last ${fmt(times[PODS - 1])}, median of first ${tenth} ${fmt(firsts)}, of last ${tenth} ${fmt(lasts)} | last/first ${ratio(lasts, firsts)} (target <= 1.2)`,
  );
  const status = await pods[0].status();
  const pauseRss = await vmRss(status.pause.pid);
  const shims = (await execa('pgrep', ['-f', `nspod-shim .*${nspodRoot}/pods/seq-0/`], { reject: false })).stdout
    .split('\n')
    .filter(Boolean)
    .map(Number);
  const shimRss = (await Promise.all(shims.map(vmRss))).reduce((a, b) => a + b, 0);
  console.log(`  pause VmRSS ${pauseRss} kB; idle pod overhead (pause + ${shims.length} shims) ${pauseRss + shimRss} kB`);
  console.log(`  MemAvailable fell by ${memPerPod.toFixed(0)} kB per pod (kernel + processes, the container's sleep included)`);
  const ps = [];
  for (let i = 0; i < 5; i++) ps.push(await timed(() => cli('ps')));
  console.log(`  nspod ps over ${PODS} pods: median ${fmt(stats(ps).median)} (target <= 300 ms for 1000)`);
  const rmAll = await timed(() => cli('rm', '-f', ...pods.map((p) => p.name)));
  const left = await Pod.list({ root: nspodRoot });
  console.log(`  nspod rm -f of all ${PODS} in one call: ${fmt(rmAll)} (${fmt(rmAll / PODS)} per pod); ${left.length} left`);
  await probedPodMemory();
} finally {
  const left = await execa(runtimeBinary, ['--root', rawRoot, 'list', '-q'], { reject: false });
  for (const id of left.stdout.split('\n').filter(Boolean))
    await execa(runtimeBinary, ['--root', rawRoot, 'delete', '--force', id], { reject: false });
  for (const pod of await Pod.list({ root: nspodRoot }).catch(() => []))
    await (await Pod.load(pod, { root: nspodRoot })).remove({ gracePeriodSeconds: 0 }).catch(() => undefined);
  const mounts = (await readFile('/proc/self/mounts', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m) => m && m.startsWith(work));
  for (const m of mounts.reverse()) await execa('umount', ['--lazy', m], { reject: false });
  await rm(work, { recursive: true, force: true });
  await rmCgroups('nspod-bench');
}

// The network and image benches, in the same invocation (each cleans up after itself).
for (const script of process.env.BENCH_MAIN_ONLY === '1' ? [] : ['bench-network.mjs', 'bench-image.mjs']) {
  console.log(`\n---- ${script}`);
  const r = await execa(process.execPath, [path.join(top, 'scripts', script)], { stdio: 'inherit', reject: false });
  if (r.exitCode !== 0) console.log(`${script} failed (exit ${r.exitCode})`);
}
