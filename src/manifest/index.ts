export { parseManifest, loadManifestFile } from './manifest.js';
export type { ParseManifestOptions, ParsedManifest, LoadedManifest } from './manifest.js';
export { NETWORK_ANNOTATION } from './pod.js';
export { parseQuantity } from './quantity.js';
export type { Quantity } from './quantity.js';
