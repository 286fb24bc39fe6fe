"""Peak memory of fitting and predicting, beside the size of the caller's data.

Each case runs in a fresh interpreter. It imports what it needs, makes its
data, runs a warm-up (one epoch on the first 20,000 rows, so the
framework's one-off start-up memory and the compilation of the shapes the
measured call uses are not counted), notes the resident set size (RSS),
then runs the measured call while a thread polls the RSS every half
millisecond; the peak also comes from ``getrusage`` when it grew past its
earlier high. The table shows the peak RSS growth during the call and its
ratio to the size of one copy of the caller's X:

* fit (200,000 x 40 float64, validation_split=0.2, 2 epochs): growth vs one
  float32 copy of X, the most skdnn should hold beyond the caller's array.
  skdnn is also fit on 400,000 rows: the difference between the two growths
  is what the fit holds per row of X, free of fixed costs (the framework's
  buffers, blocks of activations). A last skdnn case warms up on 1,000 rows
  only, so its fit also compiles its shapes (XLA, for these large epochs);
* predict_proba (2,000,000 x 40 float64): growth vs one float64 copy of X,
  which a streaming prediction stays well under. ``MLPClassifier`` holds
  every layer's activations for all rows at once (2e6 x 512 float64 is
  8 GB), so it is measured on 200,000 rows, beside skdnn on the same rows.

::

    python benchmarks/bench_memory.py
    python benchmarks/bench_memory.py --quick
"""

from __future__ import annotations

import gc
import os
import resource
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as c
import numpy as np

FIT_ROWS = 200_000
PREDICT_ROWS = 2_000_000
PEER_PREDICT_ROWS = 200_000
FIT_EPOCHS = 2

# name -> (kind, rows, Keras backend)
SKDNN_FIT = "fit, skdnn (TensorFlow backend)"
SKDNN_FIT_TWICE = "fit, skdnn (TensorFlow backend), 400k rows"
# rows of the warm-up epoch: those of the fit benchmark, whose epochs run
# in compiled calls of the shape the measured fits' do
WARM_UP_ROWS = 20_000
CASES = {
    SKDNN_FIT: ("fit-skdnn", FIT_ROWS, "tensorflow"),
    SKDNN_FIT_TWICE: ("fit-skdnn", 2 * FIT_ROWS, "tensorflow"),
    "fit, skdnn (TensorFlow backend), compiling its shapes": (
        "fit-skdnn-cold",
        FIT_ROWS,
        "tensorflow",
    ),
    "fit, skdnn (JAX backend)": ("fit-skdnn", FIT_ROWS, "jax"),
    "fit, sklearn MLPClassifier": ("fit-mlp", FIT_ROWS, "tensorflow"),
    "fit, Keras model.fit(validation_split=0.2)": ("fit-keras", FIT_ROWS, "tensorflow"),
    "predict_proba, skdnn, 2M rows": ("predict-skdnn", PREDICT_ROWS, "tensorflow"),
    "predict_proba, skdnn, 200k rows": (
        "predict-skdnn",
        PEER_PREDICT_ROWS,
        "tensorflow",
    ),
    "predict_proba, sklearn MLPClassifier, 200k rows": (
        "predict-mlp",
        PEER_PREDICT_ROWS,
        "tensorflow",
    ),
}
GOALS = {
    SKDNN_FIT: "<= 1.0x",
    "fit, skdnn (JAX backend)": "<= 1.0x",
    "predict_proba, skdnn, 2M rows": "well under 1.0x",
}


class PeakRSS:
    """Poll this process's RSS in a thread; ``peak`` is the highest seen."""

    def __init__(self, interval: float = 5e-4):
        import psutil

        self._process = psutil.Process()
        self._interval = interval
        self._stop = threading.Event()
        self.peak = self._process.memory_info().rss
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            time.sleep(self._interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)


def max_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def prepare(kind: str, rows: int):
    """The caller's data and the call to measure, after a warm-up."""
    if kind.startswith("fit"):
        X, y = c.make_data(n_samples=rows)
        warm_up = 1_000 if kind == "fit-skdnn-cold" else WARM_UP_ROWS
        X_small, y_small = X[:warm_up], y[:warm_up]
        if kind.startswith("fit-skdnn"):
            c.skdnn_classifier(epochs=1).fit(X_small, y_small)
            return X, lambda: c.skdnn_classifier(epochs=FIT_EPOCHS).fit(X, y)
        if kind == "fit-mlp":
            c.fit_mlp(X_small, y_small, epochs=1)
            return X, lambda: c.fit_mlp(X, y, epochs=FIT_EPOCHS)

        def keras_fit(X, y, epochs):
            model = c.compiled_keras_mlp(X.shape[1])
            model.fit(
                X,
                y,
                validation_split=c.VALIDATION_SPLIT,
                batch_size=c.BATCH_SIZE,
                epochs=epochs,
                verbose=0,
            )

        keras_fit(X_small, y_small, 1)
        return X, lambda: keras_fit(X, y, FIT_EPOCHS)
    X_train, y_train = c.make_data(n_samples=2_000)
    if kind == "predict-skdnn":
        model = c.skdnn_classifier(epochs=1).fit(X_train, y_train)
    else:
        model = c.fit_mlp(X_train, y_train, epochs=1)
    model.predict_proba(X_train)
    X = np.random.default_rng(c.SEED).standard_normal((rows, c.N_FEATURES))
    return X, lambda: model.predict_proba(X)


def child(name: str) -> None:
    kind, rows, _ = CASES[name]
    X, call = prepare(kind, rows)
    gc.collect()
    import psutil

    before = psutil.Process().memory_info().rss
    high_before = max_rss_bytes()
    with PeakRSS() as poll:
        call()
    high_after = max_rss_bytes()
    peak = max(poll.peak, high_after if high_after > high_before else 0)
    c.report({"extra": peak - before, "X_bytes": X.nbytes})


def main() -> None:
    args = c.parse_args(__doc__.splitlines()[0])
    repeat = c.repetitions(args, default=1, quick=1)
    if args.child:
        child(args.child)
        return
    if not c.installed("psutil"):
        print(f"bench_memory needs psutil: {c.SKIPPED}")
        return
    print(f"memory benchmark -- {c.environment()}; {c.load_average()}")
    print(f"each case in a fresh interpreter, {repeat} time(s); median growth shown")
    runs: dict[str, list] = {name: [] for name in CASES}
    for _ in range(repeat):
        for name, (_, _, backend) in CASES.items():
            if not c.backend_available(backend):
                continue
            runs[name].append(
                c.run_child(
                    __file__, name, [], env=c.backend_env(backend, args.threads)
                )
            )
    rows = []
    for name, (kind, _, _) in CASES.items():
        results = runs[name]
        if not results:
            rows.append((name, c.SKIPPED, "", "", ""))
            continue
        failed = [r["error"] for r in results if "error" in r]
        if failed:
            rows.append((name, "failed", "", "", ""))
            print(f"{name} failed: {failed[0]}")
            continue
        extra = c.median([r["extra"] for r in results])
        X_bytes = results[0]["X_bytes"]
        reference = X_bytes / 2 if kind.startswith("fit") else X_bytes
        copy = "float32 X" if kind.startswith("fit") else "float64 X"
        rows.append(
            (
                name,
                f"{extra / 2**20:.0f} MiB",
                f"{reference / 2**20:.0f} MiB ({copy})",
                f"{extra / reference:.2f}x",
                GOALS.get(name, ""),
            )
        )
    c.print_rows(
        f"peak RSS growth during the call ({c.load_average()} at the end)",
        ("", "peak RSS growth", "one copy of X", "ratio", "goal"),
        rows,
    )
    print_per_row(runs[SKDNN_FIT], runs[SKDNN_FIT_TWICE])


def print_per_row(small: list[dict], large: list[dict]) -> None:
    """What skdnn's fit holds per row of X, from its growth at two sizes."""
    if not small or not large or any("error" in r for r in small + large):
        return
    growth = c.median([r["extra"] for r in large]) - c.median(
        [r["extra"] for r in small]
    )
    extra_rows = large[0]["X_bytes"] // (8 * c.N_FEATURES) - small[0]["X_bytes"] // (
        8 * c.N_FEATURES
    )
    per_row = growth / extra_rows
    float32_row = 4 * c.N_FEATURES
    print(
        f"\nskdnn fit, growth per extra row of X: {per_row:.0f} bytes = "
        f"{per_row / float32_row:.2f}x a float32 row ({float32_row} bytes); "
        "goal <= 1.0x"
    )


if __name__ == "__main__":
    main()
