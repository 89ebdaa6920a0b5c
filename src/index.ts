/** nspod: Kubernetes-style pods on a bare Linux host, driven by runc. */
export { Pod, withImageDefaults, logTail, resolvePodOptions } from './pod/pod.js';
export type { PodOptions, PodStatus, ContainerStatus, ContainerState, StopOptions, ExitRecord } from './pod/pod.js';
export type { PodSpec, ContainerSpec, ResourceLimits, PortSpec, VolumeSpec, VolumeMount, RestartPolicy } from './pod/spec.js';
export { validatePodSpec, dnsLabelProblem } from './pod/spec.js';
export { DEFAULT_STATE_ROOT } from './pod/store.js';
export { Runtime, findExecutable } from './runtime/runtime.js';
export type { RuntimeOptions, ExecOptions, ExecResult, DetachedRun } from './runtime/runtime.js';
export { buildPauseSpec, writePauseBundle, PAUSE_UID } from './oci/pause.js';
export { buildSiblingSpec } from './oci/sibling.js';
export { pauseNamespacePaths } from './oci/spec.js';
export type { Spec, PauseNamespaces } from './oci/spec.js';
export { specErrors, assertValidSpec } from './oci/validate.js';
export { NspodError, isNspodError } from './errors.js';
export type { ErrorCode } from './errors.js';
export { assets } from './paths.js';
export { parseManifest, loadManifestFile, parseQuantity, NETWORK_ANNOTATION } from './manifest/index.js';
export type { ParseManifestOptions, ParsedManifest, LoadedManifest, Quantity } from './manifest/index.js';
