"""pbt trainable helper: run a training script under pbt (protocol: docs/protocol.md).

Single file, standard library only. pbt puts this folder on PYTHONPATH of every trainable it
starts, so `import pbt_trainable` works without installing anything.

    import pbt_trainable

    class MyTrainable(pbt_trainable.Trainable):
        def setup(self, hparams, seed): ...        # a fresh member
        def train(self, steps, hparams): ...       # hparams may have changed since the last call
        def evaluate(self): return {"score": accuracy, "loss": loss}   # score is maximised
        def save(self, path): ...                  # write everything needed to continue
        def load(self, path, hparams, seed): ...   # restore (possibly another member's) state

    if __name__ == "__main__":
        pbt_trainable.serve(MyTrainable())

`print` goes to the member's log. The process exits when pbt closes stdin or its parent dies.
"""

import json
import math
import os
import sys
import threading
import time
import traceback

PROTOCOL_VERSION = 1
PREFIX = "@pbt "

__all__ = ["Trainable", "serve", "PROTOCOL_VERSION"]


class Trainable:
    """Subclass and implement the five methods. `member` and `step` say who and where it is."""

    member = None
    step = 0

    def setup(self, hparams, seed):
        raise NotImplementedError("setup(hparams, seed): build a fresh model")

    def train(self, steps, hparams):
        raise NotImplementedError("train(steps, hparams): train `steps` steps")

    def evaluate(self):
        raise NotImplementedError('evaluate(): return {"score": ...}')

    def save(self, path):
        raise NotImplementedError("save(path): write the state to path")

    def load(self, path, hparams, seed):
        raise NotImplementedError("load(path, hparams, seed): restore the state from path")


def _metric(value):
    value = float(value)  # numpy / torch scalars too
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _watch_parent():
    # A busy trainable does not read stdin, so it would not see pbt die: poll the parent.
    parent = os.getppid()
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(1)


def _handle(trainable, request):
    op = request.get("op")
    if op == "init":
        trainable.member, trainable.step = request["member"], request["step"]
        trainable.setup(request["hparams"], request["seed"])
    elif op == "load":
        trainable.member, trainable.step = request["member"], request["step"]
        trainable.load(request["path"], request["hparams"], request["seed"])
    elif op == "train":
        trainable.member, trainable.step = request["member"], request["step"]
        trainable.train(request["steps"], request["hparams"])
        trainable.step += request["steps"]
    elif op == "evaluate":
        trainable.member, trainable.step = request["member"], request["step"]
        metrics = trainable.evaluate()
        if not isinstance(metrics, dict) or "score" not in metrics:
            raise TypeError('evaluate() must return a dict with a "score", e.g. {"score": 0.9}')
        return {"metrics": {str(k): _metric(v) for k, v in metrics.items()}}
    elif op == "save":
        trainable.save(request["path"])
    elif op == "shutdown":
        pass
    else:
        raise ValueError("unknown op %r (this helper speaks protocol %d)" % (op, PROTOCOL_VERSION))
    return {}


def serve(trainable, stdin=None, stdout=None):
    """Answer pbt's requests until shutdown or end of input. Pass an instance (or a class)."""
    if isinstance(trainable, type):
        trainable = trainable()
    if stdout is None:
        # Keep the real stdout for protocol lines; everything printed goes to stderr (the log),
        # C extensions writing to fd 1 included.
        stdout = os.fdopen(os.dup(1), "w", buffering=1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
    if stdin is None:
        stdin = sys.stdin
    threading.Thread(target=_watch_parent, daemon=True).start()
    for line in stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        reply = {"v": PROTOCOL_VERSION, "id": request.get("id")}
        if request.get("v") != PROTOCOL_VERSION:
            reply.update(ok=False, error="pbt speaks protocol %r; this helper speaks %d: update one of them" % (request.get("v"), PROTOCOL_VERSION))
        else:
            try:
                reply.update(ok=True, **_handle(trainable, request))
            except Exception as err:  # reported to pbt, which fails this ready point
                traceback.print_exc(file=sys.stderr)
                reply.update(ok=False, error="%s: %s" % (type(err).__name__, err))
        stdout.write(PREFIX + json.dumps(reply, allow_nan=False) + "\n")
        stdout.flush()
        if request.get("op") == "shutdown":
            return
