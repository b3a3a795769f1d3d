/**
 * train.py for a train section, and the .npy files of its data.
 *
 * The data is materialized: the exact training and validation arrays our trainer uses (after
 * the seeded split and the standardization computed on the training split), so nothing about
 * the data has to be re-implemented in Python. The batch order is our trainer's: the same
 * xoshiro128** generator (seeded `seed ^ 0x0badf00d`) and Fisher–Yates shuffle, ported to a few
 * lines of Python. Optimizers, schedules, clipping and losses use torch's own implementations,
 * which our step graph follows (PyTorch 1.13 semantics and defaults).
 *
 * Distributed: under torchrun (RANK/LOCAL_RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT), each
 * process takes its share of every global batch, DistributedDataParallel averages the
 * gradients, and each process's loss is scaled so that the average equals the global batch
 * mean: the weights equal a one-process run with the same global batch.
 */
import type { CheckedTrain } from '../../language/checked';
import { lossTarget } from '../../language/training';
import type { AttrValue } from '../../layers/types';
import { pyLiteral } from './layers';
import { PytorchExportError, pyName } from './model';

export interface TrainExportInput {
  readonly model: string;
  readonly train: CheckedTrain;
  /** The resolved run settings (the train section after the trainer's defaults). */
  readonly lr: number;
  /** Model inputs read by an Embedding take int64 ids. */
  readonly idsInput: boolean;
  /**
   * Several named inputs packed into one data row (decision 0008), in model-input order: the
   * columns `[offset, offset + size)` reshaped to `shape`, as int64 ids when `ids`.
   */
  readonly parts?: readonly {
    readonly name: string;
    readonly offset: number;
    readonly shape: readonly number[];
    readonly ids: boolean;
  }[];
  /** Regression (float targets) or classification (class ids) data. */
  readonly task: 'classification' | 'regression' | 'sequence';
  readonly hasValidation: boolean;
  /** The step graph's random inputs in the order the trainer fills them (CompiledProgram.random). */
  readonly random: readonly {
    readonly kind: 'uniform' | 'normal';
    readonly sampleShape: readonly number[];
  }[];
}

type Args = Readonly<Record<string, AttrValue | undefined>>;
const num = (a: Args, k: string, d: number): number =>
  typeof a[k] === 'number' ? (a[k] as number) : d;

/** `unpack(x)`: a packed data row → the model inputs, as the trainer feeds them (empty: one input). */
function unpackPy(input: TrainExportInput): string {
  const parts = input.parts;
  if (!parts) return '';
  const items = parts.map((p) => {
    const size = p.shape.reduce((a, b) => a * b, 1);
    const v = `x[:, ${p.offset}:${p.offset + size}].reshape(-1, ${p.shape.join(', ')})`;
    return p.ids ? `${v}.long()` : v;
  });
  const names = parts.map((p) => p.name).join(', ');
  return `    def unpack(x):
        """One data row holds the inputs ${names} one after the other (dlm's packed layout)."""
        return (${items.join(', ')}${items.length === 1 ? ',' : ''})

`;
}

function optimizerPy(t: CheckedTrain, lr: number): string {
  const a = t.optimizer.args;
  const wd = num(a, 'weight_decay', t.optimizer.name === 'AdamW' ? 0.01 : 0);
  switch (t.optimizer.name) {
    case 'SGD':
      return `torch.optim.SGD(params, lr=${pyLiteral(lr)}, momentum=${pyLiteral(num(a, 'momentum', 0))}, nesterov=${a['nesterov'] === true ? 'True' : 'False'}, weight_decay=${pyLiteral(wd)})`;
    case 'Adam':
    case 'AdamW':
      return `torch.optim.${t.optimizer.name}(params, lr=${pyLiteral(lr)}, betas=(${pyLiteral(num(a, 'beta1', 0.9))}, ${pyLiteral(num(a, 'beta2', 0.999))}), eps=${pyLiteral(num(a, 'eps', 1e-8))}, weight_decay=${pyLiteral(wd)})`;
    case 'AdaGrad':
      return `torch.optim.Adagrad(params, lr=${pyLiteral(lr)}, eps=${pyLiteral(num(a, 'eps', 1e-10))}, weight_decay=${pyLiteral(wd)})`;
    case 'RMSProp':
      return `torch.optim.RMSprop(params, lr=${pyLiteral(lr)}, alpha=${pyLiteral(num(a, 'alpha', 0.99))}, eps=${pyLiteral(num(a, 'eps', 1e-8))}, momentum=${pyLiteral(num(a, 'momentum', 0))}, weight_decay=${pyLiteral(wd)})`;
    default:
      throw new PytorchExportError(
        `the optimizer ${t.optimizer.name} is not supported for PyTorch export`,
      );
  }
}

function schedulePy(t: CheckedTrain, lr: number): string {
  const s = t.schedule;
  const body = (() => {
    if (!s) return `return ${pyLiteral(lr)}`;
    const a = s.args;
    switch (s.name) {
      case 'Step':
        return `return ${pyLiteral(lr)} * ${pyLiteral(num(a, 'gamma', 0.1))} ** (epoch // ${Math.max(1, num(a, 'step_size', 1))})`;
      case 'Exponential':
        return `return ${pyLiteral(lr)} * ${pyLiteral(num(a, 'gamma', 1))} ** epoch`;
      case 'Cosine': {
        const tMax = Math.max(1, num(a, 't_max', 1));
        const eta = num(a, 'eta_min', 0);
        return `return ${pyLiteral(eta)} + 0.5 * (${pyLiteral(lr)} - ${pyLiteral(eta)}) * (1 + math.cos(math.pi * min(epoch, ${tMax}) / ${tMax}))`;
      }
      case 'Warmup':
        return `return ${pyLiteral(lr)} * min(1.0, (step + 1) / ${Math.max(1, num(a, 'steps', 1))})`;
      default:
        throw new PytorchExportError(`the schedule ${s.name} is not supported for PyTorch export`);
    }
  })();
  return `def learning_rate(epoch, step):\n    """The learning rate of 0-based epoch and optimizer step${s ? ` (${s.name})` : ''}."""\n    ${body}`;
}

/**
 * `loss_sum(outs, y)`: the loss summed over this process's rows and the number of terms a mean
 * divides by, so DDP shards weigh exactly as one batch (REDUCTION says whether the step loss is
 * that sum divided by the global batch's terms, or the sum itself). The formulas are those of
 * src/compiler/losses.ts, with torch's functions where they agree.
 */
function lossPy(t: CheckedTrain): {
  body: string;
  reduction: 'mean' | 'sum';
  ignore: number | undefined;
} {
  const l = t.loss;
  if (!l) throw new PytorchExportError('the train section has no loss');
  const a = l.args;
  const reduction = a['reduction'] === 'sum' ? 'sum' : 'mean';
  const ignore = typeof a['ignore_index'] === 'number' ? a['ignore_index'] : undefined;
  const cls = (f: string, extra = '') =>
    ignore === undefined
      ? `    out = outs[0]\n    logits = out.reshape(-1, out.shape[-1])\n    return ${f}(logits, y.reshape(-1).long(), reduction="sum"${extra}), logits.shape[0]`
      : `    out = outs[0]\n    logits = out.reshape(-1, out.shape[-1])\n    labels = y.reshape(-1).long()\n    return ${f}(logits, labels, reduction="sum", ignore_index=IGNORE_INDEX${extra}), int((labels != IGNORE_INDEX).sum())`;
  const reg = (f: string, extra = '') =>
    `    out = outs[0]\n    y = y.reshape(out.shape).to(out.dtype)\n    return ${f}(out, y, reduction="sum"${extra}), out.numel()`;
  let body: string;
  let doc = `${l.name}: the sum over the rows and the number of terms a mean averages over.`;
  switch (l.name) {
    case 'CrossEntropy': {
      const ls = num(a, 'label_smoothing', 0);
      body = cls('F.cross_entropy', ls ? `, label_smoothing=${pyLiteral(ls)}` : '');
      break;
    }
    case 'NLL':
      body = cls('F.nll_loss');
      break;
    case 'Hinge':
      body = cls('F.multi_margin_loss');
      break;
    case 'MSE':
      body = reg('F.mse_loss');
      break;
    case 'MAE':
      body = reg('F.l1_loss');
      break;
    case 'Huber':
      body = reg('F.huber_loss', `, delta=${pyLiteral(num(a, 'delta', 1))}`);
      break;
    case 'BCEWithLogits':
      body = reg('F.binary_cross_entropy_with_logits');
      break;
    case 'VAELoss': {
      const recon = a['recon'] === 'mse' ? 'mse' : 'bce';
      const beta = num(a, 'beta', 1);
      doc =
        `VAELoss(recon="${recon}", beta=${pyLiteral(beta)}): per sample, the reconstruction error and\n` +
        `    β·KL = −½·Σ(1 + logvar − μ² − exp(logvar)), each summed over the sample's elements; the\n` +
        `    sum over the rows and the number of rows (the loss is the mean over the batch).`;
      const rec =
        recon === 'mse'
          ? '(recon - y) ** 2'
          : 'F.binary_cross_entropy_with_logits(recon, y, reduction="none")';
      body = [
        '    recon, mu, logvar = outs',
        '    y = y.reshape(recon.shape).to(recon.dtype)',
        `    rec = (${rec}).reshape(recon.shape[0], -1).sum(1)`,
        '    kl = -0.5 * (1 + logvar - mu * mu - logvar.exp()).reshape(mu.shape[0], -1).sum(1)',
        `    return (rec + ${pyLiteral(beta)} * kl).sum(), recon.shape[0]`,
      ].join('\n');
      break;
    }
    default:
      throw new PytorchExportError(`the loss ${l.name} is not supported for PyTorch export yet`);
  }
  return { body: `def loss_sum(outs, y):\n    """${doc}"""\n${body}`, reduction, ignore };
}

/**
 * `step_noise(step, rows)`: the step graph's random inputs as the DLM trainer fills them (one
 * generator seeded `(seed·0x9E3779B1) ^ step`, each input filled in turn, uniform or Box–Muller
 * normal), returning the normal ones (Reparameterize's ε) for model.NOISE. Dropout masks are
 * drawn only to advance the stream: torch's dropout keeps its own generator.
 */
function noisePy(random: TrainExportInput['random']): string {
  const last = random.map((r) => r.kind).lastIndexOf('normal');
  if (last < 0) return '';
  const specs = random
    .slice(0, last + 1)
    .map((r) => `("${r.kind}", (${r.sampleShape.map((d) => `${d}, `).join('')}))`);
  return `

# The step graph's random inputs in the DLM trainer's order: (kind, shape of one row).
RANDOM = [${specs.join(', ')}]


def step_noise(step, rows):
    """ε of each Reparameterize for optimizer step \`step\` (0-based) and a global batch of
    \`rows\`, drawn as the DLM trainer draws them (so the losses and weights agree)."""
    mixed = int(float(SEED) * 2654435761.0) % 0x100000000
    rng = Rng((mixed ^ step) & 0xFFFFFFFF)
    normals = []
    for kind, shape in RANDOM:
        n = rows * math.prod(shape)
        if kind == "normal":
            normals.append(torch.tensor([rng.normal() for _ in range(n)], dtype=torch.float32).reshape(rows, *shape))
        else:
            for _ in range(n):
                rng.uniform()
    return normals`;
}

/** Generate train.py; throws PytorchExportError for settings it cannot translate. */
export function generateTrainPy(input: TrainExportInput): string {
  const t = input.train;
  const cls = pyName(input.model);
  const es = t.earlyStopping;
  const accuracy = t.metrics.includes('accuracy') && input.task !== 'regression';
  const target = lossTarget(t) === 'input' ? 'x' : 'y';
  const loss = lossPy(t);
  const noise = noisePy(input.random);
  return `"""Train ${input.model} with PyTorch, as \`dlm train\` does (generated by DLM Studio).

  python train.py                          # CPU
  python train.py --device cuda [--amp]    # one GPU
  torchrun --nproc_per_node=N train.py --device cuda   # N GPUs (gloo on CPU, nccl on GPU)

Same data (data/*.npy: the split and standardized arrays of the DLM trainer), batch order, initial
weights (weights.safetensors), loss, optimizer, schedule, clipping and early stopping. Metrics go
to OUT/metrics.jsonl in the event format of .dlm/runs; checkpoints to OUT/{best,last}.safetensors.
"""
import argparse
import gc
import json
import math
import os
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

${noise ? 'import model as model_py\n' : ''}from model import ${cls}, load_safetensors, save_safetensors

EPOCHS = ${t.epochs}
BATCH = ${t.batch}
SEED = ${t.seed}
SHUFFLE = ${t.shuffle ? 'True' : 'False'}
DROP_LAST = ${t.dropLast ? 'True' : 'False'}
CLIP = ${t.clip === undefined ? 'None' : pyLiteral(t.clip)}
L1 = ${pyLiteral(t.l1)}
L2 = ${pyLiteral(t.l2)}
REDUCTION = "${loss.reduction}"
# Targets with this id count for nothing (padding); the mean is over the other positions.
IGNORE_INDEX = ${loss.ignore === undefined ? 'None' : loss.ignore}
PATIENCE = ${es ? es.patience : 'None'}
MIN_DELTA = ${es ? pyLiteral(es.minDelta) : '0.0'}
HERE = os.path.dirname(os.path.abspath(__file__))


class Rng:
    """xoshiro128** seeded through splitmix32: the DLM trainer's generator, bit for bit."""

    def __init__(self, seed):
        x = seed & 0xFFFFFFFF
        s = []
        for _ in range(4):
            x = (x + 0x9E3779B9) & 0xFFFFFFFF
            z = x
            z = ((z ^ (z >> 16)) * 0x85EBCA6B) & 0xFFFFFFFF
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & 0xFFFFFFFF
            s.append(z ^ (z >> 16))
        if not any(s):
            s[0] = 1
        self.s = s
        self.spare = None

    def next_u32(self):
        s0, s1, s2, s3 = self.s
        r = (s1 * 5) & 0xFFFFFFFF
        r = (((r << 7) | (r >> 25)) & 0xFFFFFFFF) * 9 & 0xFFFFFFFF
        t = (s1 << 9) & 0xFFFFFFFF
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 11) | (s3 >> 21)) & 0xFFFFFFFF
        self.s = [s0, s1, s2, s3]
        return r

    def int(self, n):
        limit = 0x100000000 - (0x100000000 % n)
        while True:
            r = self.next_u32()
            if r < limit:
                return r % n

    def uniform(self):
        """Uniform in [0, 1) with 53 random bits."""
        hi = self.next_u32() >> 5
        lo = self.next_u32() >> 6
        return (hi * 67108864 + lo) / 9007199254740992

    def normal(self):
        """N(0, 1) by Box–Muller, the second value of each pair kept for the next call."""
        if self.spare is not None:
            z, self.spare = self.spare, None
            return z
        u = 0.0
        while u == 0.0:
            u = self.uniform()
        v = self.uniform()
        r = math.sqrt(-2 * math.log(u))
        self.spare = r * math.sin(2 * math.pi * v)
        return r * math.cos(2 * math.pi * v)

    def permutation(self, n):
        p = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.int(i + 1)
            p[i], p[j] = p[j], p[i]
        return p


${schedulePy(t, input.lr)}


${loss.body}${
    accuracy
      ? `


def batch_accuracy(out, y):
    """The fraction of predicted positions whose argmax is the label (IGNORE_INDEX left out)."""
    y = y.reshape(out.shape[:-1])
    hit = (out.argmax(-1) == y).float()
    if IGNORE_INDEX is None:
        return hit.mean().item()
    kept = (y != IGNORE_INDEX).float()
    return ((hit * kept).sum() / kept.sum().clamp(min=1)).item()`
      : ''
  }${noise}


def penalty(model):
    """l1·Σ|θ| + ½·l2·Σθ² over the trainable parameters (as the DLM step graph)."""
    total = 0.0
    for p in model.parameters():
        if p.requires_grad:
            if L1:
                total = total + L1 * p.abs().sum()
            if L2:
                total = total + 0.5 * L2 * (p * p).sum()
    return total


def batches(n, batch):
    """[start, end) of each batch (the short last one dropped with drop_last)."""
    out = [(s, min(s + batch, n)) for s in range(0, n, batch)]
    if DROP_LAST and out and out[-1][1] - out[-1][0] < batch:
        out.pop()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--amp", action="store_true", help="mixed precision (float16 on CUDA, bfloat16 on CPU)")
    ap.add_argument("--epochs", type=int, default=EPOCHS)
    ap.add_argument("--batch", type=int, default=BATCH, help="the global batch (split among the processes)")
    ap.add_argument("--max-steps", type=int, default=None, help="stop after this many optimizer steps")
    ap.add_argument("--weights", default=os.path.join(HERE, "weights.safetensors"), help="initial weights")
    ap.add_argument("--out", default=os.path.join(HERE, "run"), help="folder for metrics and checkpoints")
    args = ap.parse_args()

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device(args.device)
    if world > 1:
        if device.type == "cuda":
            device = torch.device("cuda", local_rank)
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", rank=rank, world_size=world)
    torch.manual_seed(SEED)

    data = os.path.join(HERE, "data")
    x_train = torch.from_numpy(np.load(os.path.join(data, "x_train.npy")))
    y_train = torch.from_numpy(np.load(os.path.join(data, "y_train.npy")))
    has_val = os.path.exists(os.path.join(data, "x_val.npy"))
    if has_val:
        x_val = torch.from_numpy(np.load(os.path.join(data, "x_val.npy")))
        y_val = torch.from_numpy(np.load(os.path.join(data, "y_val.npy")))
${input.idsInput && !input.parts ? '    x_train = x_train.long()\n    if has_val:\n        x_val = x_val.long()\n' : ''}
    model = ${cls}()
    model.load_state_dict(load_safetensors(args.weights), strict=True)
    model.to(device)
    net = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(model, device_ids=[local_rank] if device.type == "cuda" else None)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = ${optimizerPy(t, input.lr)}
    scaler = torch.cuda.amp.GradScaler(enabled=args.amp and device.type == "cuda")
    amp_dtype = torch.float16 if device.type == "cuda" else torch.bfloat16

    log = None
    if rank == 0:
        os.makedirs(args.out, exist_ok=True)
        log = open(os.path.join(args.out, "metrics.jsonl"), "a")

    def emit(event):
        if log:
            log.write(json.dumps({"time": int(time.time() * 1000), **event}) + "\\n")
            log.flush()
            # Progress for people on rank 0 (epochs counted from 1; metrics.jsonl keeps 0-based).
            if event["type"] == "epoch":
                parts = [f"epoch {event['epoch'] + 1}/{args.epochs}", f"step {event['step']}", f"train loss {event['trainLoss']:.4f}"]
                for key, label in (("trainAcc", "train acc"), ("valLoss", "val loss"), ("valAcc", "val acc")):
                    if key in event:
                        parts.append(f"{label} {event[key]:.4f}" if "Loss" in key else f"{label} {100 * event[key]:.2f}%")
                print("  ".join(parts), flush=True)
            elif event["type"] == "finished":
                print(f"{event['reason']} after {event['step']} steps; weights in {os.path.join(args.out, 'best.safetensors')}", flush=True)

${unpackPy(input)}    def forward(x):
        """The model's outputs as a tuple of float32 tensors."""
        with torch.autocast(device_type=device.type, dtype=amp_dtype, enabled=args.amp):
            out = net(${input.parts ? '*unpack(x)' : 'x'})
        return tuple(o.float() for o in (out if isinstance(out, tuple) else (out,)))

    emit({"type": "started", "model": ${JSON.stringify(input.model)}, "epochs": args.epochs, "source": "pytorch", "world": world})
    shuffle_rng = Rng(SEED ^ 0x0BADF00D)
    ranges = batches(x_train.shape[0], args.batch)
    step = 0
    best = None
    stale = 0
    reason = "completed"
    epoch = 0
    for epoch in range(args.epochs):
        order = torch.tensor(shuffle_rng.permutation(x_train.shape[0]) if SHUFFLE else list(range(x_train.shape[0])))
        model.train()
        total, count, correct = 0.0, 0, 0
        for s, e in ranges:
            idx = order[s:e]
            # This process's share of the global batch (all of it in one process).
            share = idx[rank::world]
            x = x_train[share].to(device)
            y = ${target === 'x' ? 'x' : 'y_train[share].to(device)'}
            lr = learning_rate(epoch, step)
            for g in optimizer.param_groups:
                g["lr"] = lr
${noise ? '            model_py.NOISE[:] = [n[rank::world].to(device) for n in step_noise(step, e - s)]\n' : ''}            outs = forward(x)
            out = outs[0]
            loss_local, terms = loss_sum(outs, y)
            # A mean divides by the terms of the whole global batch; DDP averages the gradients
            # over the processes, hence the factor world.
            divisor = terms * (e - s) // max(1, share.numel()) if REDUCTION == "mean" else 1
            if REDUCTION == "mean" and IGNORE_INDEX is not None:
                # The kept positions of the whole global batch (at least one, as dlm train).
                kept = torch.tensor(float(terms), device=device)
                if world > 1:
                    dist.all_reduce(kept)
                divisor = max(1.0, kept.item())
            loss = loss_local / divisor * world + penalty(model)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            if CLIP is not None:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(params, CLIP)
            scaler.step(optimizer)
            scaler.update()
            step += 1
            batch_loss = loss_local.detach()
            if world > 1:
                dist.all_reduce(batch_loss)
            batch_loss = batch_loss.item() / divisor
            total += batch_loss * (e - s)
            count += e - s
${accuracy ? '            # Accuracy over every predicted position (one per sample, or one per step).\n            correct += batch_accuracy(out, y) * (e - s)\n' : ''}            emit({"type": "step", "step": step, "epoch": epoch, "loss": batch_loss, "lr": lr})
            if args.max_steps is not None and step >= args.max_steps:
                reason = "stopped"
                break
        event = {"type": "epoch", "epoch": epoch, "step": step, "trainLoss": total / max(1, count)}
${accuracy ? '        event["trainAcc"] = correct / max(1, count)\n' : ''}        if has_val:
            model.eval()
            with torch.no_grad():
                vt, vn, vc = 0.0, 0, 0
                eval_batch = max(args.batch, 256)
                for s in range(0, x_val.shape[0], eval_batch):
                    xb = x_val[s : s + eval_batch].to(device)
                    yb = ${target === 'x' ? 'xb' : 'y_val[s : s + eval_batch].to(device)'}
                    outs = forward(xb)
                    out = outs[0]
                    ls, terms = loss_sum(outs, yb)
                    # As the DLM trainer: each batch's loss weighted by its rows.
                    vt += ls.item() / (max(1, terms) if REDUCTION == "mean" else 1) * xb.shape[0]
                    vn += xb.shape[0]
${accuracy ? '                    vc += batch_accuracy(out, yb) * xb.shape[0]\n' : ''}            event["valLoss"] = vt / max(1, vn)
${accuracy ? '            event["valAcc"] = vc / max(1, x_val.shape[0])\n' : ''}        emit(event)
        monitored = event.get("valLoss", event["trainLoss"])
        if rank == 0:
            save_safetensors(model.state_dict(), os.path.join(args.out, "last.safetensors"), {"step": str(step), "epoch": str(epoch)})
        if best is None or monitored < best - MIN_DELTA:
            best, stale = monitored, 0
            if rank == 0:
                save_safetensors(model.state_dict(), os.path.join(args.out, "best.safetensors"), {"step": str(step), "epoch": str(epoch)})
        else:
            stale += 1
        if reason == "stopped":
            break
        if PATIENCE is not None and stale >= PATIENCE:
            reason = "early_stopping"
            break
    emit({"type": "finished", "reason": reason, "step": step, "epoch": epoch})
    if log:
        log.close()
    if world > 1:
        # Every process gets here before the group goes, and the DDP wrapper (its reducer holds
        # the group) is released first: torch 1.13 can deadlock when the gloo group is destroyed
        # while one of its threads still frees a tensor, which needs the GIL the main thread holds.
        dist.barrier()
        del net
        gc.collect()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
`;
}

/** A float32 or int64 array as a .npy file (format 1.0, C order). */
export function npyBytes(data: Float32Array | Int32Array, shape: readonly number[]): Uint8Array {
  const isInt = data instanceof Int32Array;
  const descr = isInt ? '<i8' : '<f4';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = new TextEncoder().encode(header);
  const body = isInt ? new BigInt64Array(data.length) : new Float32Array(data);
  if (isInt) for (let i = 0; i < data.length; i++) (body as BigInt64Array)[i] = BigInt(data[i]!);
  const out = new Uint8Array(10 + head.length + body.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, head.length, true);
  out.set(head, 10);
  out.set(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), 10 + head.length);
  return out;
}
