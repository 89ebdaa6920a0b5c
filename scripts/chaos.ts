#!/usr/bin/env node
/**
 * nspod's chaos bench (issue 17): small pods (pause + one busybox container) are created and removed with the CLI as
 * users run it (bin/nspod.js under a state root of the bench's own), and each create and each `rm -f` is killed with
 * SIGKILL: at each named step (NSPOD_TEST_CRASH_AT, src/host/testpoint.ts) in turn, or at a random delay; some
 * removals are five `rm -f` of one pod at once (all parked once they have loaded it, then let go together; one of them
 * killed at a random delay in half of them). After each kill `nspod gc` runs once, then the bench counts what is
 * left by kind (state dirs, runtime containers, mounts, veths, iptables rules, IPAM and host-port leases, cgroups,
 * processes), names the cycle and step that left it, and cleans it up so that the next cycle starts clean.
 *
 *   npm run chaos                                   (200 cycles, a random seed, printed)
 *   npm run chaos -- --cycles 20 --seed 7 [--json]  (CHAOS_CYCLES, CHAOS_SEED too)
 *
 * Exits 1 when anything was left or a call that must succeed failed. Root only; some cycles attach the built-in CNI
 * network on the bench's own bridge nspc1 and 198.18.2.240/28 (test/helpers/net-slots.ts; chaos.test's short run uses nspc0), removed at the end with
 * the rest. The seed fixes the plan (steps, networks, probes, delays as fractions of a measured duration); where a
 * random kill lands still depends on the host. test/integration/chaos.test.ts runs a short version of this module.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomInt } from 'node:crypto';
import { execa } from 'execa';
import { mountsUnder } from '../src/host/mounts.js';
import { isAlive, isProcessAlive, processStartTime, type ProcessIdentity } from '../src/host/proc.js';
import { cgroupMounts, killCgroupProcesses, removeCgroupDirs } from '../src/host/cgroups.js';
import { DEFAULT_PORT_LEASE_DIR } from '../src/network/hostports.js';
import { nspod } from '../test/helpers/cli.js';
import { forceClean, processesMentioning, runtimeContainers, RUNTIME } from '../test/helpers/host.js';
import { bridgePorts, cniChainNames, leaseFiles } from '../test/helpers/network.js';
import { CHAOS_BENCH_NET, type ChaosNet } from '../test/helpers/net-slots.js';

/** The steps of create and of `rm -f` in the order they are reached (the names testPoint/crashPoint are called with). */
export const CREATE_STEPS = [
  'create-claim-staged',
  'create-claimed',
  'create-files',
  'create-pause',
  'after-cni-add',
  'create-prober-started',
  'create-prober',
  'create-containers',
] as const;
export const STOP_STEPS = [
  'rm-loaded',
  'stop-locked',
  'stop-marked',
  'stop-containers',
  'stop-network',
  'stop-pause',
  'stop-stopped',
  'rm-trashed',
  'rm-data-deleted',
] as const;

/** Each cycle kills its create at the next of these, and its removal at the next of those. */
const CREATE_KILLS = [...CREATE_STEPS, 'random', 'random'] as const;
const STOP_KILLS = [...STOP_STEPS, 'random', 'race'] as const;
/** Cycles that hit every create step, every stop step and one race. */
export const ROTATION = Math.max(CREATE_KILLS.length, STOP_KILLS.length);
/** `rm -f` of one pod at once in a race cycle. */
const RACERS = 5;

export const LEFTOVER_KINDS = [
  'state-dirs',
  'data-dirs',
  'runtime-containers',
  'mounts',
  'veths',
  'iptables',
  'ipam-leases',
  'port-leases',
  'cgroups',
  'processes',
] as const;
export type LeftoverKind = (typeof LEFTOVER_KINDS)[number];

export interface Leftover {
  kind: LeftoverKind;
  what: string;
  cycle: number;
  /** What left it: `create:<step>` when found after the interrupted create, else `create:<step> stop:<step>`. */
  step: string;
}

/** A call that had to succeed and did not, or a pod in a state it must not be in after gc. */
export interface Failure {
  cycle: number;
  step: string;
  what: string;
}

export interface ChaosOptions {
  cycles: number;
  seed: number;
  /** Called after each cycle (the CLI draws its progress line with it). */
  onCycle?: (done: number, report: ChaosReport) => void;
  /** Aborted: no further cycle starts (the report then has fewer); the clean-up still runs. */
  signal?: AbortSignal;
  /** The bridge and subnet of its CNI cycles (CHAOS_BENCH_NET by default; the suite's short run has its own). */
  net?: ChaosNet;
}

export interface ChaosReport {
  seed: number;
  cycles: number;
  /** Cycles with the built-in CNI network (the rest: network none). */
  cniCycles: number;
  /** CLI processes that died of SIGKILL, by what killed them. */
  kills: { total: number; atStep: number; atRandomDelay: number; byStep: Record<string, number> };
  /** Random-delay kills that came after the command had finished (nothing to kill). */
  missedRandomKills: number;
  raceCycles: number;
  gcRuns: number;
  leftovers: Leftover[];
  byKind: Record<LeftoverKind, number>;
  failures: Failure[];
  /** What the census counted of one live pod (CNI network, a hostPort, a probe) before the cycles: every kind shows. */
  livePod: Record<LeftoverKind, number>;
  durationMs: number;
}

/** mulberry32: a small seeded generator, so that a seed names one plan. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface CyclePlan {
  index: number;
  network: 'cni' | 'none';
  probe: boolean;
  createKill: string;
  stopKill: string;
  /** Where in a measured duration a random kill lands, 0..1. */
  createFraction: number;
  stopFraction: number;
  /** In a race: kill one of the racers at a random delay too. */
  raceKill: boolean;
}

export function chaosPlan(cycles: number, seed: number): CyclePlan[] {
  const random = seededRandom(seed);
  return Array.from({ length: cycles }, (_, index) => {
    const createKill = CREATE_KILLS[index % CREATE_KILLS.length]!;
    const cniDraw = random();
    return {
      index,
      network: createKill === 'after-cni-add' || cniDraw < 0.3 ? 'cni' : 'none',
      probe: createKill === 'create-prober-started' || random() < 0.5,
      createKill,
      stopKill: STOP_KILLS[index % STOP_KILLS.length]!,
      createFraction: random(),
      stopFraction: random(),
      raceKill: random() < 0.5,
    };
  });
}

function manifest(name: string, probe: boolean): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 0
  containers:
    - name: app
      image: busybox
      command: ["sleep", "3600"]
      ports:
        - containerPort: 80
${
  probe
    ? `      readinessProbe:
        exec:
          command: ["true"]
        periodSeconds: 1
`
    : ''
}`;
}

/** The parts of a pod.json the bench looks for afterwards. */
interface SeenRecord {
  uid?: string;
  pause?: { pid?: number; startTime?: number };
  prober?: { pid?: number; startTime?: number };
  deadlineTimer?: { pid?: number; startTime?: number };
  containers?: { name: string; pid?: number }[];
}

/** What the bench saw of a cycle's pods while they lived: their uids and processes, to look for afterwards. */
class Sightings {
  constructor(readonly names: Set<string>) {}
  readonly uids = new Set<string>();
  readonly processes = new Map<string, ProcessIdentity & { what: string }>();

  /** Reads every record of `name` under the root (its pod dir, claims and trash) and notes what it names. */
  async look(root: string, name: string): Promise<void> {
    const pods = path.join(root, 'pods');
    for (const dir of await readdir(pods).catch(() => [] as string[])) {
      if (dir !== name && !dir.includes(name)) continue;
      const text = await readFile(path.join(pods, dir, 'pod.json'), 'utf8').catch(() => undefined);
      if (!text) continue;
      let record: SeenRecord;
      try {
        record = JSON.parse(text) as SeenRecord;
      } catch {
        continue;
      }
      if (typeof record.uid === 'string') this.uids.add(record.uid);
      const note = (p: { pid?: number; startTime?: number } | undefined, what: string) => {
        if (typeof p?.pid !== 'number' || p.pid <= 0) return;
        const startTime = typeof p.startTime === 'number' ? p.startTime : processStartTime(p.pid);
        if (startTime !== undefined) this.processes.set(`${p.pid}:${startTime}`, { pid: p.pid, startTime, what });
      };
      note(record.pause, 'pause');
      note(record.prober, 'prober');
      note(record.deadlineTimer, 'deadline timer');
      for (const c of record.containers ?? []) note(c, `container ${c.name}`);
    }
  }
}

/** Lines of iptables-save by table: `-A CHAIN ...` rules and `:CHAIN` declarations. */
async function iptablesSave(): Promise<{ table: string; line: string }[]> {
  const { stdout } = await execa('iptables-save', { reject: false });
  let table = '';
  const out: { table: string; line: string }[] = [];
  for (const line of String(stdout).split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith('-A ') || line.startsWith(':')) out.push({ table, line });
  }
  return out;
}

/** Pids of processes in a cgroup dir or below it. */
async function cgroupPids(dir: string): Promise<number[]> {
  const own = (await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
  const subs = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const below = await Promise.all(subs.filter((e) => e.isDirectory()).map((e) => cgroupPids(path.join(dir, e.name))));
  return [...own, ...below.flat()];
}

/** Pids whose process group is `pgid` (what a killed CLI was still running: runc, CNI plugins). */
async function processGroup(pgid: number): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && isAlive(Number(entry))) out.push(Number(entry));
  }
  return out;
}

async function commandLine(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean).join(' ').slice(0, 160);
}

const ipToInt = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
/** Does the line name an address of the subnet (an iptables rule of one of the bench's pods)? */
function namesAddressIn(line: string, subnet: string): boolean {
  const [base, bits] = subnet.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = ipToInt(base!);
  return (line.match(/\b\d{1,3}(\.\d{1,3}){3}\b/g) ?? []).some((ip) => ipToInt(ip) >= start && ipToInt(ip) < start + size);
}

/** One run of the bench: its state root, its network, its pods' names. */
class Bench {
  readonly prefix = `chaos${process.pid}`;
  readonly root: string;
  readonly ipamDir: string;
  /** The data root (NSPOD_DATA_ROOT: pods' writable layers, disk emptyDirs, logs) of an nspod that has one. */
  readonly dataRoot: string;
  readonly portLeaseDir = process.env.NSPOD_PORT_LEASE_DIR ?? DEFAULT_PORT_LEASE_DIR;
  /** Median-ish durations of clean runs, for random delays: start with guesses, then the last clean run's. */
  readonly durations = { create: 1500, remove: 800 };

  constructor(
    readonly work: string,
    readonly net: ChaosNet,
  ) {
    this.root = path.join(work, 'root');
    this.ipamDir = path.join(this.root, 'network', 'ipam');
    this.dataRoot = path.join(work, 'data');
  }

  env(network: 'cni' | 'none', crashAt?: string): Record<string, string> {
    return {
      NSPOD_NETWORK: network === 'cni' ? 'default' : 'none',
      NSPOD_BRIDGE: this.net.bridge,
      NSPOD_POD_SUBNET: this.net.podSubnet,
      NSPOD_IPAM_DIR: this.ipamDir,
      NSPOD_DATA_ROOT: this.dataRoot,
      ...(crashAt ? { NSPOD_TEST_CRASH_AT: crashAt } : {}),
    };
  }

  /**
   * The CLI in a process group of its own, killed at `killAfterMs` when given; once it is gone, what it was still
   * running (its group) is waited for, briefly, so that gc does not race a runtime call the dead CLI left in flight.
   */
  async cli(args: string[], env: Record<string, string>, killAfterMs?: number, countFrom: Promise<unknown> = Promise.resolve()) {
    const started = Date.now();
    const child = nspod(this.root, args, { env, detached: true });
    let timer: NodeJS.Timeout | undefined;
    if (killAfterMs !== undefined) {
      void countFrom.then(() => {
        timer = setTimeout(() => {
          if (child.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
        }, killAfterMs);
      });
    }
    const result = await child;
    clearTimeout(timer);
    const ms = Date.now() - started;
    if (result.signal === 'SIGKILL' && child.pid !== undefined) {
      for (let i = 0; i < 500 && (await processGroup(child.pid)).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    }
    return {
      exitCode: result.exitCode,
      signal: result.signal,
      stderr: String(result.stderr ?? ''),
      stdout: String(result.stdout ?? ''),
      ms,
    };
  }

  /** Everything of the bench's pods under its root and on the host: one entry per thing, by kind. */
  async census(sightings: Sightings): Promise<{ kind: LeftoverKind; what: string }[]> {
    const found: { kind: LeftoverKind; what: string }[] = [];
    const add = (kind: LeftoverKind, what: string) => found.push({ kind, what });
    const pods = path.join(this.root, 'pods');
    for (const d of await readdir(pods).catch(() => [] as string[])) add('state-dirs', path.join(pods, d));
    const attachments = path.join(this.root, 'network', 'attachments');
    for (const f of await readdir(attachments).catch(() => [] as string[])) add('state-dirs', path.join(attachments, f));
    for (const id of await runtimeContainers(path.join(this.root, 'runtime', RUNTIME))) add('runtime-containers', id);
    // A pod's data dir is `<data root>/roots/<state root's hash>/<pod>-<uid>`, beside the `state-root` note that stays.
    for (const mine of await readdir(path.join(this.dataRoot, 'roots')).catch(() => [] as string[])) {
      for (const d of await readdir(path.join(this.dataRoot, 'roots', mine)).catch(() => [] as string[])) {
        if (d !== 'state-root') add('data-dirs', path.join(this.dataRoot, 'roots', mine, d));
      }
    }
    for (const m of [...mountsUnder(this.root), ...mountsUnder(this.dataRoot)]) add('mounts', m);
    for (const v of await bridgePorts(this.net.bridge)) add('veths', v.split(':')[1]?.trim().split('@')[0] ?? v);
    const ids = [...sightings.uids].flatMap((uid) => {
      const names = [...sightings.names].map((n) => `${n}-${uid}`);
      return [...names, ...names.flatMap((id) => cniChainNames('nspod', id))];
    });
    for (const { table, line } of await iptablesSave()) {
      if (namesAddressIn(line, this.net.podSubnet) || ids.some((id) => line.includes(id))) add('iptables', `${table}: ${line}`);
    }
    for (const ip of await leaseFiles(this.root, 'nspod', this.ipamDir)) add('ipam-leases', path.join(this.ipamDir, 'nspod', ip));
    for (const f of await readdir(this.portLeaseDir).catch(() => [] as string[])) {
      const text = await readFile(path.join(this.portLeaseDir, f), 'utf8').catch(() => '');
      if (text.includes(JSON.stringify(this.root))) add('port-leases', path.join(this.portLeaseDir, f));
    }
    const pids = new Map<number, string>();
    for (const mount of cgroupMounts()) {
      for (const e of await readdir(path.join(mount, 'nspod')).catch(() => [] as string[])) {
        if (!e.startsWith(`${this.prefix}-`)) continue;
        add('cgroups', path.join(mount, 'nspod', e));
        for (const pid of await cgroupPids(path.join(mount, 'nspod', e))) pids.set(pid, `in cgroup /nspod/${e}`);
      }
    }
    for (const p of sightings.processes.values()) if (isProcessAlive(p)) pids.set(p.pid, p.what);
    for (const pid of await processesMentioning(`${this.root}/`)) pids.set(pid, 'names the state root');
    for (const [pid, why] of pids) if (isAlive(pid)) add('processes', `${pid} (${why}): ${await commandLine(pid)}`);
    return found;
  }

  /** Removes what a census found, so that the next cycle starts clean and counts only its own leftovers. */
  async clean(found: { kind: LeftoverKind; what: string }[]): Promise<void> {
    const of = (kind: LeftoverKind) => found.filter((f) => f.kind === kind).map((f) => f.what);
    for (const p of of('processes')) {
      try {
        process.kill(Number(p.split(' ')[0]), 'SIGKILL');
      } catch {
        // gone
      }
    }
    const runtimeRoot = path.join(this.root, 'runtime', RUNTIME);
    for (const id of of('runtime-containers')) {
      await execa(RUNTIME, ['--root', runtimeRoot, 'kill', id, 'KILL'], { reject: false });
      await execa(RUNTIME, ['--root', runtimeRoot, 'delete', '--force', id], { reject: false });
    }
    for (const m of of('mounts')) await execa('umount', ['--lazy', m], { reject: false });
    for (const v of of('veths')) await execa('ip', ['link', 'del', v], { reject: false });
    const byTable = new Map<string, string[]>();
    for (const r of of('iptables')) {
      const [table, line] = [r.slice(0, r.indexOf(': ')), r.slice(r.indexOf(': ') + 2)];
      const cmds = byTable.get(table) ?? [];
      if (line.startsWith('-A ')) cmds.unshift(`-D ${line.slice(3)}`);
      else cmds.push(`-F ${line.slice(1).split(' ')[0]}`, `-X ${line.slice(1).split(' ')[0]}`);
      byTable.set(table, cmds);
    }
    for (const [table, cmds] of byTable) {
      for (const cmd of cmds) await execa('iptables-restore', ['--noflush'], { input: `*${table}\n${cmd}\nCOMMIT\n`, reject: false });
    }
    for (const cg of of('cgroups')) {
      const relative = path.join('nspod', path.basename(cg));
      await killCgroupProcesses(relative);
      await removeCgroupDirs(relative).catch(() => undefined);
    }
    for (const f of [...of('ipam-leases'), ...of('port-leases'), ...of('state-dirs'), ...of('data-dirs')]) {
      await rm(f, { recursive: true, force: true });
    }
  }
}

function emptyReport(seed: number, cycles: number): ChaosReport {
  return {
    seed,
    cycles,
    cniCycles: 0,
    kills: { total: 0, atStep: 0, atRandomDelay: 0, byStep: {} },
    missedRandomKills: 0,
    raceCycles: 0,
    gcRuns: 0,
    leftovers: [],
    byKind: Object.fromEntries(LEFTOVER_KINDS.map((k) => [k, 0])) as Record<LeftoverKind, number>,
    failures: [],
    livePod: Object.fromEntries(LEFTOVER_KINDS.map((k) => [k, 0])) as Record<LeftoverKind, number>,
    durationMs: 0,
  };
}

const firstLine = (s: string) => s.trim().split('\n')[0] ?? '';

/** Runs the bench: `cycles` cycles of the plan `seed` names; everything it made is removed before it returns. */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const report = emptyReport(options.seed, options.cycles);
  const bench = new Bench(await mkdtemp(path.join(os.tmpdir(), 'nspod-chaos-')), options.net ?? CHAOS_BENCH_NET);
  try {
    await checkCensus(bench, report);
    for (const plan of chaosPlan(options.cycles, options.seed)) {
      if (options.signal?.aborted) break;
      await runCycle(bench, plan, report);
      report.durationMs = Date.now() - started;
      options.onCycle?.(plan.index + 1, report);
    }
  } finally {
    await cleanUp(bench);
  }
  report.durationMs = Date.now() - started;
  return report;
}

async function runCycle(bench: Bench, plan: CyclePlan, report: ChaosReport): Promise<void> {
  const name = `${bench.prefix}-c${plan.index}`;
  const file = path.join(bench.work, `${name}.yaml`);
  await writeFile(file, manifest(name, plan.probe));
  const runArgs = ['run', '-d', ...(plan.network === 'cni' ? ['-p', '80'] : []), file];
  const seen = new Sightings(new Set([name]));
  if (plan.network === 'cni') report.cniCycles++;
  let step = `create:${plan.createKill}`;
  const fail = (what: string) => report.failures.push({ cycle: plan.index, step, what });
  const gc = async () => {
    report.gcRuns++;
    const r = await bench.cli(['gc'], bench.env(plan.network));
    if (r.exitCode !== 0) fail(`nspod gc exited ${r.exitCode}: ${firstLine(r.stdout + r.stderr)}`);
  };
  /** A killed command: counted, and its step checked to have been reached. */
  const killed = (r: { signal?: string | undefined; exitCode?: number | undefined; stderr: string }, at: string, of: 'create' | 'stop') => {
    if (r.signal === 'SIGKILL') {
      report.kills.total++;
      if (at === 'random') report.kills.atRandomDelay++;
      else report.kills.atStep++;
      const key = at === 'random' ? `${of}:random` : at;
      report.kills.byStep[key] = (report.kills.byStep[key] ?? 0) + 1;
    } else if (at === 'random') report.missedRandomKills++;
    else fail(`step ${at} was not reached: exit ${r.exitCode}: ${firstLine(r.stderr)}`);
  };
  const phaseOf = async (): Promise<string | undefined> => {
    const r = await bench.cli(['inspect', name], bench.env(plan.network));
    if (r.exitCode !== 0) return undefined;
    try {
      return String((JSON.parse(r.stdout) as { status: { phase: string } }).status.phase);
    } catch {
      return 'unreadable';
    }
  };
  const record = async (phase: string) => {
    const found = await bench.census(seen);
    for (const f of found) {
      report.leftovers.push({ ...f, cycle: plan.index, step: phase });
      report.byKind[f.kind]++;
    }
    await bench.clean(found);
  };

  // 1. An interrupted create, one gc; then the name is a Running pod's (the create got through) or free at once.
  const atCreate = plan.createKill === 'random' ? Math.round(plan.createFraction * bench.durations.create) : undefined;
  const created = await bench.cli(runArgs, bench.env(plan.network, atCreate === undefined ? plan.createKill : undefined), atCreate);
  if (atCreate !== undefined) step = `create:random(${atCreate} ms)`;
  killed(created, plan.createKill, 'create');
  if (created.signal !== 'SIGKILL' && created.exitCode !== 0) fail(`run -d exited ${created.exitCode}: ${firstLine(created.stderr)}`);
  await seen.look(bench.root, name);
  await gc();
  const afterCreate = await phaseOf();
  if (afterCreate !== undefined && afterCreate !== 'Running') fail(`after the kill and gc the pod is ${afterCreate}`);
  if (afterCreate === undefined) {
    await record(step);
    const again = await bench.cli(runArgs, bench.env(plan.network));
    if (again.exitCode !== 0) fail(`the name is not free after gc: run -d exited ${again.exitCode}: ${firstLine(again.stderr)}`);
    else bench.durations.create = again.ms;
  }
  await seen.look(bench.root, name);

  // 2. An interrupted removal (or a race of several), one gc; then the pod is gone, or Running untouched (killed before it began).
  const createStep = step;
  if (plan.stopKill === 'race') {
    report.raceCycles++;
    const victim = plan.raceKill ? 0 : -1;
    const atRace = Math.round(plan.stopFraction * bench.durations.remove);
    step = `${createStep} stop:race(${RACERS}${victim === 0 ? `, one killed ${atRace} ms after the start` : ''})`;
    // Each racer parks once it has loaded the pod (NSPOD_TEST_BREAK_AT=rm-loaded) until all have: then all go at once.
    // Unparked, a racer Node starts late loads a pod that is gone already, and "no pod named" is then right.
    const breakDir = path.join(bench.work, `race-${plan.index}`);
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const env = { ...bench.env(plan.network), NSPOD_TEST_BREAK_AT: 'rm-loaded', NSPOD_TEST_BREAK_DIR: breakDir };
    const running = Array.from({ length: RACERS }, (_, i) =>
      bench.cli(['rm', '-f', name], env, i === victim ? atRace : undefined, released),
    );
    const settled = new Set<number>();
    running.forEach((r, i) => void r.then(() => settled.add(i)));
    for (let i = 0; i < 1500; i++) {
      const parked = await readdir(breakDir).catch(() => [] as string[]);
      if (parked.length + settled.size >= RACERS) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all((await readdir(breakDir).catch(() => [] as string[])).map((f) => rm(path.join(breakDir, f), { force: true })));
    release();
    const racers = await Promise.all(running);
    await rm(breakDir, { recursive: true, force: true });
    for (const [i, r] of racers.entries()) {
      if (i === victim) killed(r, 'random', 'stop');
      else if (r.exitCode !== 0) fail(`racer ${i}: rm -f exited ${r.exitCode}: ${firstLine(r.stderr)}`);
    }
  } else {
    const atStop = plan.stopKill === 'random' ? Math.round(plan.stopFraction * bench.durations.remove) : undefined;
    step = `${createStep} stop:${atStop === undefined ? plan.stopKill : `random(${atStop} ms)`}`;
    const removed = await bench.cli(['rm', '-f', name], bench.env(plan.network, atStop === undefined ? plan.stopKill : undefined), atStop);
    killed(removed, plan.stopKill, 'stop');
    if (removed.signal !== 'SIGKILL' && removed.exitCode !== 0) fail(`rm -f exited ${removed.exitCode}: ${firstLine(removed.stderr)}`);
  }
  await seen.look(bench.root, name);
  await gc();
  const afterStop = await phaseOf();
  if (afterStop !== undefined) {
    const marker = existsSync(path.join(bench.root, 'pods', name, 'stopping'));
    if (afterStop !== 'Running' || marker)
      fail(`gc did not finish the interrupted removal: the pod is ${afterStop}${marker ? ' with its stopping marker' : ''}`);
    const again = await bench.cli(['rm', '-f', name], bench.env(plan.network));
    if (again.exitCode !== 0) fail(`rm -f after gc exited ${again.exitCode}: ${firstLine(again.stderr)}`);
    else bench.durations.remove = again.ms;
    await gc();
  }
  await record(step);
}

/**
 * The census must see what a live pod holds, or its zeros mean nothing: one pod with the CNI network, a hostPort and a
 * probe is counted while it runs (every kind must show), then removed with `rm -f` and counted again (nothing).
 */
async function checkCensus(bench: Bench, report: ChaosReport): Promise<void> {
  const name = `${bench.prefix}-live`;
  const file = path.join(bench.work, `${name}.yaml`);
  const fail = (what: string) => report.failures.push({ cycle: -1, step: 'live pod', what });
  await writeFile(file, manifest(name, true));
  const run = await bench.cli(['run', '-d', '-p', '80', file], bench.env('cni'));
  if (run.exitCode !== 0) {
    fail(`run -d exited ${run.exitCode}: ${firstLine(run.stderr)}`);
    return;
  }
  const seen = new Sightings(new Set([name]));
  await seen.look(bench.root, name);
  for (const f of await bench.census(seen)) report.livePod[f.kind]++;
  // An nspod without a data root keeps its pods' data in their state dirs: then there is no data dir to see.
  const unseen = LEFTOVER_KINDS.filter((k) => report.livePod[k] === 0 && (k !== 'data-dirs' || existsSync(bench.dataRoot)));
  if (unseen.length > 0) fail(`the census does not see a live pod's ${unseen.join(', ')}`);
  const removed = await bench.cli(['rm', '-f', name], bench.env('cni'));
  if (removed.exitCode !== 0) fail(`rm -f exited ${removed.exitCode}: ${firstLine(removed.stderr)}`);
  const found = await bench.census(seen);
  for (const f of found) {
    report.leftovers.push({ ...f, cycle: -1, step: 'rm -f of a live pod' });
    report.byKind[f.kind]++;
  }
  await bench.clean(found);
}

/** Everything the bench made: its pods, its state root (containers, mounts, cgroups), its port leases, its bridge. */
async function cleanUp(bench: Bench): Promise<void> {
  await bench.clean(await bench.census(new Sightings(new Set()))).catch(() => undefined);
  await forceClean(bench.root).catch(() => undefined);
  await execa('ip', ['link', 'del', bench.net.bridge], { reject: false });
  for (const m of mountsUnder(bench.work)) await execa('umount', ['--lazy', m], { reject: false });
  await rm(bench.work, { recursive: true, force: true });
}

function formatReport(r: ChaosReport): string {
  const lines = [
    `nspod chaos: seed ${r.seed}, ${r.cycles} cycles (${r.cniCycles} with the CNI network, ${r.raceCycles} with ${RACERS} rm -f at once), ${(r.durationMs / 1000).toFixed(0)} s`,
    `kill -9: ${r.kills.total} (${r.kills.atStep} at a named step, ${r.kills.atRandomDelay} at a random delay; ${r.missedRandomKills} random delays came after the command had finished), then ${r.gcRuns} nspod gc`,
    ...Object.entries(r.kills.byStep).map(([s, n]) => `  ${s.padEnd(20)} ${n}`),
    'left after gc, by kind (and what the census counts of one live pod):',
    ...LEFTOVER_KINDS.map((k) => `  ${k.padEnd(20)} ${String(r.byKind[k]).padStart(4)}   (${r.livePod[k]})`),
  ];
  for (const l of r.leftovers) lines.push(`left: ${l.kind} ${l.what} (cycle ${l.cycle}, ${l.step})`);
  for (const f of r.failures) lines.push(`failed: ${f.what} (cycle ${f.cycle}, ${f.step})`);
  lines.push(r.leftovers.length + r.failures.length === 0 ? 'nothing left' : `${r.leftovers.length} left, ${r.failures.length} failed`);
  return `${lines.join('\n')}\n`;
}

function parseArgs(argv: string[]): { cycles: number; seed: number; json: boolean } {
  let cycles = Number(process.env.CHAOS_CYCLES ?? 200);
  let seed = process.env.CHAOS_SEED !== undefined ? Number(process.env.CHAOS_SEED) : randomInt(2 ** 31);
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--cycles') cycles = Number(argv[++i]);
    else if (a === '--seed') seed = Number(argv[++i]);
    else if (a.startsWith('--cycles=')) cycles = Number(a.slice(9));
    else if (a.startsWith('--seed=')) seed = Number(a.slice(7));
    else throw new Error(`chaos: unknown argument ${a} (--cycles N, --seed S, --json)`);
  }
  if (!Number.isInteger(cycles) || cycles < 1) throw new Error('chaos: --cycles takes a whole number >= 1');
  if (!Number.isInteger(seed) || seed < 0) throw new Error('chaos: --seed takes a whole number >= 0');
  return { cycles, seed, json };
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('chaos: it drives runc, namespaces, mounts and a bridge: run it as root\n');
    return 1;
  }
  const { cycles, seed, json } = parseArgs(process.argv.slice(2));
  const tty = process.stderr.isTTY;
  // Ctrl-C ends the bench after the cycle in flight, and it still cleans up after itself.
  const stop = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nchaos: stopping after this cycle (cleaning up)\n');
    stop.abort();
  });
  process.stderr.write(`chaos: seed ${seed} (--seed ${seed} repeats this plan), ${cycles} cycles\n`);
  const report = await runChaos({
    cycles,
    seed,
    signal: stop.signal,
    onCycle: (done, r) => {
      if (!tty) return;
      const left = r.leftovers.length;
      process.stderr.write(
        `\rchaos: cycle ${done}/${cycles}, ${r.kills.total} kills, ${left} left, ${r.failures.length} failed, ${(r.durationMs / 1000).toFixed(0)} s `,
      );
      if (done === cycles) process.stderr.write('\n');
    },
  });
  process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return report.leftovers.length + report.failures.length === 0 ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  });
}
