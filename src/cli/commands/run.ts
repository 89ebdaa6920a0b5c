/**
 * `nspod run`: store the ConfigMaps and Secrets of the manifests, create their pods, then print their names (-d), or
 * stream them until they end (foreground).
 */
import { errorMessage } from '../../errors.js';
import { Pod, resolvePodOptions, type PodOptions } from '../../pod/pod.js';
import { LogFollower } from '../../pod/logs.js';
import { planPod } from '../../pod/plan.js';
import { ConfigStore } from '../../pod/configs.js';
import { refuseHostPathsOverNspodDirs } from '../../pod/files.js';
import { nofileHardLimit } from '../../host/proc.js';
import { nodeFacts } from '../../host/node.js';
import { Runtime } from '../../runtime/runtime.js';
import { podOutcome } from '../../spec/restart.js';
import type { PodSpec } from '../../spec/spec.js';
import { loadManifests, overlayLookup, type ManifestSet } from '../manifests.js';
import { parseDuration } from '../format.js';
import { applyPublish, parsePublish, publishAll } from '../publish.js';
import { podOptions, usageError, type GlobalOptions } from '../options.js';
import { err, out, printLine } from '../output.js';
import { onStopSignal, pollUntil } from '../signals.js';

export interface RunOptions {
  detach?: boolean;
  rm?: boolean;
  publish?: string[];
  publishAll?: boolean;
  rmWithParent?: boolean;
  owner?: string;
  dryRun?: boolean;
  network?: string;
  wait?: string | boolean;
  replace?: boolean;
  reuse?: boolean;
}

export async function run(files: string[], o: RunOptions, g: GlobalOptions): Promise<number> {
  const publish = (o.publish ?? []).map(parsePublish);
  const waitMs = o.wait === undefined || o.wait === false ? undefined : o.wait === true ? 60_000 : parseDuration(o.wait);
  if (waitMs === undefined && o.wait !== undefined && o.wait !== false)
    usageError(`--wait takes a duration such as 60s or 2m, not ${JSON.stringify(o.wait)}`);
  if (waitMs !== undefined && !o.detach) usageError('--wait goes with -d/--detach (a foreground run streams the pod until it ends)');
  const manifests = await loadManifests(files);
  for (const w of manifests.warnings) err(`nspod: warning: ${w}\n`);
  const specs = manifests.pods.map((p) => {
    const published = publish.length > 0 ? applyPublish(p.spec, publish) : p.spec;
    const withPorts = o.publishAll ? publishAll(published) : published;
    return { spec: o.network ? { ...withPorts, network: o.network } : withPorts, baseDir: p.baseDir };
  });
  if (o.reuse && (!o.detach || o.replace)) usageError('--reuse goes with -d/--detach, and not with --replace');
  if (o.rmWithParent && o.owner !== undefined) usageError('--rm-with-parent and --owner both name the owner: give one');
  const owner = o.rmWithParent ? process.ppid : o.owner === undefined ? undefined : Number(o.owner);
  if (owner !== undefined && !(Number.isInteger(owner) && owner > 0)) usageError(`--owner takes a pid, not ${JSON.stringify(o.owner)}`);
  const opts: PodOptions = {
    ...podOptions(g),
    progress: process.stderr.isTTY,
    removeWhenDone: o.detach === true && o.rm === true,
    ...(o.reuse ? { reuse: true } : {}),
    // The pods die with their owner: the process that ran nspod (--rm-with-parent), or the one named.
    ...(owner !== undefined ? { removeWhen: 'owner-exits' as const, owner } : {}),
  };
  if (o.dryRun) return await dryRun(specs, opts, manifests);
  // The objects first: the pods of these files, and of later runs, read them by name.
  const store = new ConfigStore(resolvePodOptions(opts).root);
  for (const object of manifests.objects) {
    const done = await store.put(object);
    if (done !== 'unchanged') err(`nspod: ${object.kind} ${object.name} ${done}\n`);
  }
  if (o.replace) {
    const existing = new Set(await Pod.list(opts));
    for (const { spec } of specs) {
      if (existing.has(spec.name)) await (await Pod.load(spec.name, opts)).remove({ gracePeriodSeconds: 0 });
    }
  }
  const pods: Pod[] = [];
  // A foreground run owns its pods from the first create: a stop signal from here on stops them, never kills nspod.
  const stop = o.detach ? undefined : stopRequests();
  try {
    for (const { spec, baseDir } of specs) pods.push(await Pod.create(spec, { ...opts, cwd: baseDir }));
  } catch (e) {
    // One manifest, one outcome: pods created before the failing one go too.
    stop?.unlisten();
    await removeNow(pods);
    throw e;
  }
  if (stop) return await foreground(pods, o.rm === true, stop);
  if (waitMs !== undefined) {
    const waited = await Promise.allSettled(pods.map((p) => p.waitReady({ timeout: waitMs })));
    const failed = waited.map((w, i) => ({ w, pod: pods[i]! })).filter((x) => x.w.status === 'rejected');
    for (const { w, pod } of failed)
      err(`nspod: pod ${pod.name} did not become ready: ${errorMessage((w as PromiseRejectedResult).reason)}\n`);
    if (failed.length > 0) {
      if (o.rm) await removeNow(pods);
      else
        err(`nspod: left for inspection: nspod logs / nspod events ${failed.map((f) => f.pod.name).join(' ')}; remove with nspod rm -f\n`);
      return 1;
    }
  }
  for (const p of pods) out(`${p.name}\n`);
  return 0;
}

async function removeNow(pods: Pod[]): Promise<void> {
  await Promise.all(pods.map((p) => p.remove({ gracePeriodSeconds: 0 }).catch(() => undefined)));
}

/**
 * --dry-run: each bundle's config.json, each container's environment, the volume files and the runtime commands, from
 * the same builders Pod.create uses; a Secret's values are masked everywhere. Nothing is stored or made.
 */
async function dryRun(specs: { spec: PodSpec; baseDir: string }[], opts: PodOptions, manifests: ManifestSet): Promise<number> {
  const resolved = resolvePodOptions(opts);
  const runtime = Runtime.find(resolved.runtime);
  const store = new ConfigStore(resolved.root);
  const node = nodeFacts();
  for (const object of manifests.objects) out(`# ${object.kind} ${object.name}: would be stored in ${resolved.root}\n`);
  for (const { spec, baseDir } of specs) {
    const plan = planPod(spec, {
      root: resolved.root,
      dataRoot: resolved.dataRoot,
      runtime: { name: runtime.name, binary: runtime.binary },
      cwd: baseDir,
      nofileHardLimit: nofileHardLimit(),
      removeWhenDone: opts.removeWhenDone,
      lookup: overlayLookup(manifests.objects, await store.lookupFor(spec)),
      node,
      pidsLimit: resolved.pidsLimit,
    });
    // What a real run refuses before making anything, the dry run refuses too.
    await refuseHostPathsOverNspodDirs(spec, {
      root: resolved.root,
      runtimeName: runtime.name,
      imageRoot: opts.imageRoot,
      dataRoot: resolved.dataRoot,
    });
    for (const w of plan.warnings) err(`nspod: warning: ${w}\n`);
    out(`# pod ${plan.pod}: nothing below was run (--dry-run)\n`);
    for (const b of plan.bundles) out(`\n# ${b.path}/config.json (${b.container})\n${JSON.stringify(b.config, null, 2)}\n`);
    for (const e of plan.env) {
      const lines = Object.entries(e.env).map(([k, v]) => `${k}=${v}`);
      out(`\n# environment of ${e.container} (Secret values masked; the image's env comes under it)\n${lines.join('\n')}\n`);
    }
    for (const f of plan.files)
      out(`\n# volume ${f.volume}: ${f.path} (mode ${f.mode})\n${f.content}${f.content.endsWith('\n') ? '' : '\n'}`);
    out(`\n# runtime commands, in order\n${plan.commands.join('\n')}\n\n`);
  }
  return 0;
}

/** Streams the pods' output with a [container] prefix until their apps are done for good, or SIGINT/SIGTERM. */
/** Stop signals heard from now on: the first one aborts `signal` and says which pods stop; a second does not cut it short. */
function stopRequests(): { signal: AbortSignal; heard: () => NodeJS.Signals | undefined; unlisten: () => void; pods: Pod[] } {
  const controller = new AbortController();
  let heard: NodeJS.Signals | undefined;
  const state = { signal: controller.signal, heard: () => heard, unlisten: () => undefined as void, pods: [] as Pod[] };
  state.unlisten = onStopSignal((s) => {
    heard = s;
    err(`nspod: ${s}: stopping ${state.pods.length > 0 ? state.pods.map((p) => p.name).join(', ') : 'the pods as they are created'}\n`);
    controller.abort(s);
  });
  return state;
}

async function foreground(pods: Pod[], removeAtExit: boolean, stop: ReturnType<typeof stopRequests>): Promise<number> {
  stop.pods = pods;
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
  try {
    const code = await pollUntil(
      stop.signal,
      async () => {
        const outcomes = await Promise.all(pods.map(async (pod) => ({ pod, outcome: podOutcome(pod.spec, await pod.status()) })));
        const ended = outcomes.find(({ outcome }) => outcome !== undefined && outcome.how !== 'exited');
        if (ended) {
          err(
            `nspod: pod ${ended.pod.name}: ${ended.outcome!.how === 'failed' ? 'its pause container died' : 'was stopped by another process'}\n`,
          );
          return 1;
        }
        if (!outcomes.every(({ outcome }) => outcome !== undefined)) return undefined;
        return outcomes.find(({ outcome }) => outcome!.exitCode !== 0)?.outcome!.exitCode ?? 0;
      },
      200,
    );
    return code ?? (stop.heard() === 'SIGINT' ? 130 : 143);
  } finally {
    await Promise.all(
      pods.map((p) => (removeAtExit ? p.remove() : p.stop()).catch((e) => err(`nspod: stopping ${p.name}: ${errorMessage(e)}\n`))),
    );
    await Promise.all(followers.map((f) => f.stop()));
    stop.unlisten();
  }
}
