/**
 * A CNI 1.0.0 runtime: runs plugin binaries with CNI_* environment variables
 * and the network config on stdin, a conflist's plugins in order for ADD
 * (each gets the previous result) and in reverse for DEL.
 */
import { spawn } from 'node:child_process';
import { findExecutableIn } from '../host/executables.js';
import { NspodError } from '../errors.js';

export const CNI_VERSION = '1.0.0';

export interface CniPluginConf {
  type: string;
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

export interface CniConfList {
  cniVersion: string;
  name: string;
  disableCheck?: boolean;
  plugins: CniPluginConf[];
}

export interface CniPortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
  hostIP?: string;
}

/** Capability arguments (CNI conventions): each plugin sees only those it declares in `capabilities`. */
export interface CniRuntimeConfig {
  portMappings?: CniPortMapping[];
  [capability: string]: unknown;
}

export interface CniInterface {
  name: string;
  mac?: string;
  sandbox?: string;
}

export interface CniIpConfig {
  /** CIDR notation: `198.18.0.5/24`. */
  address: string;
  gateway?: string;
  /** Index into `interfaces`. */
  interface?: number;
}

export interface CniRoute {
  dst: string;
  gw?: string;
}

export interface CniDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export interface CniResult {
  cniVersion: string;
  interfaces?: CniInterface[];
  ips?: CniIpConfig[];
  routes?: CniRoute[];
  dns?: CniDns;
}

/** What identifies one attachment to the plugins. */
export interface CniInvocation {
  containerId: string;
  /** Path of the network namespace; empty on a DEL whose namespace is gone. */
  netns: string;
  ifName: string;
  /** CNI_ARGS as key/value pairs (`IgnoreUnknown=1` is always sent first). */
  args: [string, string][];
}

export interface CniExecOptions {
  /** Directories searched for plugin binaries, in order. */
  cniPath: string[];
}

export type CniCommand = 'ADD' | 'DEL' | 'CHECK';

/** The JSON one plugin of a list gets on stdin: its own config, the list's name and version, its capability args, the previous result. */
export function pluginStdin(
  list: CniConfList,
  plugin: CniPluginConf,
  runtimeConfig: CniRuntimeConfig,
  prevResult?: CniResult,
): Record<string, unknown> {
  const conf: Record<string, unknown> = { ...plugin, cniVersion: list.cniVersion, name: list.name };
  const granted: Record<string, unknown> = {};
  for (const [capability, enabled] of Object.entries(plugin.capabilities ?? {})) {
    if (enabled && runtimeConfig[capability] !== undefined) granted[capability] = runtimeConfig[capability];
  }
  if (Object.keys(granted).length > 0) conf.runtimeConfig = granted;
  if (prevResult) conf.prevResult = prevResult;
  return conf;
}

/** `IgnoreUnknown=1;K=V;...`: IgnoreUnknown keeps plugins that do not know a key from failing. */
export function cniArgsString(args: [string, string][]): string {
  return [['IgnoreUnknown', '1'], ...args].map(([k, v]) => `${k}=${v}`).join(';');
}

/** A plugin's output on success; a clear error when it is not a CNI result. */
export function parseCniResult(stdout: string, plugin: string): CniResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new NspodError('NETWORK_FAILED', `CNI plugin ${plugin} printed no JSON result: ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new NspodError('NETWORK_FAILED', `CNI plugin ${plugin} printed ${JSON.stringify(stdout.slice(0, 200))}, not a result object`);
  }
  const r = parsed as CniResult;
  for (const key of ['interfaces', 'ips', 'routes'] as const) {
    if (r[key] !== undefined && !Array.isArray(r[key]))
      throw new NspodError('NETWORK_FAILED', `CNI plugin ${plugin}: result field ${key} is not a list`);
  }
  return r;
}

/** The CNI error format (`{code, msg, details}`) turned into one NETWORK_FAILED error naming the plugin. */
export function cniPluginError(plugin: string, command: CniCommand, exitCode: number | null, stdout: string, stderr: string): NspodError {
  let detail = stderr.trim() || stdout.trim() || `exit code ${exitCode}`;
  let code: number | undefined;
  try {
    const e = JSON.parse(stdout) as { code?: number; msg?: string; details?: string };
    if (typeof e.msg === 'string') {
      code = e.code;
      detail = e.details ? `${e.msg}: ${e.details}` : e.msg;
    }
  } catch {
    // not the CNI error format: keep the raw text
  }
  return new NspodError(
    'NETWORK_FAILED',
    `CNI plugin ${plugin} failed on ${command}${code !== undefined ? ` (CNI error ${code})` : ''}: ${detail}`,
    {
      hint:
        code === 7 || code === 4
          ? 'check the network config'
          : `see the plugin's own words above; ${command === 'ADD' ? 'nothing of the pod was kept' : 'nspod gc releases what is left'}`,
    },
  );
}

/** The plugin binary for `type`, searched in the CNI path. */
export function findPlugin(type: string, cniPath: string[]): string {
  if (!/^[A-Za-z0-9._-]+$/.test(type))
    throw new NspodError('NETWORK_FAILED', `CNI plugin type ${JSON.stringify(type)} is not a plain binary name`);
  const found = findExecutableIn(cniPath, type);
  if (found) return found;
  throw new NspodError('NETWORK_FAILED', `CNI plugin ${type} not found in ${cniPath.join(':')}`, {
    hint: 'install containernetworking-plugins (scripts/setup does) or set CNI_PATH / the cniPath option',
  });
}

/** Runs one plugin binary: config on stdin, result on stdout. */
export async function execPlugin(
  command: CniCommand,
  conf: Record<string, unknown>,
  inv: CniInvocation,
  options: CniExecOptions,
): Promise<string> {
  const type = String(conf.type);
  const binary = findPlugin(type, options.cniPath);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: command,
    CNI_CONTAINERID: inv.containerId,
    CNI_NETNS: inv.netns,
    CNI_IFNAME: inv.ifName,
    CNI_ARGS: cniArgsString(inv.args),
    CNI_PATH: options.cniPath.join(':'),
  };
  return await new Promise<string>((resolve, reject) => {
    const child = spawn(binary, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new NspodError('NETWORK_FAILED', `CNI plugin ${type} could not run: ${e.message}`)));
    child.on('close', (exitCode) => {
      const stdout = Buffer.concat(out).toString('utf8');
      if (exitCode === 0) resolve(stdout);
      else reject(cniPluginError(type, command, exitCode, stdout, Buffer.concat(err).toString('utf8')));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(JSON.stringify(conf));
  });
}

/** ADD: every plugin in order, each given the previous one's result; the last result is the attachment's. */
export async function cniAdd(
  list: CniConfList,
  inv: CniInvocation,
  runtimeConfig: CniRuntimeConfig,
  options: CniExecOptions,
): Promise<CniResult> {
  let prev: CniResult | undefined;
  for (const plugin of list.plugins) {
    const stdout = await execPlugin('ADD', pluginStdin(list, plugin, runtimeConfig, prev), inv, options);
    prev = parseCniResult(stdout, plugin.type);
  }
  return prev ?? { cniVersion: list.cniVersion };
}

/**
 * DEL: every plugin in reverse, each given the cached ADD result. Every plugin
 * runs even when one fails (so one failure leaks no more than its own part); the first error is thrown.
 */
export async function cniDel(
  list: CniConfList,
  inv: CniInvocation,
  runtimeConfig: CniRuntimeConfig,
  prevResult: CniResult | undefined,
  options: CniExecOptions,
): Promise<void> {
  let first: unknown;
  for (const plugin of [...list.plugins].reverse()) {
    try {
      await execPlugin('DEL', pluginStdin(list, plugin, runtimeConfig, prevResult), inv, options);
    } catch (e) {
      first ??= e;
    }
  }
  if (first !== undefined) throw first;
}

/** CHECK: every plugin in order with the cached result; throws when one finds the attachment broken. */
export async function cniCheck(
  list: CniConfList,
  inv: CniInvocation,
  runtimeConfig: CniRuntimeConfig,
  prevResult: CniResult,
  options: CniExecOptions,
): Promise<void> {
  if (list.disableCheck) return;
  for (const plugin of list.plugins) {
    await execPlugin('CHECK', pluginStdin(list, plugin, runtimeConfig, prevResult), inv, options);
  }
}
