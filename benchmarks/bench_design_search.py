"""DesignSearchCV against RandomizedSearchCV: best CV score, fits and wall time.

Both searches start from the default design (``TaperedMLPClassifier()``,
or ``TaperedMLPRegressor()`` for a continuous target, behind a
``StandardScaler``; a raw table, as the real sets of
``--loader benchmarks._datasets:design_search_sets`` are, goes to the
estimator as it is, which encodes it itself), score the same folds
(stratified for a classifier) with the same scorer (DesignSearchCV's
default: balanced accuracy for a classifier, R² for a regressor) and cover
the same parameter space: the values DesignSearchCV's moves can
reach from the default design in a few steps (widths halved, doubled, a
layer fewer or more; the dropout and l2 ladders; learning rates a tenth and
three times the default; the slow_down chain of a third and a ninth of the
rate with twice and four times the epochs and patience; batch norm; the
hold-out fraction). The goal (issue 14): DesignSearchCV's best score at or
above RandomizedSearchCV's with ``n_iter=30``, using at most a third of its
fits.

Both best scores are the mean CV score of the design each search picked, so
both carry the optimism of a selection; RandomizedSearchCV's, the maximum of
30 noisy means, carries more. ``--holdout 0.3`` sets a stratified share of
the rows aside first: both searches run on the rest, each refits the design
it picked on the rest, and both designs are scored on the held-out rows,
which neither search saw (the comparison free of the selection's optimism).
``--rescore N`` measures the same thing on the search's own rows: each
picked design is cross-validated again on N fresh splits of them. How much
optimism a best-of-many CV score carries, ``--seed-lottery`` shows: it
cross-validates the unchanged starting design under as many seeds as the
random search has candidates, so no candidate is better than another and
the best of their scores is luck alone.

Usage::

    python benchmarks/bench_design_search.py                 # every bundled set
    python benchmarks/bench_design_search.py --datasets breast_cancer,wine
    python benchmarks/bench_design_search.py --quick         # 3 folds, 30 epochs
    python benchmarks/bench_design_search.py --n-iter 3x     # 3 x DesignSearch's
    python benchmarks/bench_design_search.py --cv 3 \
        --loader benchmarks._datasets:design_search_sets    # 7 real sets
    python benchmarks/bench_design_search.py --random-cache .random  # reuse
    python benchmarks/bench_design_search.py --holdout 0.3   # + held-out scores
    python benchmarks/bench_design_search.py --rescore 3     # + fresh folds
    python benchmarks/bench_design_search.py --seed-lottery  # + luck's best

``--loader module:function`` names a function returning a dict of data-set
name to ``(X, y)``; ``--datasets`` then picks from its names. A numeric
target is a regression task by ``skdnn train``'s rule (numbers not all
whole, or more distinct whole numbers than class labels have).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SEED = 0
#: Part of every cache key: raise it when a change to how networks train
#: (not a parameter the key holds) makes the cached searches stale.
#: 2: a new network's output bias starts at the class prior (2026-12-07).
TRAINING_VERSION = 2


def bundled_datasets() -> dict:
    """scikit-learn's bundled sets and a generated imbalanced one, lazily."""
    from sklearn import datasets

    def imbalanced():
        return datasets.make_classification(
            n_samples=1000,
            n_features=20,
            n_informative=6,
            weights=[0.9, 0.1],
            flip_y=0.02,
            random_state=SEED,
        )

    return {
        "breast_cancer": lambda: datasets.load_breast_cancer(return_X_y=True),
        "wine": lambda: datasets.load_wine(return_X_y=True),
        "digits": lambda: datasets.load_digits(return_X_y=True),
        "imbalanced": imbalanced,
    }


def load_datasets(loader: str | None) -> dict:
    if loader is None:
        return bundled_datasets()
    module, _, function = loader.partition(":")
    if not function:
        raise SystemExit(f"--loader must be module:function, got {loader!r}")
    sys.path.insert(0, os.getcwd())
    loaded = getattr(importlib.import_module(module), function)()
    return {name: (lambda data=data: data) for name, data in loaded.items()}


def is_regression(y) -> bool:
    """Whether ``y`` is a regression target, by ``skdnn train``'s rule.

    Numbers that are not all whole, or whole numbers with more distinct
    values than the command line's class labels may have (prices, counts:
    scikit-learn reads diabetes's whole-number target as 214 classes).
    """
    import numpy as np
    from sklearn.utils.multiclass import type_of_target

    from skdnn._cli import reads_as_continuous

    values = np.asarray(y)
    if values.ndim != 1:
        return type_of_target(values) == "continuous-multioutput"
    return reads_as_continuous(values)


def design_space(n_features: int, *, epochs: int, patience: int) -> dict:
    """The values the moves reach from the default design, as lists."""
    from skdnn import TaperedMLPClassifier, tapered_widths
    from skdnn._moves import (
        DROPOUT_STEPS,
        L2_STEPS,
        SLOW_DOWN_FACTOR,
        VALIDATION_SPLIT_STEPS,
        scaled_rate,
    )

    default = TaperedMLPClassifier()
    widths = tapered_widths(
        n_features,
        first_units=default.first_units,
        taper=default.taper,
        n_layers=default.n_layers,
        min_units=default.min_units,
    )
    shapes = {widths}
    for factor in (0.25, 0.5, 2):
        shapes.add(tuple(max(4, round(w * factor)) for w in widths))
    shapes.add(widths[:-1] or widths)
    shapes.add((*widths, max(4, widths[-1] // 2)))
    rate = default.learning_rate
    # the rates the moves reach: tripled, cut ten-fold, and the slow_down
    # chain (a third, then a ninth, with twice and four times the epochs
    # and patience)
    slowed = [scaled_rate(rate, 1 / SLOW_DOWN_FACTOR)]
    slowed.append(scaled_rate(slowed[0], 1 / SLOW_DOWN_FACTOR))
    return {
        "hidden_layer_sizes": sorted(shapes),
        # the ladders' rungs, and the finer ones they had before (a superset
        # for the random search, and the space its cached results cover)
        "dropout": sorted({*DROPOUT_STEPS, 0.0, 0.1, 0.2, 0.3, 0.5}),
        "l2": sorted({*L2_STEPS, 0.0, 1e-4, 1e-3, 1e-2}),
        "learning_rate": sorted({rate / 10, *slowed, rate, rate * 3}),
        "epochs": [epochs, 2 * epochs, 4 * epochs],
        "patience": [patience, 2 * patience, 4 * patience],
        "batch_norm": [False, True],
        "validation_split": list(VALIDATION_SPLIT_STEPS),
    }


def run_one(name, X, y, args) -> dict:
    from sklearn.base import clone
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from skdnn import DesignSearchCV, TaperedMLPClassifier, TaperedMLPRegressor

    regression = is_regression(y)
    X_test = y_test = None
    if args.holdout:
        X, X_test, y, y_test = train_test_split(
            X,
            y,
            test_size=args.holdout,
            stratify=None if regression else y,
            random_state=SEED,
        )
    net = (TaperedMLPRegressor if regression else TaperedMLPClassifier)(
        random_state=SEED
    )
    if args.epochs:
        net.set_params(epochs=args.epochs)
    if hasattr(X, "columns"):  # a raw table: the estimator encodes it
        from skdnn import TabularPreprocessor

        pipe = Pipeline([("net", net)])
        pre = TabularPreprocessor().fit(X)
        # the width the automatic widths follow, as the estimator reads it
        n_features = pre._n_own_features()
    else:
        pipe = Pipeline([("scale", StandardScaler()), ("net", net)])
        n_features = X.shape[1]
    folds = _folds(regression, args.cv, SEED)
    start = time.perf_counter()
    design = DesignSearchCV(
        pipe,
        cv=folds,
        max_rounds=args.max_rounds,
        refit=bool(args.holdout),
        random_state=SEED,
        n_jobs=args.n_jobs,
    ).fit(X, y)
    design_time = time.perf_counter() - start
    design_test = None
    if args.holdout:
        design_time -= design.refit_time_  # the search's time, as random's
        design_test = float(design.scorer_(design.best_estimator_, X_test, y_test))

    n_candidates = len(design.path_)
    n_iter = 3 * n_candidates if args.n_iter == "3x" else int(args.n_iter)
    space = design_space(n_features, epochs=net.epochs, patience=net.patience)
    # the starting design's parameters are in the key: a change of the
    # defaults makes the cached random searches stale
    cache_key = _cache_key(
        (name, X.shape, args.cv, n_iter, args.epochs, SEED, space), net, args
    )
    random = _read_cache(args.random_cache, cache_key)
    if random is None:
        start = time.perf_counter()
        space = {f"net__{key}": values for key, values in space.items()}
        search = _random_search(pipe, space, n_iter, design.scorer_, folds, args)
        search.fit(X, y)
        random = {
            "best_score": float(search.best_score_),
            "time": time.perf_counter() - start,
            "best_params": {k: repr(v) for k, v in search.best_params_.items()},
            "test_score": None,
        }
        if args.holdout:
            best = clone(pipe).set_params(**search.best_params_).fit(X, y)
            random["test_score"] = float(design.scorer_(best, X_test, y_test))
        _write_cache(args.random_cache, cache_key, random)
    lottery = None
    if args.seed_lottery:
        lottery = _seed_lottery(
            pipe, X, y, folds, design.scorer_, n_iter, args, X_test, y_test
        )
    rescored = None
    if args.rescore:
        import ast

        picked = {
            "start": {},
            "design": design.best_params_,
            "random": {
                k: ast.literal_eval(v) for k, v in random["best_params"].items()
            },
        }
        rescored = _rescore(pipe, X, y, picked, design.scorer_, args, regression)
    accepted = design.path_[design.path_["accepted"]]
    return {
        "dataset": name,
        "task": "regression" if regression else "classification",
        "rows": X.shape[0],
        "design_score": design.best_score_,
        "random_score": random["best_score"],
        "design_test": design_test,
        "random_test": random.get("test_score"),
        "design_fits": design.n_fits_,
        "random_fits": n_iter * args.cv,
        "design_time": design_time,
        "random_time": random["time"],
        "path": " > ".join(accepted["move"]),
        "random_best": ", ".join(
            f"{k.removeprefix('net__')}={v}" for k, v in random["best_params"].items()
        ),
        "verdict": design.best_diagnosis_.verdict,
        "stop": design.stop_reason_,
        "lottery": lottery,
        "rescored": rescored,
    }


def _folds(regression: bool, n_splits: int, seed: int):
    """Shuffled folds: stratified for a classifier, plain for a regressor."""
    from sklearn.model_selection import KFold, StratifiedKFold

    split = KFold if regression else StratifiedKFold
    return split(n_splits, shuffle=True, random_state=seed)


def _rescore(pipe, X, y, picked: dict, scorer, args, regression=False) -> dict:
    """The starting design and each search's pick, cross-validated on fresh folds.

    ``args.rescore`` new splits of the same rows (``args.cv`` folds each,
    stratified for a classifier, shuffled with seeds 1, 2, ...; the
    searches used seed 0):
    the mean score is the CV figure of the picked design without the luck
    of the folds it was picked on. Returns the mean per search name.
    """
    import numpy as np
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_score

    scores = {}
    for name, params in picked.items():
        net = clone(pipe).set_params(**params)
        runs = [
            cross_val_score(
                net,
                X,
                y,
                cv=_folds(regression, args.cv, SEED + k),
                scoring=scorer,
                n_jobs=args.n_jobs,
                error_score=float("nan"),
            )
            for k in range(1, args.rescore + 1)
        ]
        scores[name] = float(np.mean(runs))
    return scores


def _seed_lottery(pipe, X, y, folds, scorer, n_iter, args, X_test, y_test) -> dict:
    """The starting design under ``n_iter`` seeds: what luck alone scores.

    RandomizedSearchCV over the network's ``random_state`` only, on the same
    folds and scorer as the two searches, with as many candidates as the
    random search: every candidate is the same design, so the spread of
    their CV scores is the fold noise of one design, and the best of them
    is the optimism a search that picks the maximum of that many noisy
    means is granted without any design being better. Cached like the
    random search (its key names the lottery). With ``--holdout``, the best
    seed's design is refitted on the search's rows and scored on the
    held-out ones (``test``), where its luck is gone.
    """
    import numpy as np
    from sklearn.base import clone

    key = _cache_key(
        ("seed lottery", X.shape, args.cv, n_iter, args.epochs, SEED), pipe, args
    )
    stored = _read_cache(args.random_cache, key)
    if stored is not None:
        return stored
    start = time.perf_counter()
    seeds = {"net__random_state": list(range(1, 1_000_001))}
    search = _random_search(pipe, seeds, n_iter, scorer, folds, args).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    result = {
        "best": float(np.nanmax(scores)),
        "median": float(np.nanmedian(scores)),
        "std": float(np.nanstd(scores)),
        "time": time.perf_counter() - start,
        "test": None,
    }
    if X_test is not None:
        seed = search.cv_results_["params"][int(np.nanargmax(scores))]
        best = clone(pipe).set_params(**seed).fit(X, y)
        result["test"] = float(scorer(best, X_test, y_test))
    _write_cache(args.random_cache, key, result)
    return result


def _random_search(pipe, space: dict, n_iter: int, scorer, folds, args):
    """The benchmark's RandomizedSearchCV over ``space``, not yet fitted.

    Seeded, on the given folds and scorer, without a refit; a failed fit
    scores NaN rather than stopping the run.
    """
    from sklearn.model_selection import RandomizedSearchCV

    return RandomizedSearchCV(
        pipe,
        space,
        n_iter=n_iter,
        scoring=scorer,
        cv=folds,
        refit=False,
        random_state=SEED,
        n_jobs=args.n_jobs,
        error_score=float("nan"),
    )


def _cache_key(parts: tuple, estimator, args) -> str:
    """The cache key of a search: ``parts``, then the starting design's
    parameters (a change of the defaults makes cached searches stale), the
    hold-out share and, past version 1, ``TRAINING_VERSION``."""
    defaults = sorted((k, repr(v)) for k, v in estimator.get_params().items())
    return repr(
        (*parts, defaults)
        + ((args.holdout,) if args.holdout else ())
        + ((TRAINING_VERSION,) if TRAINING_VERSION > 1 else ())
    )


def _cache_path(folder, key) -> str:
    import hashlib

    return os.path.join(folder, hashlib.sha256(key.encode()).hexdigest()[:16] + ".json")


def _read_cache(folder, key) -> dict | None:
    """A result stored by an earlier run under ``key``, or None.

    The dict as written, less its key. A random search's has
    ``best_score``, ``time`` (seconds), ``best_params`` (each value as its
    repr) and ``test_score`` (its design's score on the held-out rows, or
    None without ``--holdout``); a seed lottery's is the dict
    ``_seed_lottery`` returns.

    The random search does not depend on DesignSearchCV's code: a run that
    changes only the search's moves may reuse it (its time is the stored
    one, measured in that earlier run).
    """
    import json

    if not folder:
        return None
    path = _cache_path(folder, key)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        stored = json.load(f)
    stored.pop("key", None)
    return stored


def _write_cache(folder, key, result: dict) -> None:
    import json

    if not folder:
        return
    os.makedirs(folder, exist_ok=True)
    with open(_cache_path(folder, key), "w") as f:
        json.dump({"key": key, **result}, f, indent=1)


def print_table(rows: list[dict]) -> None:
    header = (
        f"{'data set':<15}{'rows':>6}{'design':>9}{'random':>9}{'diff':>8}"
        f"{'fits':>6}{'r.fits':>7}{'fit ratio':>10}{'time s':>8}{'r.time s':>9}"
        f"{'time ratio':>11}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['dataset']:<15}{r['rows']:>6}{r['design_score']:>9.4f}"
            f"{r['random_score']:>9.4f}{r['design_score'] - r['random_score']:>+8.4f}"
            f"{r['design_fits']:>6}{r['random_fits']:>7}"
            f"{r['design_fits'] / r['random_fits']:>10.2f}"
            f"{r['design_time']:>8.0f}{r['random_time']:>9.0f}"
            f"{r['design_time'] / r['random_time']:>11.2f}"
        )
    tested = [r for r in rows if r["design_test"] is not None]
    if tested:
        print()
        print(f"{'held-out rows':<15}{'design':>9}{'random':>9}{'diff':>8}")
        for r in tested:
            diff = r["design_test"] - r["random_test"]
            print(
                f"{r['dataset']:<15}{r['design_test']:>9.4f}"
                f"{r['random_test']:>9.4f}{diff:>+8.4f}"
            )
    if len(rows) > 1:
        n = len(rows)
        mean = {
            k: sum(r[k] for r in rows) / n for k in ("design_score", "random_score")
        }
        print(
            f"mean CV score: design {mean['design_score']:.4f}, "
            f"random {mean['random_score']:.4f}"
        )
        if len(tested) == n:
            means = [
                sum(r[k] for r in rows) / n for k in ("design_test", "random_test")
            ]
            print(f"mean held-out score: design {means[0]:.4f}, random {means[1]:.4f}")
    rescored = [r for r in rows if r.get("rescored")]
    if rescored:
        print()
        print(f"{'fresh folds':<15}{'start':>9}{'design':>9}{'random':>9}{'diff':>8}")
        for r in rescored:
            o, d, q = (r["rescored"][k] for k in ("start", "design", "random"))
            print(f"{r['dataset']:<15}{o:>9.4f}{d:>9.4f}{q:>9.4f}{d - q:>+8.4f}")
        if len(rescored) > 1:
            n = len(rescored)
            o, d, q = (
                sum(r["rescored"][k] for r in rescored) / n
                for k in ("start", "design", "random")
            )
            print(f"mean on fresh folds: start {o:.4f}, design {d:.4f}, random {q:.4f}")
    lotteries = [r for r in rows if r.get("lottery")]
    if lotteries:
        print()
        print(
            f"{'seed lottery':<15}{'median':>9}{'std':>8}{'best':>9}"
            f"{'design':>9}{'random':>9}{'best, held out':>16}"
        )
        for r in lotteries:
            lot = r["lottery"]
            print(
                f"{r['dataset']:<15}{lot['median']:>9.4f}{lot['std']:>8.4f}"
                f"{lot['best']:>9.4f}{r['design_score']:>9.4f}{r['random_score']:>9.4f}"
                + (f"{lot['test']:>16.4f}" if lot.get("test") is not None else "")
            )
        if len(lotteries) > 1:
            n = len(lotteries)
            means = [
                sum(r["lottery"]["median"] for r in lotteries) / n,
                sum(r["lottery"]["best"] for r in lotteries) / n,
            ]
            tests = [r["lottery"].get("test") for r in lotteries]
            print(
                f"mean: the start design's median seed {means[0]:.4f}, its best "
                f"seed {means[1]:.4f}"
                + (
                    f" ({sum(tests) / n:.4f} on the held-out rows)"
                    if None not in tests
                    else ""
                )
            )
    print()
    for r in rows:
        task = " (regression, scored by R²)" * (r.get("task") == "regression")
        print(
            f"{r['dataset']}{task}: accepted {r['path']}; final verdict {r['verdict']}"
        )
        print(f"  {r['stop']}")
        print(f"  random's best: {r['random_best']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", help="comma-separated names (default: all)")
    parser.add_argument("--loader", help="module:function returning {name: (X, y)}")
    parser.add_argument("--cv", type=int, default=5, help="folds (default 5)")
    parser.add_argument(
        "--n-iter", default="30", help="RandomizedSearchCV's n_iter, or '3x'"
    )
    parser.add_argument("--max-rounds", type=int, default=8)
    parser.add_argument(
        "--epochs", type=int, default=None, help="cap the default design's epochs"
    )
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument(
        "--random-cache",
        help="folder keeping RandomizedSearchCV's results between runs (keyed "
        "by data set, folds, n_iter, epochs, space, defaults and "
        "TRAINING_VERSION): a run that changes only DesignSearchCV reuses them",
    )
    parser.add_argument(
        "--holdout",
        type=float,
        default=0.0,
        help="share of the rows set aside (stratified) to score both searches' "
        "refitted designs on rows neither saw (default 0: CV scores only)",
    )
    parser.add_argument(
        "--rescore",
        type=int,
        default=0,
        metavar="N",
        help="cross-validate each search's picked design again on N fresh "
        "splits of the same rows (seeds 1..N) and print the mean: the CV "
        "figure without the luck of the folds it was picked on (default 0)",
    )
    parser.add_argument(
        "--seed-lottery",
        action="store_true",
        help="also cross-validate the starting design under as many seeds as "
        "the random search has candidates, and print the best and median of "
        "their CV scores: what picking the best of that many noisy means "
        "scores when no design is better",
    )
    parser.add_argument(
        "--quick", action="store_true", help="3 folds and 30 epochs: a smoke run"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.cv, args.epochs = 3, args.epochs or 30
    available = load_datasets(args.loader)
    names = args.datasets.split(",") if args.datasets else list(available)
    unknown = [name for name in names if name not in available]
    if unknown:
        raise SystemExit(f"unknown data sets {unknown}; known: {list(available)}")
    print(
        f"folds {args.cv}, n_iter {args.n_iter}, max_rounds {args.max_rounds}, "
        f"epochs {args.epochs or 'default (200, early stopping)'}; scorer "
        "balanced accuracy (R² for a continuous target); both searches on the "
        "same folds"
        + (f"; {args.holdout:g} of the rows held out" if args.holdout else "")
    )
    rows, failed = [], {}
    for name in names:
        try:
            X, y = available[name]()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rows.append(run_one(name, X, y, args))
        except Exception as exc:  # one set's failure leaves the others' figures
            failed[name] = f"{type(exc).__name__}: {exc}"
            print(f"{name}: failed: {failed[name]}\n", flush=True)
            continue
        print_table(rows[-1:])
        print(flush=True)
    tasks = list(dict.fromkeys(r["task"] for r in rows))
    for task in tasks:  # a mean of R² and balanced accuracy would mean nothing
        group = [r for r in rows if r["task"] == task]
        if len(group) > 1:
            print("all data sets" + (f", {task}" if len(tasks) > 1 else ""))
            print_table(group)
    for name, error in failed.items():
        print(f"{name}: failed: {error}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
