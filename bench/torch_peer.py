"""PyTorch CPU peer for bench/train.bench.ts: the same three models, one SGD training step each.

Run by the benchmark with Debian's interpreter (python3-torch 1.13):
    /usr/bin/python3 bench/torch_peer.py '{"threads": 2, "min_ms": 1500}'
Prints one JSON object: {"torch": version, "threads": n, "results": {model: ms_per_step}}.
"""
import json
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F


def mlp():
    m = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    x = torch.randn(128, 784)
    y = torch.randint(0, 10, (128,))
    return m, lambda: F.cross_entropy(m(x), y)


def lenet():
    m = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )
    x = torch.randn(64, 1, 28, 28)
    y = torch.randint(0, 10, (64,))
    return m, lambda: F.cross_entropy(m(x), y)


class CharLSTM(nn.Module):
    def __init__(self, vocab=64, emb=64, hidden=128):
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x):
        h, _ = self.lstm(self.emb(x))
        return self.out(h)


def charlstm():
    m = CharLSTM()
    x = torch.randint(0, 64, (32, 64))
    y = torch.randint(0, 64, (32, 64))
    return m, lambda: F.cross_entropy(m(x).reshape(-1, 64), y.reshape(-1))


def bench(make, min_ms):
    m, loss_fn = make()
    opt = torch.optim.SGD(m.parameters(), lr=0.01)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        opt.step()

    for _ in range(5):
        step()
    times = []
    t0 = time.perf_counter()
    while (time.perf_counter() - t0) * 1000 < min_ms or len(times) < 10:
        t = time.perf_counter()
        step()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return times[len(times) // 2]


def main():
    cfg = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    threads = int(cfg.get("threads", 2))
    torch.set_num_threads(threads)
    min_ms = float(cfg.get("min_ms", 1500))
    models = {"mlp": mlp, "lenet": lenet, "charlstm": charlstm}
    wanted = cfg.get("models", list(models))
    results = {k: bench(models[k], min_ms) for k in wanted}
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}))


if __name__ == "__main__":
    main()
