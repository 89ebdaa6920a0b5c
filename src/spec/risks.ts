/** What in a pod takes a container's isolation away: one warning line each, so that nothing dangerous runs silently. */
import { capabilityName } from './names.js';
import type { PodSpec } from './spec.js';

/** Host paths whose mount hands a container the host itself: `/`, and `/proc`, `/sys`, `/dev` and what lies below them. */
function hostPathRisk(p: string): string | undefined {
  const clean = p.replace(/\/+$/, '') || '/';
  if (clean === '/') return "the host's whole filesystem (nspod's state root and every pod's files included)";
  const top = ['/proc', '/sys', '/dev'].find((d) => clean === d || clean.startsWith(`${d}/`));
  return top ? `the host's ${top} (its processes, kernel settings or devices)` : undefined;
}

/**
 * One line per risk, with its field path: privileged containers, hostNetwork, a hostPath of `/`, `/proc`, `/sys` or
 * `/dev`, the SYS_ADMIN capability (or ALL) added.
 */
export function securityWarnings(spec: PodSpec): string[] {
  const out: string[] = [];
  if (spec.hostNetwork) {
    out.push(
      "hostNetwork: true: the pod shares the host's network namespace: its containers reach and bind every host address, 127.0.0.1 included",
    );
  }
  for (const [i, v] of (spec.volumes ?? []).entries()) {
    const risk = v.hostPath && hostPathRisk(v.hostPath.path);
    if (risk) out.push(`volumes[${i}].hostPath.path: ${v.hostPath!.path} gives the containers that mount it ${risk}`);
  }
  const lists = [
    ['initContainers', spec.initContainers ?? []],
    ['containers', spec.containers],
  ] as const;
  for (const [list, containers] of lists) {
    for (const [i, c] of containers.entries()) {
      const at = `${list}[${i}] (${c.name})`;
      if (c.privileged) {
        out.push(`${at}: privileged: true: every capability, the host's devices, no masked paths: root in it is root on the host`);
        continue;
      }
      const added = (c.capabilities?.add ?? []).map(capabilityName);
      if (added.includes('CAP_ALL'))
        out.push(`${at}: capabilities.add ALL: every capability, SYS_ADMIN among them: root in it is nearly root on the host`);
      else if (added.includes('CAP_SYS_ADMIN'))
        out.push(`${at}: capabilities.add SYS_ADMIN: mounts, namespaces and much of what root may do on the host`);
    }
  }
  return out;
}
