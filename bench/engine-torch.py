"""PyTorch reference for bench/engine.ts: the same three workloads, one thread, random data.

    /usr/bin/python3 bench/engine-torch.py [--workload mlp|cnn|gru ...] [--runs 5] [--target-seconds 1.5]

Prints one JSON line in the shape bench/engine.ts reads. Needs Debian's python3-torch with
libopenblas0-pthread (with the reference BLAS PyTorch is ~20x slower on the MLP).
"""

import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp():
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    x = torch.rand(1024, 784)
    y = torch.randint(0, 10, (1024,))
    return 128, model, x, y, F.cross_entropy


def cnn():
    # Same shapes as the tfjs model: 'valid' 3x3 convs, 28 -> 26 -> 13 -> 11 -> 5, 5*5*64 = 1600.
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10),
    )
    x = torch.rand(1024, 1, 28, 28)
    y = torch.randint(0, 10, (1024,))
    return 128, model, x, y, F.cross_entropy


class SeqModel(nn.Module):
    def __init__(self, vocab=5000):
        super().__init__()
        self.embed = nn.Embedding(vocab, 100)
        self.gru = nn.GRU(100, 96, batch_first=True)
        self.out = nn.Linear(96, vocab)

    def forward(self, tokens):
        h, _ = self.gru(self.embed(tokens))
        return self.out(h)


def gru():
    vocab = 5000
    model = SeqModel(vocab)
    x = torch.randint(0, vocab, (256, 30))
    y = torch.randint(0, vocab, (256, 30))

    def loss(logits, target):
        return F.cross_entropy(logits.reshape(-1, vocab), target.reshape(-1))

    return 64, model, x, y, loss


WORKLOADS = {"mlp": mlp, "cnn": cnn, "gru": gru}


def run(name, runs, target_seconds):
    batch, model, x, y, loss_fn = WORKLOADS[name]()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    n = x.shape[0]

    def step():
        idx = torch.randint(0, n, (batch,), generator=gen)
        opt.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        loss.item()

    step()
    t0 = time.perf_counter()
    step()
    step_seconds = time.perf_counter() - t0
    steps_per_run = max(1, round(target_seconds / step_seconds))
    results = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(steps_per_run):
            step()
        results.append(steps_per_run * batch / (time.perf_counter() - start))
    print(f"  pytorch 1 thread {name}: {statistics.median(results):.0f} ex/s", file=sys.stderr)
    return {
        "workload": name,
        "examplesPerSecond": statistics.median(results),
        "runs": results,
        "stepsPerRun": steps_per_run,
        "batchSize": batch,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--target-seconds", type=float, default=1.5)
    parser.add_argument("--workload", choices=sorted(WORKLOADS), action="append")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    results = [run(name, args.runs, args.target_seconds) for name in (args.workload or WORKLOADS)]
    print(json.dumps({"config": "pytorch 1 thread", "backend": f"torch {torch.__version__}", "results": results}))


if __name__ == "__main__":
    main()
