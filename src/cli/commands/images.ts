/** `nspod images` (the image cache) and `nspod image import|rm|prune`. */
import path from 'node:path';
import { resolveStateRoot } from '../../paths.js';
import { listImages, importImage } from '../../image/manage.js';
import { removeImage, pruneImages } from '../../pod/images.js';
import { age, table } from '../format.js';
import type { GlobalOptions } from '../options.js';
import { out } from '../output.js';

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

export async function images(o: { output?: string }, g: GlobalOptions): Promise<number> {
  const images = await listImages({ imageRoot: g.imageRoot });
  if (o.output === 'json') {
    out(`${JSON.stringify(images, null, 2)}\n`);
    return 0;
  }
  const lastUsed = (t: Date | undefined) => (t ? `${age(new Date(t).toISOString())} ago` : '-');
  out(
    table(
      ['REFERENCE', 'DIGEST', 'SIZE', 'LAST USED'],
      images.map((i) => [i.reference, i.digest.slice(0, 19), mb(i.size), lastUsed(i.lastUsed)]),
    ),
  );
  return 0;
}

export async function importFile(ref: string, file: string, g: GlobalOptions): Promise<number> {
  const r = await importImage(ref, path.resolve(file), { imageRoot: g.imageRoot, progress: process.stderr.isTTY });
  out(`${ref} ${r.digest ?? ''}\n`);
  return 0;
}

export async function remove(refs: string[], g: GlobalOptions): Promise<number> {
  for (const ref of refs) {
    await removeImage(ref, { imageRoot: g.imageRoot, stateRoot: resolveStateRoot(g.root) });
    out(`${ref}\n`);
  }
  return 0;
}

export async function prune(g: GlobalOptions): Promise<number> {
  const r = await pruneImages({ imageRoot: g.imageRoot, stateRoot: resolveStateRoot(g.root) });
  for (const d of r.removed) out(`removed ${d}\n`);
  out(`freed ${mb(r.freedBytes)}\n`);
  return 0;
}
