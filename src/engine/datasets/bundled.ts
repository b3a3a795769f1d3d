/**
 * The bundled real datasets (data/digits.*, data/iris.*), converted once from scikit-learn by
 * scripts/convert-sklearn-datasets.py. See data/README.md for source and licence.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DataError, type Dataset } from './types';

interface Header {
  name: string;
  samples: number;
  features: number;
  sampleShape: number[];
  scale: number;
  classes: number;
  classNames: string[];
  featureNames: string[];
  file: string;
  bytes: number;
}

/** The folder holding digits.json: `data/` next to `dist/` or at the repository root. */
export function bundledDataDir(start: string = __dirname): string {
  let dir = path.resolve(start);
  for (let i = 0; i < 6; i++) {
    const cand = path.join(dir, 'data');
    if (existsSync(path.join(cand, 'digits.json'))) return cand;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new DataError(`bundled data folder not found above ${start} (expected data/digits.json)`);
}

function load(name: string, dataDir?: string): { h: Header; x: Uint8Array; y: Uint8Array } {
  const dir = dataDir ?? bundledDataDir();
  const h = JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')) as Header;
  const buf = readFileSync(path.join(dir, h.file));
  const nx = h.samples * h.features;
  if (buf.length !== h.bytes || buf.length !== nx + h.samples)
    throw new DataError(
      `bundled ${name} data is damaged: ${buf.length} bytes, expected ${h.bytes}`,
    );
  return { h, x: buf.subarray(0, nx), y: buf.subarray(nx) };
}

/** 1,797 8×8 digits, pixels scaled from 0..16 to [0, 1]; samples `[64]` (reshaped on demand). */
export function digits(dataDir?: string): Dataset {
  const { h, x, y } = load('digits', dataDir);
  const xf = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) xf[i] = (x[i]! * h.scale) / 16;
  return {
    name: 'Digits',
    n: h.samples,
    x: xf,
    xShape: [h.features],
    y: Int32Array.from(y),
    yShape: [],
    task: 'classification',
    classes: h.classes,
    classNames: h.classNames,
    featureNames: h.featureNames,
  };
}

/** 150 iris flowers, 4 measurements in cm (standardized by the pipeline), 3 classes. */
export function iris(dataDir?: string): Dataset {
  const { h, x, y } = load('iris', dataDir);
  const xf = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) xf[i] = Math.round(x[i]! * h.scale * 1e6) / 1e6;
  return {
    name: 'Iris',
    n: h.samples,
    x: xf,
    xShape: [h.features],
    y: Int32Array.from(y),
    yShape: [],
    task: 'classification',
    classes: h.classes,
    classNames: h.classNames,
    featureNames: h.featureNames,
    standardize: true,
  };
}
