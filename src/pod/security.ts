/**
 * A pod's security settings as its containers are made: each container's seccomp profile chosen (its own, the pod's,
 * RuntimeDefault) and read, once before anything of the pod is made (a missing profile leaves no trace) and again at
 * each start.
 */
import { loadSeccompProfile, seccompHost, type ProfileFile } from '../oci/seccomp.js';
import type { SiblingSpecInput } from '../oci/sibling.js';
import { effectiveSeccomp } from '../spec/security.js';
import type { ContainerSpec, PodSpec } from '../spec/spec.js';

/** Whether a container of the pod reads a Localhost profile (the pod's record then keeps the profile root). */
export function usesLocalhostSeccomp(spec: PodSpec): boolean {
  return [...(spec.initContainers ?? []), ...spec.containers].some((c) => effectiveSeccomp(spec, c).type === 'Localhost');
}

/** The seccomp input of a container's bundle; undefined when it runs unconfined. */
export async function containerSeccomp(spec: PodSpec, c: ContainerSpec, root: string): Promise<SiblingSpecInput['seccomp']> {
  const profile: ProfileFile | undefined = await loadSeccompProfile(effectiveSeccomp(spec, c), root, c.name);
  return profile ? { profile, host: seccompHost() } : undefined;
}

/** Every container's profile can be read: called before anything of the pod is made. */
export async function checkSeccompProfiles(spec: PodSpec, root: string): Promise<void> {
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) await containerSeccomp(spec, c, root);
}
