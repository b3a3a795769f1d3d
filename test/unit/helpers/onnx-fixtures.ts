/**
 * The ONNX files of test/fixtures/onnx/gen_onnx.py (torch.onnx.export of Debian's torch 1.13),
 * generated on first use into the ignored .cache/onnx-fixtures (ResNet-18 alone is 45 MB, too
 * large to commit) and reused while the generator is unchanged (a stamp holds its hash; an edited
 * generator regenerates every file). torch's own parameter counts are committed in
 * test/fixtures/onnx/counts.json.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.join(__dirname, '..', '..', '..');
export const ONNX_CACHE = path.join(ROOT, '.cache', 'onnx-fixtures');
export const ONNX_MODELS = [
  'resnet18',
  'mobilenetv2',
  'transformer',
  'lstm',
  'unet',
  'vae',
  'mha',
  'prenorm',
] as const;
export type OnnxFixture = (typeof ONNX_MODELS)[number];

export const TORCH_COUNTS = JSON.parse(
  readFileSync(path.join(ROOT, 'test/fixtures/onnx/counts.json'), 'utf8'),
) as Record<OnnxFixture, { trainable: number; buffers: number }>;

const GENERATOR = path.join(ROOT, 'test/fixtures/onnx/gen_onnx.py');
const STAMP = path.join(ONNX_CACHE, 'generator.sha256');

/** The path of a fixture's .onnx file, generating the missing or outdated ones with torch. */
export function onnxFixture(name: OnnxFixture): string {
  const file = path.join(ONNX_CACHE, `${name}.onnx`);
  const hash = createHash('sha256').update(readFileSync(GENERATOR)).digest('hex');
  const current = existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === hash;
  if (!current || !existsSync(file)) {
    const missing = current
      ? ONNX_MODELS.filter((m) => !existsSync(path.join(ONNX_CACHE, `${m}.onnx`)))
      : ONNX_MODELS;
    const r = spawnSync('/usr/bin/python3', [GENERATOR, ONNX_CACHE, ...missing], {
      encoding: 'utf8',
      timeout: 600_000,
    });
    if (r.status !== 0)
      throw new Error(`gen_onnx.py failed (is Debian's python3-torch installed?):\n${r.stderr}`);
    writeFileSync(STAMP, `${hash}\n`);
  }
  return file;
}
