/**
 * The nspod command line: a thin layer over the public API. Errors are one
 * line, `nspod: <what failed>: <why> (<what to do>)`, exit 1; usage errors
 * exit 2; stack traces only with --debug.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { execa } from 'execa';
import { NspodError, errorMessage } from '../errors.js';
import { packageRoot, assets } from '../paths.js';
import { Pod, resolvePodOptions, type PodOptions } from '../pod/pod.js';
import { readLogUpTo, LogFollower, type LogLine } from '../pod/logs.js';
import { planPod } from '../pod/plan.js';
import { nofileHardLimit } from '../host/proc.js';
import { Runtime } from '../runtime/runtime.js';
import { loadManifestFile } from '../manifest/index.js';
import { gcPods, type PodGcEntry } from '../pod/gc.js';
import { listImages, importImage } from '../image/manage.js';
import { removeImage, pruneImages } from '../pod/images.js';
import { psTable, summarize, table, age, parseDuration, eventsTable } from './format.js';
import { exitedForGood } from '../spec/restart.js';
import { runDoctor } from './doctor.js';
import { applyPublish, parsePublish } from './publish.js';
import type { PodSpec } from '../spec/spec.js';

const version = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

interface GlobalOptions {
  root?: string;
  runtime?: string;
  imageRoot?: string;
  debug?: boolean;
}

/** Raised by a command to end with a given exit code and no message. */
class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

const out = (s: string) => process.stdout.write(s);
const err = (s: string) => process.stderr.write(s);

function usageError(message: string): never {
  throw new CommanderError(2, 'nspod.usage', message);
}

function podOptions(g: GlobalOptions): PodOptions {
  return { root: g.root, runtime: g.runtime, imageRoot: g.imageRoot };
}

async function loadPod(name: string, g: GlobalOptions): Promise<Pod> {
  return await Pod.load(name, podOptions(g));
}

function printLine(prefix: string, line: LogLine): void {
  const text = `${prefix}${line.text}${line.partial ? '' : '\n'}`;
  if (line.stream === 'stderr') err(text);
  else out(text);
}

async function cmdRun(file: string, o: { detach?: boolean; rm?: boolean; publish?: string[]; dryRun?: boolean; network?: string; wait?: string | boolean }, g: GlobalOptions): Promise<number> {
  const publish = (o.publish ?? []).map(parsePublish);
  const waitMs = o.wait === undefined || o.wait === false ? undefined : o.wait === true ? 60_000 : parseDuration(o.wait);
  if (waitMs === undefined && o.wait !== undefined && o.wait !== false) usageError(`--wait takes a duration such as 60s or 2m, not ${JSON.stringify(o.wait)}`);
  if (waitMs !== undefined && !o.detach) usageError('--wait goes with -d/--detach (a foreground run streams the pod until it ends)');
  const manifest = await loadManifestFile(file);
  for (const w of manifest.warnings) err(`nspod: warning: ${w}\n`);
  const specs: PodSpec[] = manifest.pods.map((p) => {
    const withPorts = publish.length > 0 ? applyPublish(p, publish) : p;
    return o.network ? { ...withPorts, network: o.network } : withPorts;
  });
  const opts: PodOptions = { ...podOptions(g), cwd: manifest.baseDir, progress: process.stderr.isTTY, removeWhenDone: o.detach === true && o.rm === true };
  if (o.dryRun) {
    const resolved = resolvePodOptions(opts);
    const runtime = Runtime.find(resolved.runtime);
    for (const spec of specs) {
      const plan = planPod(spec, { root: resolved.root, runtime: { name: runtime.name, binary: runtime.binary }, cwd: manifest.baseDir, nofileHardLimit: nofileHardLimit() });
      out(`# pod ${plan.pod}: nothing below was run (--dry-run)\n`);
      for (const b of plan.bundles) out(`\n# ${b.path}/config.json (${b.container})\n${JSON.stringify(b.config, null, 2)}\n`);
      out(`\n# runtime commands, in order\n${plan.commands.join('\n')}\n\n`);
    }
    return 0;
  }
  const pods: Pod[] = [];
  try {
    for (const spec of specs) pods.push(await Pod.create(spec, opts));
  } catch (e) {
    // One manifest, one outcome: pods created before the failing one go too.
    await Promise.all(pods.map((p) => p.remove({ gracePeriodSeconds: 0 }).catch(() => undefined)));
    throw e;
  }
  if (o.detach) {
    if (waitMs !== undefined) {
      const waited = await Promise.allSettled(pods.map((p) => p.waitReady({ timeout: waitMs })));
      const failed = waited.map((w, i) => ({ w, pod: pods[i]! })).filter((x) => x.w.status === 'rejected');
      for (const { w, pod } of failed) err(`nspod: pod ${pod.name} did not become ready: ${errorMessage((w as PromiseRejectedResult).reason)}\n`);
      if (failed.length > 0) {
        if (o.rm) await Promise.all(pods.map((p) => p.remove({ gracePeriodSeconds: 0 }).catch(() => undefined)));
        else err(`nspod: left for inspection: nspod logs / nspod events ${failed.map((f) => f.pod.name).join(' ')}; remove with nspod rm -f\n`);
        return 1;
      }
    }
    for (const p of pods) out(`${p.name}\n`);
    return 0;
  }
  return await foreground(pods, o.rm === true);
}

/** Streams the pods' output with a [container] prefix until their apps are done for good, or SIGINT/SIGTERM. */
async function foreground(pods: Pod[], removeAtExit: boolean): Promise<number> {
  const followers: LogFollower[] = [];
  const many = pods.length > 1;
  for (const pod of pods) {
    for (const c of (await pod.status()).containers) {
      const prefix = many ? `[${pod.name}/${c.name}] ` : `[${c.name}] `;
      const f = new LogFollower(c.logPath, (line) => printLine(prefix, line));
      await f.start(false);
      followers.push(f);
    }
  }
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (s: NodeJS.Signals) => {
    if (signalled) return;
    signalled = s;
    err(`nspod: ${s}: stopping ${pods.map((p) => p.name).join(', ')}\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let code = 0;
  try {
    for (;;) {
      if (signalled) {
        code = signalled === 'SIGINT' ? 130 : 143;
        break;
      }
      const statuses = await Promise.all(pods.map(async (p) => ({ pod: p, status: await p.status() })));
      const apps = statuses.flatMap(({ pod, status }) => status.containers.filter((c) => !c.init).map((c) => ({ pod, c })));
      if (statuses.some(({ status }) => status.phase === 'Failed' || status.phase === 'Stopped')) {
        const bad = statuses.find(({ status }) => status.phase !== 'Running')!;
        err(`nspod: pod ${bad.pod.name}: ${bad.status.phase === 'Failed' ? 'its pause container died' : 'was stopped by another process'}\n`);
        code = 1;
        break;
      }
      if (apps.every(({ pod, c }) => exitedForGood(pod.spec, c))) {
        code = apps.find(({ c }) => c.exitCode !== 0)?.c.exitCode ?? 0;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await Promise.all(pods.map((p) => (removeAtExit ? p.remove() : p.stop()).catch((e) => err(`nspod: stopping ${p.name}: ${errorMessage(e)}\n`))));
    await Promise.all(followers.map((f) => f.stop()));
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return code;
}

async function cmdPs(o: { output?: string }, g: GlobalOptions): Promise<number> {
  const names = await Pod.list(podOptions(g));
  const rows = [];
  const json = [];
  for (const name of names) {
    let pod: Pod;
    try {
      pod = await loadPod(name, g);
    } catch {
      continue; // a pod being created or removed right now
    }
    const status = await pod.status();
    rows.push(summarize(pod.spec, status));
    json.push(status);
  }
  if (o.output === 'json') out(`${JSON.stringify(json, null, 2)}\n`);
  else out(psTable(rows));
  return 0;
}

async function cmdLogs(name: string, container: string | undefined, o: { follow?: boolean; tail?: string; timestamps?: boolean }, g: GlobalOptions): Promise<number> {
  const pod = await loadPod(name, g);
  const status = await pod.status();
  const apps = status.containers.filter((c) => !c.init);
  const c = container === undefined ? apps[0] : status.containers.find((x) => x.name === container);
  if (!c) {
    throw new NspodError('CONTAINER_NOT_FOUND', `pod ${name} has no container ${JSON.stringify(container)}`, { hint: `its containers: ${status.containers.map((x) => x.name).join(', ')}` });
  }
  if (container === undefined && apps.length > 1) err(`nspod: showing ${c.name}; the pod also has ${apps.slice(1).map((x) => x.name).join(', ')} (nspod logs ${name} CONTAINER)\n`);
  const tail = o.tail === undefined ? undefined : Number(o.tail);
  if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) usageError(`--tail takes a whole number, not ${JSON.stringify(o.tail)}`);
  const prefix = (l: LogLine) => (o.timestamps ? `${l.time} ` : '');
  const read = await readLogUpTo(c.logPath, tail === undefined ? {} : { tail });
  for (const line of read.lines) printLine(prefix(line), line);
  if (!o.follow) return 0;
  const follower = new LogFollower(c.logPath, (line) => printLine(prefix(line), line));
  await follower.start(read.end); // right after what was printed: a line written meanwhile is neither lost nor doubled
  let stop = false;
  const onSignal = () => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  while (!stop) {
    await new Promise((r) => setTimeout(r, 250));
    const s = await pod.status().catch(() => undefined);
    const now = s?.containers.find((x) => x.name === c.name);
    if (!s || s.phase === 'Stopped' || s.phase === 'Failed' || !now || (now.state === 'exited' && (now.init || exitedForGood(pod.spec, now)))) break;
  }
  await follower.stop();
  return 0;
}

async function cmdExec(name: string, command: string[], o: { container?: string; tty?: boolean; interactive?: boolean }, g: GlobalOptions): Promise<number> {
  if (command.length === 0) usageError('exec needs a command: nspod exec POD [-c CONTAINER] -- CMD [ARGS...]');
  const pod = await loadPod(name, g);
  const r = await pod.exec(o.container, command, { inherit: true, tty: o.tty === true });
  return r.exitCode;
}

async function cmdDebug(name: string, command: string[], g: GlobalOptions): Promise<number> {
  if (command.length === 0) usageError('debug needs a command: nspod debug POD -- CMD [ARGS...]');
  const pod = await loadPod(name, g);
  const target = pod.debugTarget();
  const flags = ['-u', '-i', ...(target.hostNetwork ? [] : ['-n']), ...(target.sharedPid ? ['-p'] : [])];
  const r = await execa('nsenter', ['-t', String(target.pid), ...flags, '--', ...command], { stdio: 'inherit', reject: false });
  if (r.exitCode === undefined) throw new NspodError('INTERNAL', `nsenter failed: ${r.message}`, { hint: 'is util-linux installed?' });
  return r.exitCode;
}

async function cmdStop(names: string[], o: { time?: string }, g: GlobalOptions): Promise<number> {
  const grace = o.time === undefined ? undefined : Number(o.time);
  if (grace !== undefined && (!Number.isFinite(grace) || grace < 0)) usageError(`--time takes seconds >= 0, not ${JSON.stringify(o.time)}`);
  for (const name of names) {
    const pod = await loadPod(name, g);
    await pod.stop(grace === undefined ? {} : { gracePeriodSeconds: grace });
    out(`${name}\n`);
  }
  return 0;
}

async function cmdRm(names: string[], o: { force?: boolean }, g: GlobalOptions): Promise<number> {
  for (const name of names) {
    const pod = await loadPod(name, g);
    const status = await pod.status();
    const running = status.phase !== 'Stopped' && (status.pause?.alive || status.containers.some((c) => c.state === 'running'));
    if (running && !o.force) {
      throw new NspodError('POD_RUNNING', `pod ${name} is running`, { hint: `stop it first (nspod stop ${name}) or use nspod rm -f` });
    }
    await pod.remove({ gracePeriodSeconds: o.force ? 0 : undefined });
    out(`${name}\n`);
  }
  return 0;
}

async function cmdInspect(name: string, g: GlobalOptions): Promise<number> {
  const pod = await loadPod(name, g);
  const status = await pod.status();
  const events = await pod.events();
  out(`${JSON.stringify({ name: pod.name, spec: pod.spec, status, summary: summarize(pod.spec, status), events, dir: pod.dir }, null, 2)}\n`);
  return 0;
}

async function cmdWait(name: string, o: { for?: string; timeout?: string }, g: GlobalOptions): Promise<number> {
  const timeout = o.timeout === undefined ? 300_000 : parseDuration(o.timeout);
  if (timeout === undefined) usageError(`--timeout takes a duration such as 60s or 2m, not ${JSON.stringify(o.timeout)}`);
  const what = o.for ?? 'ready';
  const root = resolvePodOptions(podOptions(g)).root;
  const deadline = Date.now() + timeout;
  const tick = () => new Promise((r) => setTimeout(r, 200));
  if (what === 'delete') {
    while ((await Pod.list({ root })).includes(name)) {
      if (Date.now() > deadline) throw new NspodError('TIMEOUT', `pod ${name} still exists after ${timeout} ms`);
      await tick();
    }
    return 0;
  }
  const pod = await loadPod(name, g);
  if (what === 'ready') {
    await pod.waitReady({ timeout });
    out(`${name} ready\n`);
    return 0;
  }
  for (;;) {
    const s = await pod.status();
    const apps = s.containers.filter((c) => !c.init);
    if (s.phase === 'Stopped' || s.phase === 'Failed' || apps.every((c) => exitedForGood(pod.spec, c))) {
      const code = apps.find((c) => (c.exitCode ?? 0) !== 0)?.exitCode ?? 0;
      out(`${name} exited: ${apps.map((c) => `${c.name}=${c.exitCode ?? '-'}`).join(',')}\n`);
      return code;
    }
    if (Date.now() > deadline) throw new NspodError('TIMEOUT', `pod ${name} still running after ${timeout} ms`);
    await tick();
  }
}

async function cmdEvents(name: string | undefined, o: { follow?: boolean; output?: string }, g: GlobalOptions): Promise<number> {
  const names = name === undefined ? await Pod.list(podOptions(g)) : [name];
  const pods = await Promise.all(names.map((n) => loadPod(n, g)));
  const seen = new Set<string>();
  const collect = async () => {
    const fresh = [];
    for (const pod of pods) {
      for (const e of await pod.events().catch(() => [])) {
        const key = `${pod.name} ${e.time} ${e.reason} ${e.container ?? ''} ${e.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        fresh.push({ pod: pod.name, ...e });
      }
    }
    return fresh.sort((a, b) => a.time.localeCompare(b.time));
  };
  const first = await collect();
  if (o.output === 'json') out(`${JSON.stringify(first, null, 2)}\n`);
  else out(eventsTable(first));
  if (!o.follow) return 0;
  let stop = false;
  process.once('SIGINT', () => (stop = true));
  process.once('SIGTERM', () => (stop = true));
  while (!stop) {
    await new Promise((r) => setTimeout(r, 250));
    const more = await collect();
    if (more.length > 0) out(eventsTable(more).split('\n').slice(1).join('\n'));
  }
  return 0;
}

/** One line per thing gc removed: what, whose, why. */
function gcLine(e: PodGcEntry): string {
  const verb = { container: 'removed container', mount: 'unmounted', network: 'released network attachment', prober: 'stopped prober pid', cgroup: 'removed cgroup', 'state-dir': 'removed state dir' }[e.kind];
  return `${e.error ? `failed: ${verb}` : verb} ${e.what} of pod ${e.pod} (${e.reason})${e.error ? `: ${e.error}` : ''}\n`;
}

async function cmdGc(o: { output?: string }, g: GlobalOptions): Promise<number> {
  const resolved = resolvePodOptions(podOptions(g));
  // gcPods runs gcNetworks first, while pinned netns still hold what CNI DEL releases.
  const report = await gcPods({ root: resolved.root, runtime: resolved.runtime });
  const failures = report.removed.filter((e) => e.error !== undefined).length;
  if (o.output === 'json') {
    out(`${JSON.stringify(report, null, 2)}\n`);
    return failures > 0 ? 1 : 0;
  }
  if (report.removed.length === 0) out('nothing to collect\n');
  for (const e of report.removed) out(gcLine(e));
  for (const f of report.failed) out(`kept failed pod ${f.pod} (its pause, pid ${f.pausePid}, is gone): read its logs, then nspod rm ${f.pod}\n`);
  return failures > 0 ? 1 : 0;
}

async function cmdImages(o: { output?: string }, g: GlobalOptions): Promise<number> {
  const images = await listImages({ imageRoot: g.imageRoot });
  if (o.output === 'json') {
    out(`${JSON.stringify(images, null, 2)}\n`);
    return 0;
  }
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  out(table(['REFERENCE', 'DIGEST', 'SIZE', 'LAST USED'], images.map((i) => [i.reference, i.digest.slice(0, 19), mb(i.size), i.lastUsed ? `${age(new Date(i.lastUsed).toISOString())} ago` : '-'])));
  return 0;
}

function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

export function buildProgram(setCode: (code: number) => void): Command {
  const program = new Command('nspod')
    .description('Kubernetes-style pods on a bare Linux host, driven by runc: a pause container of our own holds the namespaces, app containers join them.')
    .option('--root <dir>', 'state root (env NSPOD_ROOT, default /run/nspod)')
    .option('--runtime <runc|crun|path>', 'OCI runtime (env NSPOD_RUNTIME, default runc)')
    .option('--image-root <dir>', 'image cache (env NSPOD_IMAGE_ROOT, default /var/lib/nspod/images)')
    .option('--debug', 'print stack traces with errors')
    .showHelpAfterError('(nspod --help lists the commands)')
    .configureOutput({ outputError: (s, write) => write(`nspod: ${s.replace(/^error: /, '')}`) })
    .exitOverride();
  const run = <A extends unknown[]>(fn: (...args: A) => Promise<number>) => async (...args: A) => setCode(await fn(...args));

  program
    .command('run')
    .description('create and start the pods of a Kubernetes v1 Pod manifest; in the foreground (the default) stream their output, stop them on Ctrl-C/SIGTERM and exit with the app containers\' code')
    .argument('[file]', 'manifest: one or more `apiVersion: v1, kind: Pod` YAML documents')
    .option('-d, --detach', 'start the pods and print their names')
    .option('--rm', 'remove the pods when their apps exit for good (with -d: by the supervisor, after the fact; with --wait: also when they do not become ready)')
    .option('-p, --publish <host:container[/udp]>', 'publish a container port on the host, like docker run -p (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--network <name>', 'default, none, or a CNI conflist name (overrides the manifest)')
    .option('--dry-run', 'print each bundle\'s config.json and the runtime commands, in order, without touching the host')
    .option('--wait [timeout]', 'with -d: return once the pods are Ready (probes pass; without probes, every app container runs); default timeout 60s')
    .action(
      run(async (file: string | undefined, o, cmd: Command) => {
        // `--wait pod.yaml`: the optional value took the file; give it back.
        if (file === undefined && typeof o.wait === 'string' && parseDuration(o.wait) === undefined) {
          file = o.wait;
          o.wait = true;
        }
        if (file === undefined) usageError("run needs a manifest: nspod run [options] FILE");
        return await cmdRun(file, o, globals(cmd));
      }),
    )

  program
    .command('ps')
    .alias('ls')
    .description('list pods: NAME, READY, STATUS, RESTARTS, AGE, IP, PAUSE PID, EXIT CODES')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']))
    .action(run(async (o, cmd: Command) => await cmdPs(o, globals(cmd))));

  program
    .command('inspect')
    .description('a pod as JSON: spec, status, pause pid, namespace paths and inode numbers, bundle paths, network')
    .argument('<pod>')
    .action(run(async (name: string, _o, cmd: Command) => await cmdInspect(name, globals(cmd))));

  program
    .command('logs')
    .description('print a container\'s output (the first app container when none is named)')
    .argument('<pod>')
    .argument('[container]')
    .option('-f, --follow', 'keep printing new output until the container exits for good or Ctrl-C')
    .option('--tail <n>', 'only the last n lines')
    .option('--timestamps', 'prefix each line with its RFC 3339 time')
    .action(run(async (name: string, container: string | undefined, o, cmd: Command) => await cmdLogs(name, container, o, globals(cmd))));

  program
    .command('exec')
    .description('run a command in a container of a pod, with the caller\'s stdin/stdout/stderr')
    .argument('<pod>')
    .argument('[command...]', 'after --')
    .option('-c, --container <name>', 'container (default: the first app container)')
    .option('-i, --interactive', 'keep stdin open (always on: stdin is passed through)')
    .option('-t, --tty', 'allocate a terminal')
    .action(run(async (name: string, command: string[], o, cmd: Command) => await cmdExec(name, command, o, globals(cmd))));

  program
    .command('debug')
    .description('run a host program in the pod\'s network, uts and ipc namespaces (and pid when shared), entered through the pause: nsenter -t <pause pid>')
    .argument('<pod>')
    .argument('[command...]', 'after --, e.g. -- ip addr')
    .action(run(async (name: string, command: string[], _o, cmd: Command) => await cmdDebug(name, command, globals(cmd))));

  program
    .command('stop')
    .description('stop pods: apps get TERM, then KILL after the grace period; the pause goes last; state and logs stay')
    .argument('<pod...>')
    .option('-t, --time <seconds>', 'grace period (default: the manifest\'s terminationGracePeriodSeconds, else 30)')
    .action(run(async (names: string[], o, cmd: Command) => await cmdStop(names, o, globals(cmd))));

  program
    .command('rm')
    .description('remove stopped pods and their state; -f stops running ones first, without grace')
    .argument('<pod...>')
    .option('-f, --force', 'remove running pods too')
    .action(run(async (names: string[], o, cmd: Command) => await cmdRm(names, o, globals(cmd))));

  program
    .command('wait')
    .description('wait until a pod is ready, has exited (exit code: its apps\') or is deleted')
    .argument('<pod>')
    .addOption(new Option('--for <condition>', 'what to wait for').choices(['ready', 'exit', 'delete']).default('ready'))
    .option('--timeout <duration>', 'give up after this long (e.g. 60s, 2m; default 5m)')
    .action(run(async (name: string, o, cmd: Command) => await cmdWait(name, o, globals(cmd))));

  program
    .command('events')
    .description('what happened to pods, like kubectl describe: created, started, probe failed (with output), killed, restarted, exited, OOMKilled')
    .argument('[pod]', 'one pod (default: all)')
    .option('-f, --follow', 'keep printing new events until Ctrl-C')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']))
    .action(run(async (name: string | undefined, o, cmd: Command) => await cmdEvents(name, o, globals(cmd))));

  program
    .command('gc')
    .description('remove what crashed creates and pods that are gone or stopped left behind: runtime containers, mounts, CNI attachments (leases, veths, chains, pins), cgroups, half-made pods; pods whose pause died are reported, not removed')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']))
    .action(run(async (o, cmd: Command) => await cmdGc(o, globals(cmd))));

  program
    .command('images')
    .description('list the image cache: reference, digest, size, last used')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']))
    .action(run(async (o, cmd: Command) => await cmdImages(o, globals(cmd))));

  const image = program.command('image').description('manage the image cache');
  image
    .command('import')
    .description('add an image from a file: a rootfs tarball, an oci-archive or a docker-archive')
    .argument('<reference>', 'the name to give it, e.g. nginx:1.27')
    .argument('<file>')
    .action(run(async (ref: string, file: string, _o, cmd: Command) => {
      const g = globals(cmd);
      const r = await importImage(ref, path.resolve(file), { imageRoot: g.imageRoot, progress: process.stderr.isTTY });
      out(`${ref} ${r.digest ?? ''}\n`);
      return 0;
    }));
  image
    .command('rm')
    .description('remove images no pod uses')
    .argument('<reference...>')
    .action(run(async (refs: string[], _o, cmd: Command) => {
      const g = globals(cmd);
      for (const ref of refs) {
        await removeImage(ref, { imageRoot: g.imageRoot, stateRoot: resolvePodOptions(podOptions(g)).root });
        out(`${ref}\n`);
      }
      return 0;
    }));
  image
    .command('prune')
    .description('remove every cached image no pod uses')
    .action(run(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const r = await pruneImages({ imageRoot: g.imageRoot, stateRoot: resolvePodOptions(podOptions(g)).root });
      for (const d of r.removed) out(`removed ${d}\n`);
      out(`freed ${(r.freedBytes / 1e6).toFixed(1)} MB\n`);
      return 0;
    }));

  program
    .command('doctor')
    .description('check this host: root, runtime and its version, namespaces, overlayfs, cgroups, CNI plugins, nspod\'s binaries (says what to install); CNI CHECK of each running pod\'s network')
    .action(run(async (_o, cmd: Command) => await runDoctor({ ...globals(cmd), root: resolvePodOptions(podOptions(globals(cmd))).root }, out)));

  program
    .command('version')
    .description('versions of nspod, its pause and the runtime')
    .action(run(async (_o, cmd: Command) => {
      const g = globals(cmd);
      out(`nspod ${version}\n`);
      const pause = await execa(assets.pauseBinary, ['-v'], { reject: false });
      out(`${pause.exitCode === 0 ? pause.stdout.trim() : 'pause: not built (run scripts/setup)'}\n`);
      try {
        const rt = Runtime.find(g.runtime);
        out(`${(await execa(rt.binary, ['--version'])).stdout.split('\n')[0]}\n`);
      } catch (e) {
        out(`runtime: ${errorMessage(e)}\n`);
      }
      return 0;
    }));

  const internal = new Command('internal').description('used by nspod\'s own processes');
  internal
    .command('container-exited')
    .argument('<pod>')
    .argument('<container>')
    .action(run(async (name: string, container: string, _o, cmd: Command) => {
      const pod = await loadPod(name, globals(cmd));
      await pod.onContainerExit(container);
      return 0;
    }));
  program.addCommand(internal, { hidden: true });
  return program;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      if (e.code === 'nspod.usage') err(`nspod: ${e.message}\n`);
      return 2;
    }
    if (e instanceof Exit) return e.code;
    const debug = argv.includes('--debug');
    err(`nspod: ${errorMessage(e)}\n`);
    if (debug && e instanceof Error) err(`${e.stack ?? ''}\n`);
    return 1;
  }
}
