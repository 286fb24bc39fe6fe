"""Helpers shared by the benchmark scripts.

Every script measures skdnn beside its peers in the same process and the same
run, repetitions interleaved (each repetition runs every peer once, in a
rotated order), and prints medians as ratios against scikit-learn's
``MLPClassifier`` measured alongside: on a shared, noisy machine a ratio from
one run means something, an absolute time from another day does not.

The Keras backend is fixed when Keras is imported, so each backend runs in a
fresh child process (the script itself, with ``--child``) that prints its
measurements as one JSON line; the parent process prints the tables.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable

# The configuration of issue 6: the tuned design of the seed notes.
N_SAMPLES = 20_000
N_FEATURES = 40
HIDDEN_LAYER_SIZES = (512, 128, 32, 18)
DROPOUT = 0.5
BATCH_SIZE = 64
EPOCHS = 15
VALIDATION_SPLIT = 0.2
SEED = 0

BASELINE = "sklearn MLPClassifier"
# the peers measured by both bench_fit.py and bench_predict.py
SKDNN = "skdnn TaperedMLPClassifier"
SCIKERAS = "scikeras KerasClassifier"
SKORCH = "skorch NeuralNetClassifier (torch)"
SKIPPED = "skipped (not installed)"
_RESULT_PREFIX = "BENCH-RESULT "


# ----------------------------------------------------------------------------
# Data and models
# ----------------------------------------------------------------------------


def make_data(n_samples: int = N_SAMPLES, n_features: int = N_FEATURES):
    """Binary ``make_classification`` data, float64, seeded."""
    from sklearn.datasets import make_classification

    return make_classification(
        n_samples=n_samples, n_features=n_features, random_state=SEED
    )


def split(X, y):
    """The stratified 80/20 train/validation split the peers train on."""
    from sklearn.model_selection import train_test_split

    return train_test_split(
        X, y, test_size=VALIDATION_SPLIT, stratify=y, random_state=SEED
    )


def skdnn_classifier(epochs: int = EPOCHS):
    """The benchmarked ``TaperedMLPClassifier``: the peer's network, so its
    input is the columns alone (no quantile bins, which widen the first
    layer's input ninefold) and its activation ReLU, as ``MLPClassifier``'s
    (the default SiLU costs a sigmoid per unit)."""
    from skdnn import TaperedMLPClassifier

    return TaperedMLPClassifier(
        hidden_layer_sizes=HIDDEN_LAYER_SIZES,
        activation="relu",
        numeric_bins=None,
        dropout=DROPOUT,
        batch_size=BATCH_SIZE,
        epochs=epochs,
        early_stopping=False,
        validation_split=VALIDATION_SPLIT,
        random_state=SEED,
    )


def mlp_classifier(epochs: int = EPOCHS):
    """scikit-learn's ``MLPClassifier`` with the same widths, batch and epochs."""
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(
        HIDDEN_LAYER_SIZES,
        batch_size=BATCH_SIZE,
        max_iter=epochs,
        early_stopping=False,
        n_iter_no_change=10**9,
        tol=0,
        random_state=SEED,
    )


def fit_mlp(X, y, epochs: int = EPOCHS):
    """Fit ``mlp_classifier``, silencing its expected ConvergenceWarning."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return mlp_classifier(epochs).fit(X, y)


def keras_mlp(n_features: int = N_FEATURES):
    """The same network written in plain Keras: uncompiled, one sigmoid output."""
    import keras

    inputs = keras.Input(shape=(n_features,))
    x = inputs
    for units in HIDDEN_LAYER_SIZES:
        x = keras.layers.Dense(
            units, activation="relu", kernel_initializer="he_normal"
        )(x)
        x = keras.layers.Dropout(DROPOUT)(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs)


def compiled_keras_mlp(n_features: int = N_FEATURES, **compile_kwargs):
    """``keras_mlp`` compiled with Adam and binary cross-entropy."""
    import keras

    model = keras_mlp(n_features)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        loss="binary_crossentropy",
        metrics=["accuracy"],
        **compile_kwargs,
    )
    return model


def torch_mlp(n_features: int = N_FEATURES):
    """The same network in PyTorch, returning two logits (for skorch)."""
    from torch import nn

    layers: list = []
    width = n_features
    for units in HIDDEN_LAYER_SIZES:
        layers += [nn.Linear(width, units), nn.ReLU(), nn.Dropout(DROPOUT)]
        width = units
    layers.append(nn.Linear(width, 2))
    return nn.Sequential(*layers)


def installed(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    return importlib.util.find_spec(module) is not None


def import_torch_first() -> None:
    """Import PyTorch (and its compiler, which its optimisers load) first.

    With TensorFlow 2.21 already loaded, importing ``torch._dynamo`` (as
    ``torch.optim.Adam`` does) crashed the process with a segmentation
    fault here, for PyTorch 2.13 and 2.14; imported first, both run side by
    side.
    """
    if installed("torch"):
        import torch._dynamo  # noqa: F401


# ----------------------------------------------------------------------------
# Timing
# ----------------------------------------------------------------------------


def interleaved_times(
    cases: dict[str, Callable[[], object]],
    repeat: int,
    calls: dict[str, int] | None = None,
) -> dict[str, list[float]]:
    """Wall-clock seconds of each call of each case, repetitions interleaved.

    Each of the ``repeat`` rounds runs every case (``calls[name]`` times in a
    row, once by default), starting one case further along each round, so
    the load of a noisy machine spreads over all cases alike.
    """
    names = list(cases)
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(repeat):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            fn = cases[name]
            for _ in range((calls or {}).get(name, 1)):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    return times


def calls_per_round(fn: Callable[[], object], seconds: float, most: int) -> int:
    """How many calls of ``fn`` fill about ``seconds`` (at least 1)."""
    fn()  # warm
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    return max(1, min(most, int(seconds / once)))


def median(values: list[float]) -> float:
    return statistics.median(values)


# ----------------------------------------------------------------------------
# Tables
# ----------------------------------------------------------------------------


def format_seconds(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def print_table(
    title: str,
    results: dict[str, list[float] | str],
    *,
    baseline: str = BASELINE,
    goals: dict[str, str] | None = None,
    column: str = "median",
) -> None:
    """Print one table: name, median, ratio to ``baseline``, goal, count.

    ``results`` maps a name to its measurements in seconds, or to a string
    (such as ``SKIPPED``) printed in their place.
    """
    goals = goals or {}
    base = results.get(baseline)
    base_median = median(base) if isinstance(base, list) and base else None
    rows = []
    for name, values in results.items():
        if isinstance(values, str):
            rows.append((name, values, "", goals.get(name, ""), ""))
            continue
        value = median(values)
        ratio = f"{value / base_median:.2f}x" if base_median else ""
        rows.append(
            (name, format_seconds(value), ratio, goals.get(name, ""), str(len(values)))
        )
    print_rows(title, ("", column, f"ratio vs {baseline}", "goal", "n"), rows)


def print_rows(title: str, header: tuple[str, ...], rows: list[tuple]) -> None:
    """Print a titled plain-text table, the first column left-aligned."""
    rows = [header, *rows]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    print(f"\n{title}")
    print("-" * len(title))
    for i, row in enumerate(rows):
        cells = [str(row[0]).ljust(widths[0])]
        pairs = zip(row[1:], widths[1:], strict=True)
        cells += [str(cell).rjust(width) for cell, width in pairs]
        print("  ".join(cells).rstrip())
        if i == 0:
            print("  ".join("-" * width for width in widths))
    sys.stdout.flush()


def environment() -> str:
    """One line naming the machine and the versions that matter here."""
    from importlib.metadata import PackageNotFoundError, version

    parts = [f"Python {platform.python_version()}", f"{os.cpu_count()} CPUs"]
    for name in ("skdnn", "scikit-learn", "keras", "tensorflow", "jax", "numpy"):
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            pass
    return ", ".join(parts)


def load_average() -> str:
    """The 1-minute load average: above the number of CPUs, others compete."""
    if not hasattr(os, "getloadavg"):
        return "load average unknown"
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"


# ----------------------------------------------------------------------------
# Child processes, one per backend (or per memory case)
# ----------------------------------------------------------------------------


def parse_args(description: str, *, extra: Callable | None = None):
    """The options every script takes (``--quick``, ``--repeat``, children)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick", action="store_true", help="fewer repetitions (a smoke run)"
    )
    parser.add_argument(
        "--repeat", type=int, default=None, help="repetitions (overrides --quick)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="cap every library's threads (default: each library's own choice)",
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    if extra is not None:
        extra(parser)
    return parser.parse_args()


def repetitions(args, default: int, quick: int) -> int:
    if args.repeat is not None:
        return max(1, args.repeat)
    return quick if args.quick else default


def report(result: dict) -> None:
    """Print a child's measurements as the one line ``run_child`` reads."""
    print(_RESULT_PREFIX + json.dumps(result), flush=True)


def run_child(
    script: str,
    child: str,
    args: list[str],
    *,
    env: dict[str, str] | None = None,
    timeout: float = 900,
) -> dict:
    """Run ``script --child CHILD ARGS`` in a fresh interpreter; its result.

    Returns ``{"error": message}`` when the child fails, so one broken peer
    does not hide the others' numbers.
    """
    child_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    command = [sys.executable, script, "--child", child, *args]
    try:
        done = subprocess.run(
            command,
            env=child_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(_RESULT_PREFIX):
            return json.loads(line[len(_RESULT_PREFIX) :])
    tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
    return {"error": f"exit status {done.returncode}\n{tail}"}


def backend_env(backend: str, threads: int | None = None) -> dict[str, str]:
    """Environment of a child: its Keras backend, and optionally its threads.

    ``"tensorflow-cpu"`` is TensorFlow with the GPUs hidden. ``threads``
    caps the thread pools of every library (BLAS, OpenMP, TensorFlow, XLA):
    on a machine whose cores other jobs are using, a library spinning two
    threads on one free core slows down far more than one that uses one.
    """
    env = {"KERAS_BACKEND": backend.removesuffix("-cpu")}
    if backend.endswith("-cpu"):
        env["CUDA_VISIBLE_DEVICES"] = "-1"
    if threads:
        n = str(threads)
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = n
        env["TF_NUM_INTRAOP_THREADS"] = env["TF_NUM_INTEROP_THREADS"] = n
        if threads == 1:
            env["XLA_FLAGS"] = (
                "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
            )
    return env


def backend_available(backend: str) -> bool:
    return installed("jax") if backend == "jax" else installed("tensorflow")


def keras_device() -> str:
    """What the Keras backend of this process computes on."""
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        return f"GPU x{len(gpus)}" if gpus else "CPU"
    if keras.backend.backend() == "jax":
        import jax

        return jax.devices()[0].platform.upper()
    return "?"
