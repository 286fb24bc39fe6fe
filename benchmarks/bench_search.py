"""The design card's grid search, skdnn beside MLPClassifier, as ratios.

``GridSearchCV`` over ``dropout`` 0 / 0.2 / 0.5 x ``batch_size`` 32 / 64 /
128 on ``Pipeline([StandardScaler(), TaperedMLPClassifier()])``, 5-fold,
``scoring="recall"``, on breast_cancer (45 fits and a refit); the peer is
the same search over ``MLPClassifier``'s ``alpha`` 1e-4 / 1e-3 / 1e-2 x the
same batch sizes, both with their default training settings. Each search
runs with ``n_jobs=1`` and with ``n_jobs=2`` (process workers).

A process pays the traces of the grid's architectures once: the first grid
of each ``n_jobs`` is printed on its own ("first grid"), and the median of
the later ones as the steady state of a session that searches again. The
warm-up before them (a small search on other data, hence other
architectures) pays the imports and the workers' start, not those traces.

Each Keras backend runs in its own child process::

    python benchmarks/bench_search.py            # TensorFlow, then JAX
    python benchmarks/bench_search.py --quick    # one later grid
    python benchmarks/bench_search.py --backend tensorflow
"""

from __future__ import annotations

import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as c

SKDNN_GRID = {"clf__dropout": [0.0, 0.2, 0.5], "clf__batch_size": [32, 64, 128]}
MLP_GRID = {"clf__alpha": [1e-4, 1e-3, 1e-2], "clf__batch_size": [32, 64, 128]}
N_SPLITS = 5
GOAL = "<= 0.7x (aim 0.35x)"
# One-epoch fits of the grid's design, timed one by one: what a fit costs
# besides its epochs (the per-fit overhead; goal: at most 50 ms for an
# architecture already traced in the process, read off the median).
OVERHEAD_FITS = 15
OVERHEAD_GOAL = "median <= 50 ms"


def search(estimator, grid, n_jobs: int):
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    pipe = Pipeline([("scaler", StandardScaler()), ("clf", estimator)])
    return GridSearchCV(
        pipe, grid, scoring="recall", cv=N_SPLITS, n_jobs=n_jobs, error_score="raise"
    )


def cases(X, y, n_jobs: int) -> dict:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    from skdnn import TaperedMLPClassifier

    def fit(estimator, grid):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return search(estimator, grid, n_jobs).fit(X, y)

    return {
        c.BASELINE: lambda: fit(MLPClassifier(random_state=c.SEED), MLP_GRID),
        c.SKDNN: lambda: fit(TaperedMLPClassifier(random_state=c.SEED), SKDNN_GRID),
    }


def child(backend: str, repeat: int) -> None:
    import numpy as np
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    # other data, other input width: warms imports and workers, not traces
    rng = np.random.default_rng(c.SEED)
    X_warm, y_warm = rng.normal(size=(120, 7)), np.tile([0, 1], 60)
    result = {"backend": backend, "device": c.keras_device(), "tables": {}}
    for n_jobs in (1, 2):
        for fit in cases(X_warm, y_warm, n_jobs).values():
            fit()
        timed = cases(X, y, n_jobs)
        first = {}
        for name, fit in timed.items():
            start = time.perf_counter()
            fit()
            first[name] = [time.perf_counter() - start]
        later = c.interleaved_times(timed, repeat)
        result["tables"][f"n_jobs={n_jobs}, first grid"] = first
        result["tables"][f"n_jobs={n_jobs}, later grids"] = later
    result["tables"]["one-epoch fit (per-fit overhead)"] = one_epoch_fits(X, y)
    c.report(result)


def one_epoch_fits(X, y) -> dict:
    """Seconds of single one-epoch fits on the scaled rows, interleaved."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    from skdnn import TaperedMLPClassifier

    Xs = StandardScaler().fit_transform(X)

    def fit(estimator):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(Xs, y)

    return c.interleaved_times(
        {
            c.BASELINE: lambda: fit(MLPClassifier(max_iter=1, random_state=c.SEED)),
            c.SKDNN: lambda: fit(
                TaperedMLPClassifier(
                    epochs=1, early_stopping=False, random_state=c.SEED
                )
            ),
        },
        OVERHEAD_FITS,
    )


def main() -> None:
    args = c.parse_args(
        __doc__.splitlines()[0],
        extra=lambda parser: parser.add_argument(
            "--backend",
            choices=["tensorflow", "jax"],
            action="append",
            help="only this Keras backend (repeatable; default: both)",
        ),
    )
    repeat = c.repetitions(args, default=3, quick=1)
    if args.child:
        child(args.child, repeat)
        return

    print(f"search benchmark -- {c.environment()}; {c.load_average()}")
    print(
        f"GridSearchCV, {N_SPLITS}-fold, breast_cancer, scoring='recall'; skdnn "
        f"{SKDNN_GRID}, MLPClassifier {MLP_GRID}; {repeat} later grid(s), "
        "interleaved"
    )
    if args.threads:
        print(f"every library capped at {args.threads} thread(s)")
    for backend in args.backend or ["tensorflow", "jax"]:
        if not c.backend_available(backend):
            print(f"\nsearch, Keras backend {backend}: {c.SKIPPED}")
            continue
        result = c.run_child(
            __file__,
            backend,
            ["--repeat", str(repeat)],
            env=c.backend_env(backend, args.threads),
            timeout=3600,
        )
        if "error" in result:
            print(f"\nsearch, Keras backend {backend}: failed ({result['error']})")
            continue
        for label, times in result["tables"].items():
            what = label if label.startswith("one-epoch") else f"GridSearchCV, {label}"
            c.print_table(
                f"{what}, Keras backend {backend} "
                f"(on {result['device']}; {c.load_average()} at the end)",
                times,
                goals={c.SKDNN: OVERHEAD_GOAL if what == label else GOAL},
            )


if __name__ == "__main__":
    main()
