"""Checks exported PyTorch projects (test/unit/pytorch-export.test.ts): for each case directory
given, import its model.py, load weights.safetensors with strict=True, count parameters, run the
forward pass on the inputs of io.safetensors and compare with our eval graph's outputs.
Prints one JSON line per case."""
import importlib.util
import json
import os
import sys

import numpy as np
import torch

torch.set_grad_enabled(False)


def check(case):
    with open(os.path.join(case, "meta.json")) as f:
        meta = json.load(f)
    spec = importlib.util.spec_from_file_location("model_" + os.path.basename(case), os.path.join(case, "model.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    model = getattr(mod, meta["class"])()
    weights = mod.load_safetensors(os.path.join(case, "weights.safetensors"))
    model.load_state_dict(weights, strict=True)
    model.eval()
    keys = sorted(model.state_dict().keys())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
    params = {id(p) for p in model.parameters()}
    buffers = sum(t.numel() for k, t in model.state_dict().items() if id(t) not in params and not any(t is p for p in model.parameters()))
    non_trainable = frozen + sum(
        b.numel() for name, b in model.named_buffers() if name in model.state_dict()
    )
    io = mod.load_safetensors(os.path.join(case, "io.safetensors"))
    xs = [io["in:%d" % k] for k in range(meta["inputs"])]
    ys = model(*xs)
    if not isinstance(ys, (tuple, list)):
        ys = (ys,)
    worst = 0.0
    shapes = []
    for k, y in enumerate(ys):
        want = io["out:%d" % k].double()
        got = y.double()
        shapes.append(list(got.shape))
        if got.shape != want.shape:
            worst = float("inf")
            continue
        err = ((got - want).abs() / (1e-5 + 1e-5 * want.abs())).max().item()
        worst = max(worst, err)
    del buffers
    return {"case": os.path.basename(case), "keys": keys, "trainable": trainable,
            "non_trainable": non_trainable, "worst": worst, "shapes": shapes}


for case in sys.argv[1:]:
    try:
        print(json.dumps(check(case)), flush=True)
    except Exception as e:  # reported per case
        print(json.dumps({"case": os.path.basename(case), "error": "%s: %s" % (type(e).__name__, e)}), flush=True)
