"""CIFAR-10 image classifiers (MLP or CNN) as a pbt trainable in PyTorch (examples/pytorch-cifar10/README.md).

--model mlp (default): the model of pbt's built-in image-classification task, ReLU hidden layers
of one width. --model cnn: the CNN of bench/engine.ts (conv32-pool-conv64-pool-dense) on 32x32x3
images, `width` units in its dense layer. Both: L1 penalty on the kernels, Adam, batch 128;
tuned: l1, lr, width. Score: accuracy on 5,000 held-out training images; metric test_accuracy on
a fixed 2,000-image test subset.

    pbt run experiment.yaml                 # under pbt (this file is the trainable)
    /usr/bin/python3 train.py --bench 300   # PyTorch alone: steps/s of the same training loop
    train.py --synthetic                    # a tiny generated data set instead of CIFAR-10 (tests)

Data: --data PATH, else $PBT_DATA_DIR/cifar-10-binary.tar.gz (or the extracted
cifar-10-batches-bin/ folder), else ~/.cache/pbt/datasets/ — the places pbt itself looks.
"""

import argparse
import io
import os
import sys
import tarfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import pbt_trainable

BATCH = 128
HIDDEN_LAYERS = 2
VALIDATION = 5000
TEST_SUBSET = 2000
RECORD = 1 + 32 * 32 * 3


def find_cifar10(explicit=None):
    places = []
    if explicit:
        places.append(explicit)
    for base in filter(None, [os.environ.get("PBT_DATA_DIR"),
                              os.path.join(os.path.expanduser("~"), ".cache", "pbt", "datasets")]):
        places += [os.path.join(base, "cifar-10-binary.tar.gz"), os.path.join(base, "cifar-10-batches-bin")]
    for p in places:
        if os.path.exists(p):
            return p
    sys.exit("CIFAR-10 not found (looked at %s): pass --data PATH or set PBT_DATA_DIR" % ", ".join(places))


def read_cifar10(path):
    """(train images uint8 [50000, 3072] CHW, labels), (test images, labels)."""
    names = ["data_batch_%d.bin" % i for i in range(1, 6)] + ["test_batch.bin"]
    blobs = {}
    if os.path.isdir(path):
        for n in names:
            with open(os.path.join(path, n), "rb") as f:
                blobs[n] = f.read()
    else:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar.getmembers():
                base = os.path.basename(member.name)
                if base in names:
                    blobs[base] = tar.extractfile(member).read()

    def parse(data):
        rec = np.frombuffer(data, dtype=np.uint8).reshape(-1, RECORD)
        return rec[:, 1:], rec[:, 0].astype(np.int64)

    train = [parse(blobs[n]) for n in names[:5]]
    return (np.concatenate([t[0] for t in train]), np.concatenate([t[1] for t in train])), parse(blobs["test_batch.bin"])


def synthetic_cifar10():
    """A tiny CIFAR-shaped data set for tests: each class brightens its own image block, so the
    labels are learnable in a few steps; the same arrays every time (seed 0)."""
    rng = np.random.RandomState(0)

    def make(n):
        y = rng.randint(0, 10, n)
        x = rng.randint(0, 128, (n, 3, 32, 32))
        for k in range(10):
            x[y == k, k % 3, (k // 3) * 8:(k // 3) * 8 + 8, :] += 127
        return x.reshape(n, -1).astype(np.uint8), y.astype(np.int64)

    return make(1024 + VALIDATION_SYNTHETIC), make(256)


VALIDATION_SYNTHETIC = 256


class Data:
    """Normalised tensors: train part, validation part (held out, seed 0) and a test subset."""

    def __init__(self, path, synthetic=False):
        (x, y), (tx, ty) = synthetic_cifar10() if synthetic else read_cifar10(path)
        validation = VALIDATION_SYNTHETIC if synthetic else VALIDATION
        order = np.random.RandomState(0).permutation(len(x))
        val, tr = order[:validation], order[validation:]
        xf = torch.from_numpy(x[tr].astype(np.float32) / 255).view(-1, 3, 1024)
        mean, std = xf.mean(dim=(0, 2), keepdim=True), xf.std(dim=(0, 2), keepdim=True)

        def norm(a):
            return ((torch.from_numpy(a.astype(np.float32) / 255).view(-1, 3, 1024) - mean) / std).reshape(len(a), -1)

        self.x, self.y = norm(x[tr]), torch.from_numpy(y[tr])
        self.vx, self.vy = norm(x[val]), torch.from_numpy(y[val])
        sub = np.random.RandomState(0).permutation(len(tx))[:TEST_SUBSET]
        self.tx, self.ty = norm(tx[sub]), torch.from_numpy(ty[sub])


def mlp(width):
    layers, fan_in = [], 3072
    for _ in range(HIDDEN_LAYERS):
        layers += [nn.Linear(fan_in, width), nn.ReLU()]
        fan_in = width
    layers.append(nn.Linear(fan_in, 10))
    return nn.Sequential(*layers)


def cnn(width):
    # bench/engine.ts's CNN on 32x32x3: 'valid' 3x3 convs, 32 -> 30 -> 15 -> 13 -> 6, 6*6*64 = 2304.
    return nn.Sequential(
        nn.Unflatten(1, (3, 32, 32)),
        nn.Conv2d(3, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(2304, width), nn.ReLU(), nn.Linear(width, 10),
    )


MODELS = {"mlp": mlp, "cnn": cnn}


def width_of(model):
    """The tuned width: the first dense layer's units (the MLP's hidden layers, the CNN's dense)."""
    return next(m for m in model if isinstance(m, nn.Linear)).out_features


def kernels(model):
    return [m.weight for m in model if isinstance(m, (nn.Linear, nn.Conv2d))]


def resized(build, model, opt, width, lr):
    """A model of another width keeping the overlapping weights and Adam moments (new units start
    at zero outgoing weight, so widening keeps the function; narrowing drops the last units)."""
    new = build(width)
    new_opt = torch.optim.Adam(new.parameters(), lr=lr)
    old_state = opt.state_dict()["state"]
    with torch.no_grad():
        for i, (p_old, p_new) in enumerate(zip(model.parameters(), new.parameters())):
            sl = tuple(slice(0, min(a, b)) for a, b in zip(p_old.shape, p_new.shape))
            if p_new.dim() == 2 and p_new.shape[1] > p_old.shape[1]:
                p_new[:, p_old.shape[1]:] = 0  # no signal from new units yet
            p_new[sl] = p_old[sl]
            if i in old_state:
                st = {"step": old_state[i]["step"]}
                for k in ("exp_avg", "exp_avg_sq"):
                    t = torch.zeros_like(p_new)
                    t[sl] = old_state[i][k][sl]
                    st[k] = t
                new_opt.state[p_new] = st
    return new, new_opt


class Cifar10Classifier(pbt_trainable.Trainable):
    def __init__(self, data, model="mlp"):
        self.data = data
        self.build = MODELS[model]

    def setup(self, hparams, seed):
        torch.manual_seed(seed)
        self.model = self.build(int(hparams["width"]))
        self.opt = torch.optim.Adam(self.model.parameters(), lr=hparams["lr"])
        self.gen = torch.Generator().manual_seed(seed)

    def apply(self, hparams):
        width = int(hparams["width"])
        if width != width_of(self.model):
            print("width %d -> %d" % (width_of(self.model), width))
            self.model, self.opt = resized(self.build, self.model, self.opt, width, hparams["lr"])
        for group in self.opt.param_groups:
            group["lr"] = hparams["lr"]

    def train(self, steps, hparams):
        self.apply(hparams)
        l1 = hparams["l1"]
        x, y = self.data.x, self.data.y
        self.model.train()
        for _ in range(steps):
            idx = torch.randint(0, len(x), (BATCH,), generator=self.gen)
            loss = F.cross_entropy(self.model(x[idx]), y[idx])
            loss = loss + l1 * sum(w.abs().sum() for w in kernels(self.model))
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()

    def accuracy(self, x, y):
        self.model.eval()
        with torch.no_grad():
            return (self.model(x).argmax(dim=1) == y).float().mean().item()

    def evaluate(self):
        return {"score": self.accuracy(self.data.vx, self.data.vy),
                "test_accuracy": self.accuracy(self.data.tx, self.data.ty)}

    def save(self, path):
        torch.save({"width": width_of(self.model), "model": self.model.state_dict(),
                    "opt": self.opt.state_dict(), "gen": self.gen.get_state()}, path)

    def load(self, path, hparams, seed):
        ck = torch.load(path)
        self.model = self.build(ck["width"])
        self.model.load_state_dict(ck["model"])
        self.opt = torch.optim.Adam(self.model.parameters(), lr=hparams["lr"])
        self.opt.load_state_dict(ck["opt"])
        # Copied weights continue with this member's own batch order, not the donor's.
        self.gen = torch.Generator().manual_seed(seed)
        self.apply(hparams)


# The hand-set hyperparameters: experiment.yaml's `fixed` and the benchmarks' (bench/engine.ts's
# CNN has 128 dense units).
DEFAULT_HPARAMS = {"mlp": {"l1": 1e-5, "lr": 1e-3, "width": 256},
                   "cnn": {"l1": 1e-5, "lr": 1e-3, "width": 128}}


def bench(trainable, h, steps, runs, serve_runs=False):
    """PyTorch alone: the same setup and training loop, no protocol. Prints JSON (median of runs).
    With serve_runs, times one run of N steps per line "N" read on stdin instead (so that a
    benchmark can interleave these runs with others on a busy machine)."""
    import json
    import statistics
    trainable.setup(h, 0)
    trainable.train(20, h)  # warm-up

    def timed(n):
        t0 = time.perf_counter()
        trainable.train(n, h)
        return n / (time.perf_counter() - t0)

    if serve_runs:
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            print(json.dumps({"stepsPerSecond": timed(int(line))}), flush=True)
        return
    rates = [timed(steps) for _ in range(runs)]
    print(json.dumps({"steps": steps, "runs": rates, "stepsPerSecond": statistics.median(rates)}))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=sorted(MODELS), default="mlp", help="network (default mlp)")
    ap.add_argument("--data", help="CIFAR-10 archive or cifar-10-batches-bin folder")
    ap.add_argument("--synthetic", action="store_true",
                    help="a tiny generated CIFAR-shaped data set instead of CIFAR-10 (for tests)")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("PBT_TORCH_THREADS", "1")),
                    help="PyTorch threads per process (default 1: one worker process per core)")
    ap.add_argument("--bench", type=int, metavar="STEPS", help="time STEPS training steps without pbt")
    ap.add_argument("--runs", type=int, default=3, help="with --bench: timed runs (median reported)")
    ap.add_argument("--bench-server", action="store_true",
                    help="time one run per line N on stdin (for bench/trainable-throughput.ts)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    data = Data(None, synthetic=True) if args.synthetic else Data(find_cifar10(args.data))
    print("%s loaded in %.1f s: %d train, %d validation, %d test; model %s" % (
        "synthetic data" if args.synthetic else "CIFAR-10", time.perf_counter() - t0,
        len(data.x), len(data.vx), len(data.tx), args.model), file=sys.stderr)
    trainable = Cifar10Classifier(data, args.model)
    if args.bench or args.bench_server:
        bench(trainable, DEFAULT_HPARAMS[args.model], args.bench, args.runs, args.bench_server)
    else:
        pbt_trainable.serve(trainable)
