/** `nspod exec` (a command in a container, through the runtime) and `nspod debug` (a host program in the pod's namespaces). */
import { NspodError } from '../../errors.js';
import { runProgram } from '../../host/program.js';
import { Pod } from '../../pod/pod.js';
import { podOptions, usageError, type GlobalOptions } from '../options.js';

export async function exec(name: string, command: string[], o: { container?: string; tty?: boolean }, g: GlobalOptions): Promise<number> {
  if (command.length === 0) usageError('exec needs a command: nspod exec POD [-c CONTAINER] -- CMD [ARGS...]');
  const pod = await Pod.load(name, podOptions(g));
  const r = await pod.exec(o.container, command, { inherit: true, tty: o.tty === true });
  return r.exitCode;
}

export async function debug(name: string, command: string[], g: GlobalOptions): Promise<number> {
  if (command.length === 0) usageError('debug needs a command: nspod debug POD -- CMD [ARGS...]');
  const pod = await Pod.load(name, podOptions(g));
  const target = pod.debugTarget();
  const flags = ['-u', '-i', ...(target.hostNetwork ? [] : ['-n']), ...(target.sharedPid ? ['-p'] : [])];
  const r = await runProgram('nsenter', ['-t', String(target.pid), ...flags, '--', ...command], { stdio: 'inherit' });
  if (r.exitCode === undefined) throw new NspodError('INTERNAL', `nsenter failed: ${r.message}`, { hint: 'is util-linux installed?' });
  return r.exitCode;
}
