#!/usr/bin/python3
"""Optuna's RDB storage on PostgreSQL as a reference for bench/store.ts: trials per second with a
no-op objective and N worker processes sharing one study.

    /usr/bin/python3 bench/optuna-store.py --url postgres://postgres@127.0.0.1:5432/test \
        [--workers 8] [--seconds 10]

Uses Debian's python3-optuna and python3-psycopg2 (apt-get install python3-optuna
python3-psycopg2). Each trial is ask() + suggest_float + tell(), the storage round trips of one
optimize() iteration. RandomSampler, so the time is the storage's, not TPE's (whose cost grows
with the number of trials). The tables go into a private schema that is dropped at the end.
Prints one JSON line.
"""
import argparse
import json
import multiprocessing as mp
import os
import time
from urllib.parse import urlsplit, urlunsplit

import optuna
import psycopg2


def sqlalchemy_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("postgresql+psycopg2", parts.netloc, parts.path, "", ""))


def storage_for(url: str, schema: str) -> optuna.storages.RDBStorage:
    return optuna.storages.RDBStorage(
        sqlalchemy_url(url),
        engine_kwargs={"connect_args": {"options": f"-csearch_path={schema}"}},
    )


def worker(url: str, schema: str, study: str, start_at: float, end_at: float, out) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    s = optuna.load_study(
        study_name=study, storage=storage_for(url, schema), sampler=optuna.samplers.RandomSampler()
    )
    latencies = []
    while time.time() < end_at:
        measuring = time.time() >= start_at
        t0 = time.perf_counter()
        trial = s.ask()
        x = trial.suggest_float("x", 0.0, 1.0)
        s.tell(trial, x)
        if measuring:
            latencies.append((time.perf_counter() - t0) * 1000)
    out.put(latencies)


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()

    schema = f"pbt_optuna_bench_{os.getpid()}"
    admin = psycopg2.connect(args.url)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE SCHEMA {schema}")
    try:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        optuna.create_study(study_name="bench", storage=storage_for(args.url, schema))
        queue = mp.get_context("fork").Queue()
        start_at = time.time() + 5.0  # time for every process to connect (warm-up until then)
        end_at = start_at + args.seconds
        procs = [
            mp.get_context("fork").Process(
                target=worker, args=(args.url, schema, "bench", start_at, end_at, queue)
            )
            for _ in range(args.workers)
        ]
        load_before = os.getloadavg()
        for p in procs:
            p.start()
        samples = [queue.get() for _ in procs]
        for p in procs:
            p.join()
        load_after = os.getloadavg()
        latencies = sorted(x for s in samples for x in s)
        print(
            json.dumps(
                {
                    "optuna": optuna.__version__,
                    "storage": "RDBStorage, PostgreSQL via psycopg2 " + psycopg2.__version__.split()[0],
                    "sampler": "RandomSampler",
                    "workers": args.workers,
                    "seconds": args.seconds,
                    "trialsPerSecond": round(len(latencies) / args.seconds, 1),
                    "trialMs": {
                        "p50": round(percentile(latencies, 50), 2),
                        "p99": round(percentile(latencies, 99), 2),
                        "max": round(latencies[-1], 2) if latencies else None,
                    },
                    "loadAverageBefore": [round(x, 2) for x in load_before],
                    "loadAverageAfter": [round(x, 2) for x in load_after],
                }
            )
        )
    finally:
        admin.cursor().execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()


if __name__ == "__main__":
    main()
