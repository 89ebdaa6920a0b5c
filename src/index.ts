/**
 * nspod: Kubernetes-style pods on a bare Linux host, driven by runc. The public API is what the README's API
 * section documents; everything else is internal (tests and the repository's scripts import it from its module).
 */
export { Pod } from './pod/pod.js';
export type { PodOptions, StopOptions, CopySource, CopyInOptions } from './pod/pod.js';
export type { PodStatus, ContainerStatus, ContainerState, ExitRecord } from './pod/status.js';
export type { EffectiveSecurity } from './pod/effective.js';
export type { QosClass } from './spec/qos.js';
export type { PodPhase } from './pod/store.js';
export type { PodEvent, EventType, EventReason } from './pod/events.js';
export type { LogLine } from './pod/logs.js';
export type {
  PodSpec,
  ContainerSpec,
  ResourceLimits,
  PortSpec,
  VolumeSpec,
  VolumeMount,
  RestartPolicy,
  Probe,
  ProbeKind,
  Lifecycle,
  LifecycleHandler,
  SeccompProfile,
  SeccompType,
} from './spec/spec.js';
export { podSpecProblems, validatePodSpec } from './spec/spec.js';
export type { SpecProblem } from './spec/spec.js';
export { podOutcome } from './spec/restart.js';
export type { PodOutcome } from './spec/restart.js';
export { DEFAULT_STATE_ROOT } from './paths.js';
export { DEFAULT_SECCOMP_ROOT } from './oci/seccomp.js';
export { waitForLogLine, waitForPort, waitForHttp, waitForCommand, waitForHealthy, waitAll, until } from './pod/wait.js';
export type {
  WaitOptions,
  LogLineOptions,
  HttpWaitOptions,
  CommandWaitOptions,
  Wait,
  Waitable,
  Execable,
  HealthCheckable,
} from './pod/wait.js';
export type { ImageHealthcheck } from './image/config.js';
export { gcPods, gcNetworks, gcBridges } from './pod/gc.js';
export type { PodGcOptions, PodGcEntry, PodGcReason, PodGcReport } from './pod/gc.js';
export type { ReleasedAttachment, OrphanReason, PodNetworkStatus, NetworkMode } from './network/attachment.js';
export type { NetworkOptions } from './network/config.js';
export { parseManifest, loadManifestFile } from './manifest/index.js';
export type { ParseManifestOptions, ParsedManifest, LoadedManifest } from './manifest/index.js';
export { resolveImage } from './image/resolve.js';
export type { ResolvedImage, ResolveOptions, ImageCacheOptions, UnpackEvent } from './image/resolve.js';
export type { ImageDefaults } from './image/config.js';
export { importImage, listImages } from './image/manage.js';
export type { CachedImage } from './image/manage.js';
export { removeImage, pruneImages } from './pod/images.js';
export type { RemoveOptions, PruneOptions } from './pod/images.js';
export { Runtime } from './runtime/runtime.js';
export type { RuntimeOptions, ExecOptions, ExecResult, DetachedRun } from './runtime/runtime.js';
export { buildPauseSpec, writePauseBundle } from './oci/pause.js';
export { buildSiblingSpec } from './oci/sibling.js';
export { specErrors } from './oci/validate.js';
export type { Spec } from './oci/spec.js';
export { NspodError, isNspodError } from './errors.js';
export type { ErrorCode } from './errors.js';
