"""Cheap recording in the workers, aggregation in the orchestrator.

A worker appends floats to ``array('d')`` samples and bumps integer counters;
nothing heavier happens per message. Samples travel to the orchestrator as raw
binary files (one per series per worker) and are merged there.
"""

from __future__ import annotations

import time
from array import array
from collections import Counter
from pathlib import Path
from typing import Any


def now_ms() -> float:
    return time.time() * 1000.0


class Recorder:
    """Per-worker: latency samples by name, per-second counters by name, error counts."""

    def __init__(self, t0: float | None = None) -> None:
        self.t0 = time.time() if t0 is None else t0
        self.samples: dict[str, array[float]] = {}
        # A sample's time (seconds since t0) for the series that are plotted over time.
        self.sample_times: dict[str, array[float]] = {}
        self.per_s: dict[str, array[int]] = {}
        self.errors: Counter[str] = Counter()
        self.counters: Counter[str] = Counter()

    def series(self, name: str, timed: bool = False) -> array[float]:
        s = self.samples.get(name)
        if s is None:
            s = self.samples[name] = array("d")
            if timed:
                self.sample_times[name] = array("d")
        return s

    def add(self, name: str, value_ms: float) -> None:
        s = self.samples.get(name)
        if s is None:
            s = self.samples[name] = array("d")
        s.append(value_ms)

    def add_timed(self, name: str, value_ms: float, at_s: float) -> None:
        s = self.samples.get(name)
        if s is None:
            s = self.samples[name] = array("d")
            self.sample_times[name] = array("d")
        s.append(value_ms)
        self.sample_times[name].append(at_s - self.t0)

    def tick(self, name: str, at_s: float, n: int = 1) -> None:
        sec = int(at_s - self.t0)
        if sec < 0:
            sec = 0
        a = self.per_s.get(name)
        if a is None:
            a = self.per_s[name] = array("q")
        if sec >= len(a):
            a.extend([0] * (sec + 1 - len(a)))
        a[sec] += n

    def error(self, kind: str, n: int = 1) -> None:
        self.errors[kind] += n

    # ------------------------------------------------------------------ transport
    def dump(self, directory: Path, prefix: str) -> dict[str, Any]:
        directory.mkdir(parents=True, exist_ok=True)
        files = {}
        for name, s in self.samples.items():
            path = directory / f"{prefix}.{name}.f64"
            with open(path, "wb") as f:
                s.tofile(f)
            files[name] = str(path)
            if name in self.sample_times:
                tpath = directory / f"{prefix}.{name}.t.f64"
                with open(tpath, "wb") as f:
                    self.sample_times[name].tofile(f)
                files[name + "@t"] = str(tpath)
        return {
            "t0": self.t0,
            "files": files,
            "per_s": {k: list(v) for k, v in self.per_s.items()},
            "errors": dict(self.errors),
            "counters": dict(self.counters),
        }


def load_samples(path: str) -> array[float]:
    a = array("d")
    with open(path, "rb") as f:
        a.frombytes(f.read())
    return a


def percentiles(samples: Any) -> dict[str, float]:
    ordered = sorted(samples)
    n = len(ordered)
    if n == 0:
        return {"n": 0}

    def pick(q: float) -> float:
        return round(ordered[min(n - 1, int(q * n))], 2)

    return {
        "n": n,
        "p50": pick(0.50),
        "p95": pick(0.95),
        "p99": pick(0.99),
        "max": round(ordered[-1], 2),
        "mean": round(sum(ordered) / n, 2),
    }


class Merged:
    """The orchestrator's union of every worker's recorder."""

    def __init__(self, t0: float) -> None:
        self.t0 = t0
        self.samples: dict[str, array[float]] = {}
        self.sample_times: dict[str, array[float]] = {}
        self.per_s: dict[str, list[int]] = {}
        self.errors: Counter[str] = Counter()
        self.counters: Counter[str] = Counter()

    def add_worker(self, dumped: dict[str, Any]) -> None:
        shift = dumped["t0"] - self.t0
        files: dict[str, str] = dumped["files"]
        for name, path in files.items():
            if name.endswith("@t"):
                continue
            self.samples.setdefault(name, array("d")).extend(load_samples(path))
            tpath = files.get(name + "@t")
            if tpath is not None:
                times = load_samples(tpath)
                if shift:
                    times = array("d", (t + shift for t in times))
                self.sample_times.setdefault(name, array("d")).extend(times)
        offset = round(shift)
        for name, counts in dumped["per_s"].items():
            total = self.per_s.setdefault(name, [])
            for i, c in enumerate(counts):
                j = i + offset
                if j < 0:
                    continue
                if j >= len(total):
                    total.extend([0] * (j + 1 - len(total)))
                total[j] += c
        self.errors.update(dumped["errors"])
        self.counters.update(dumped["counters"])
