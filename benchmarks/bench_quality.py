"""Held-out quality of skdnn's defaults beside peer defaults, on real tables.

Every model sees the same folds (3-fold stratified CV for classification,
shuffled ``KFold`` for regression) behind the same standard
``ColumnTransformer``: median imputation and ``StandardScaler`` for numeric
columns, most-frequent imputation and ``OneHotEncoder(handle_unknown=
"ignore")`` for the others. The data sets are listed in ``_datasets.py``;
all of them are read from installed packages, nothing is downloaded.

Classification: balanced accuracy, recall of the rarest class, ROC AUC
(one-vs-rest macro for multiclass), log loss. Regression: R². Both: fit
time, and its ratio to scikit-learn's MLP fitted in the same run on the
same folds. Results go to a CSV, one row per task, model and fold::

    python benchmarks/bench_quality.py --list
    python benchmarks/bench_quality.py --quick
    python benchmarks/bench_quality.py --task-type classification \\
        --skdnn-set class_weight=balanced \\
        --skdnn-set "adamw:class_weight=balanced,optimizer=adamw"
    python benchmarks/bench_quality.py --tasks credit,oj --models skdnn,hgb --raw
"""

from __future__ import annotations

import argparse
import ast
import csv
import math
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as c

MODEL_KEYS = ("skdnn", "mlp", "hgb", "linear", "catboost", "realmlp")
BASELINE_KEY = "mlp"
METRICS = {
    "classification": ("balanced_accuracy", "minority_recall", "roc_auc", "log_loss"),
    "regression": ("r2",),
}
# The issue-15 goal: no task's ROC AUC more than this below the best of the
# strong peer defaults on that task.
AUC_GAP = 0.03
STRONG_PEERS = ("HGB", "CatBoost", "RealMLP-TD")


# ----------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------


class Model:
    """A named model factory; ``make(task_type)`` returns an estimator or None."""

    def __init__(self, name, key, make, *, skdnn=False, missing=""):
        self.name, self.key, self.make, self.skdnn = name, key, make, skdnn
        self.missing = missing


def parse_setting(text: str) -> tuple[str, dict]:
    """``"label:k=v,k2=v2"`` (label optional) -> (name, params).

    Values are Python literals where they parse (``0.2``, ``None``,
    ``(64, 32)``), strings otherwise (``balanced``).
    """
    label, _, spec = text.rpartition(":") if ":" in text else ("", "", text)
    params = {}
    for part in filter(None, _split_top_level(spec)):
        key, sep, value = part.partition("=")
        if not sep:
            raise SystemExit(f"--skdnn-set: expected key=value, got {part!r}")
        try:
            params[key.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            params[key.strip()] = value.strip()
    return f"skdnn {label or spec}", params


def _split_top_level(spec: str) -> list[str]:
    """Split on commas outside brackets, so ``hidden_layer_sizes=(64,32)`` holds."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(spec):
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            parts.append(spec[start:i])
            start = i + 1
    parts.append(spec[start:])
    return parts


def build_models(args) -> list[Model]:
    # --models "" keeps only the --skdnn-set variants
    keys = (
        list(MODEL_KEYS)
        if args.models is None
        else list(filter(None, args.models.split(",")))
    )
    unknown = set(keys) - set(MODEL_KEYS)
    if unknown:
        raise SystemExit(
            f"--models: unknown {sorted(unknown)}; choose from {MODEL_KEYS}"
        )
    seed, threads = args.random_state, args.threads
    models = []
    if "skdnn" in keys:
        models.append(_skdnn_model("skdnn", {}, seed))
    for text in args.skdnn_set:
        name, params = parse_setting(text)
        models.append(_skdnn_model(name, params, seed))
    if "mlp" in keys:
        models.append(Model("MLP", "mlp", lambda t: _mlp(t, seed)))
    if "hgb" in keys:
        models.append(Model("HGB", "hgb", lambda t: _hgb(t, seed)))
    if "linear" in keys:
        models.append(Model("linear", "linear", _linear))
    if "catboost" in keys:
        models.append(
            Model(
                "CatBoost",
                "catboost",
                lambda t: _catboost(t, seed, threads),
                missing="" if c.installed("catboost") else "pip install catboost",
            )
        )
    if "realmlp" in keys:
        models.append(
            Model(
                "RealMLP-TD",
                "realmlp",
                lambda t: _realmlp(t, seed, threads),
                missing="" if c.installed("pytabkit") else "pip install pytabkit",
            )
        )
    return models


def _skdnn_model(name, params, seed):
    def make(task_type):
        import skdnn

        cls_name = (
            "TaperedMLPClassifier"
            if task_type == "classification"
            else "TaperedMLPRegressor"
        )
        cls = getattr(skdnn, cls_name, None)
        if cls is None:
            return None
        return cls(**{"random_state": seed, **params})

    return Model(name, "skdnn", make, skdnn=True)


def _mlp(task_type, seed):
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    if task_type == "classification":
        return MLPClassifier(random_state=seed)
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import StandardScaler

    # the target scaled, as a careful user of MLPRegressor does
    return TransformedTargetRegressor(
        regressor=MLPRegressor(random_state=seed), transformer=StandardScaler()
    )


def _hgb(task_type, seed):
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )

    if task_type == "classification":
        return HistGradientBoostingClassifier(random_state=seed)
    return HistGradientBoostingRegressor(random_state=seed)


def _linear(task_type):
    from sklearn.linear_model import LogisticRegression, RidgeCV

    if task_type == "classification":
        return LogisticRegression(max_iter=1000)
    return RidgeCV()


def _catboost(task_type, seed, threads):
    import catboost

    cls = (
        catboost.CatBoostClassifier
        if task_type == "classification"
        else catboost.CatBoostRegressor
    )
    return cls(
        random_seed=seed,
        verbose=0,
        thread_count=threads or -1,
        allow_writing_files=False,
    )


def _realmlp(task_type, seed, threads):
    from pytabkit import RealMLP_TD_Classifier, RealMLP_TD_Regressor

    cls = (
        RealMLP_TD_Classifier if task_type == "classification" else RealMLP_TD_Regressor
    )
    return cls(random_state=seed, n_threads=threads or None, device="cpu")


def preprocessor(numeric, categorical):
    """The standard ColumnTransformer every model sits behind."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    return ColumnTransformer(
        [
            (
                "num",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                numeric,
            ),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                categorical,
            ),
        ]
    )


# ----------------------------------------------------------------------------
# Scoring one fold
# ----------------------------------------------------------------------------


def score_classifier(estimator, X_test, y_test, minority) -> dict:
    import numpy as np
    from sklearn.metrics import (
        balanced_accuracy_score,
        log_loss,
        recall_score,
        roc_auc_score,
    )

    classes = list(estimator.classes_)
    proba = np.asarray(estimator.predict_proba(X_test), dtype=float)
    pred = estimator.predict(X_test)
    if len(classes) == 2:
        auc = roc_auc_score(np.asarray(y_test) == classes[1], proba[:, 1])
    else:
        # rows renormalised: float32 outputs can sum to 1 +- 1e-7
        proba_n = proba / proba.sum(axis=1, keepdims=True)
        auc = roc_auc_score(
            y_test, proba_n, multi_class="ovr", average="macro", labels=classes
        )
    return {
        "balanced_accuracy": balanced_accuracy_score(y_test, pred),
        "minority_recall": recall_score(
            y_test, pred, labels=[minority], average=None, zero_division=0
        )[0],
        "roc_auc": auc,
        "log_loss": log_loss(y_test, proba, labels=classes),
    }


def score_regressor(estimator, X_test, y_test) -> dict:
    from sklearn.metrics import r2_score

    return {"r2": r2_score(y_test, estimator.predict(X_test))}


def run_task(task, models, args, write_row) -> None:
    import _datasets as d
    from sklearn.base import clone
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import KFold, StratifiedKFold
    from sklearn.pipeline import make_pipeline

    X, y = task.load(max_rows=args.max_rows, random_state=args.random_state)
    categorical = d.categorical_columns(X)
    numeric = [col for col in X.columns if col not in categorical]
    is_clf = task.task_type == d.CLASSIFICATION
    splitter = (StratifiedKFold if is_clf else KFold)(
        n_splits=args.folds, shuffle=True, random_state=args.random_state
    )
    minority = y.value_counts().idxmin() if is_clf else None
    folds = list(splitter.split(X, y))
    for model in models:
        why = model.missing
        try:
            template = None if why else model.make(task.task_type)
        except TypeError as exc:  # a variant's parameter this estimator lacks
            template, why = None, str(exc)
        base = {
            "task": task.name,
            "task_type": task.task_type,
            "model": model.name,
            "n_classes": y.nunique() if is_clf else None,
        }
        if template is None:
            why = why or f"no {task.task_type} estimator in skdnn"
            write_row({**base, "fold": "", "error": f"skipped ({why})"})
            continue
        raw = args.raw and model.skdnn
        for fold, (train, test) in enumerate(folds):
            estimator = clone(template)
            if not raw:
                estimator = make_pipeline(preprocessor(numeric, categorical), estimator)
            X_train, X_test = X.iloc[train], X.iloc[test]
            y_train, y_test = y.iloc[train], y.iloc[test]
            row = {**base, "fold": fold, "n_train": len(train), "n_test": len(test)}
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    start = time.perf_counter()
                    estimator.fit(X_train, y_train)
                    row["fit_s"] = time.perf_counter() - start
                if is_clf:
                    row.update(score_classifier(estimator, X_test, y_test, minority))
                else:
                    row.update(score_regressor(estimator, X_test, y_test))
            except Exception as exc:  # one failing model must not hide the rest
                row["error"] = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
            write_row(row)
        done = [r for r in _ROWS if r["task"] == task.name and r["model"] == model.name]
        print(_progress_line(task.name, model.name, done), flush=True)


# ----------------------------------------------------------------------------
# Tables
# ----------------------------------------------------------------------------

_ROWS: list[dict] = []


def _progress_line(task, model, rows):
    ok = [r for r in rows if "error" not in r]
    if not ok:
        return (
            f"  {task:<22} {model:<28} {rows[0].get('error', 'error') if rows else ''}"
        )
    keys = [k for k in ("balanced_accuracy", "roc_auc", "log_loss", "r2") if k in ok[0]]
    parts = [f"{k}={_mean([r[k] for r in ok]):.3f}" for k in keys]
    parts.append(f"fit={_mean([r['fit_s'] for r in ok]):.1f}s")
    return f"  {task:<22} {model:<28} " + " ".join(parts)


def _mean(values):
    values = [v for v in values if v is not None and not math.isnan(v)]
    return sum(values) / len(values) if values else math.nan


def summarise(rows, task_type):
    """{(task, model): {metric: mean over folds}} for complete fits only."""
    out = {}
    for r in rows:
        if r["task_type"] != task_type:
            continue
        cell = out.setdefault((r["task"], r["model"]), {"_n": 0, "_err": ""})
        if "error" in r:
            cell["_err"] = r["error"]
            continue
        cell["_n"] += 1
        for key, value in r.items():
            if isinstance(value, float):
                cell.setdefault(key, []).append(value)
    return {
        key: {m: (_mean(v) if isinstance(v, list) else v) for m, v in cell.items()}
        for key, cell in out.items()
    }


def print_tables(rows, task_type, model_names, folds):
    summary = summarise(rows, task_type)
    tasks = list(dict.fromkeys(r["task"] for r in rows if r["task_type"] == task_type))
    if not tasks:
        return
    names = [
        m for m in model_names if any(summary.get((t, m), {}).get("_n") for t in tasks)
    ]
    if not names:
        return
    baseline = "MLP" if "MLP" in names else names[0]
    for t in tasks:  # fit time as a ratio to the baseline on the same folds
        base = summary.get((t, baseline), {}).get("fit_s")
        for m in names:
            cell = summary.get((t, m), {})
            if base and "fit_s" in cell:
                cell["fit_ratio"] = cell["fit_s"] / base

    def value(t, m, metric):
        cell = summary.get((t, m), {})
        if cell.get("_n", 0) < folds:
            return None
        return cell.get(metric)

    def fmt(v, metric):
        if v is None:
            return "-"
        if metric == "fit_s":
            return f"{v:.1f}"
        if metric == "fit_ratio":
            return f"{v:.2f}x"
        return f"{v:.3f}"

    metrics = [*METRICS[task_type], "fit_s", "fit_ratio"]
    titles = {
        "fit_s": "fit time, s (mean over folds, preprocessing included)",
        "fit_ratio": f"fit time as a ratio to {baseline} on the same folds",
    }
    for metric in metrics:
        body = [(t, *(fmt(value(t, m, metric), metric) for m in names)) for t in tasks]
        title = f"{task_type}: {titles.get(metric, metric)}, per task"
        c.print_rows(title, ("task", *names), body)

    # means over the tasks every model completed, so the columns compare alike
    complete = [
        t for t in tasks if all(value(t, m, metrics[0]) is not None for m in names)
    ]
    binary = [t for t in complete if _n_classes(rows, t) == 2]
    mean_rows = []
    for metric in metrics:
        cells = []
        for m in names:
            vals = [value(t, m, metric) for t in complete]
            if metric == "fit_ratio":
                logs = [math.log(v) for v in vals if v]
                cells.append(f"{math.exp(sum(logs) / len(logs)):.2f}x" if logs else "-")
            else:
                cells.append(fmt(_mean(vals) if vals else None, metric))
        label = {"fit_ratio": f"fit time vs {baseline} (geometric mean)"}.get(
            metric, metric
        )
        mean_rows.append((label, *cells))
    if task_type == "classification" and binary:
        cells = [
            fmt(_mean([value(t, m, "minority_recall") for t in binary]), "")
            for m in names
        ]
        mean_rows.insert(2, (f"minority_recall, binary tasks ({len(binary)})", *cells))
        strong = [m for m in names if m in STRONG_PEERS]
        if strong:
            gaps = []
            for m in names:
                below = [
                    t
                    for t in complete
                    if value(t, m, "roc_auc")
                    < max(value(t, s, "roc_auc") for s in strong) - AUC_GAP
                ]
                gaps.append(str(len(below)))
            mean_rows.append(
                (f"tasks with AUC > {AUC_GAP} below best of {'/'.join(strong)}", *gaps)
            )
    title = f"{task_type}: means over the {len(complete)} tasks every model completed"
    c.print_rows(title, ("", *names), mean_rows)
    missing = [t for t in tasks if t not in complete]
    if missing:
        print(f"(left out of the means, some model failed or was skipped: {missing})")
    errors: dict[tuple[str, str], list[str]] = {}
    for (t, m), cell in summary.items():
        if cell.get("_err"):
            errors.setdefault((m, cell["_err"]), []).append(t)
    for (m, err), failed in errors.items():
        where = "every task" if len(failed) == len(tasks) else ", ".join(failed)
        print(f"  {m} on {where}: {err}")


def _n_classes(rows, task):
    for r in rows:
        if r["task"] == task:
            return r.get("n_classes")
    return None


# ----------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------


def warm_up(models, task_types) -> None:
    """One tiny untimed fit of each skdnn estimator class the tasks use.

    The first fit of a process imports TensorFlow and builds its runtime;
    that one-off cost belongs to ``bench_import.py``, not to the first task.
    Only the task types run are warmed up, and a variant with a parameter
    its estimator lacks (``class_weight`` for a regressor) is not.
    """
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4))
    targets = {"classification": (X[:, 0] > 0).astype(int), "regression": X[:, 1]}
    for task_type, y in targets.items():
        if task_type not in task_types:
            continue
        model = next((m for m in models if m.skdnn), None)
        try:
            estimator = model.make(task_type) if model else None
        except TypeError:  # skipped by run_task too, with the reason
            estimator = None
        if estimator is not None:
            estimator.set_params(epochs=2).fit(X, y)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", help="comma-separated task names (see --list)")
    parser.add_argument("--quick", action="store_true", help="a few small tasks")
    parser.add_argument(
        "--task-type", choices=("classification", "regression"), default=None
    )
    parser.add_argument(
        "--models",
        help=f"comma-separated subset of {','.join(MODEL_KEYS)} (default: all; "
        "'' for the --skdnn-set variants alone)",
    )
    parser.add_argument(
        "--skdnn-set",
        action="append",
        default=[],
        metavar="[LABEL:]K=V,...",
        help="an extra skdnn variant with these parameters (repeatable), "
        "e.g. class_weight=balanced or 'bs128:batch_size=128,dropout=0.2'",
    )
    parser.add_argument(
        "--raw",
        action="store_true",
        help="feed the raw DataFrame straight to skdnn's estimators "
        "(the peers keep the ColumnTransformer)",
    )
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--max-rows", type=int, default=10_000)
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads of every library (default 1; 0: each library's own choice)",
    )
    parser.add_argument("--csv", default="bench_quality.csv", help="per-fold results")
    parser.add_argument("--list", action="store_true", help="describe the tasks")
    parser.add_argument(
        "--from-csv",
        nargs="+",
        metavar="CSV",
        help="print the tables of earlier runs' CSV files (concatenated) and exit",
    )
    return parser.parse_args(argv)


def select_tasks(args):
    import _datasets as d

    if args.tasks:
        names = args.tasks.split(",")
        unknown = [n for n in names if n not in d.TASKS]
        if unknown:
            raise SystemExit(f"--tasks: unknown {unknown}; see --list")
    elif args.quick:
        names = list(d.QUICK)
    else:
        names = list(d.TASKS)
    tasks = [d.TASKS[n] for n in names]
    if args.task_type:
        tasks = [t for t in tasks if t.task_type == args.task_type]
    return tasks


def main(argv=None) -> None:
    args = parse_args(argv)
    # thread caps must be in the environment before numpy / TensorFlow load
    os.environ.update(
        c.backend_env(
            os.environ.get("KERAS_BACKEND", "tensorflow"), args.threads or None
        )
    )
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if args.from_csv:
        tables_from_csv(args.from_csv, args.folds)
        return
    tasks = select_tasks(args)
    if args.list:
        list_tasks(tasks, args)
        return
    models = build_models(args)
    if any(m.key == "realmlp" and not m.missing for m in models):
        c.import_torch_first()  # before TensorFlow: see _common.import_torch_first
    print(c.environment())
    print(c.load_average())
    print(
        f"{len(tasks)} tasks, {args.folds}-fold CV, threads={args.threads}, "
        f"{'raw frames to skdnn' if args.raw else 'ColumnTransformer for every model'}"
    )
    warm_up(models, {t.task_type for t in tasks})
    fields = [
        "task", "task_type", "model", "fold", "n_train", "n_test", "n_classes",
        "balanced_accuracy", "minority_recall", "roc_auc", "log_loss", "r2",
        "fit_s", "error",
    ]  # fmt: skip
    with open(args.csv, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for task in tasks:
            print(f"{task.name} ({task.origin})", flush=True)

            def write_row(row):
                _ROWS.append(row)
                writer.writerow(row)
                handle.flush()

            run_task(task, models, args, write_row)
    names = [m.name for m in models]
    for task_type in ("classification", "regression"):
        print_tables(_ROWS, task_type, names, args.folds)
    print(f"\nper-fold results: {args.csv}")
    print(c.load_average())


def tables_from_csv(paths, folds) -> None:
    rows = []
    for path in paths:
        with open(path, newline="") as handle:
            for row in csv.DictReader(handle):
                row = {k: v for k, v in row.items() if v != "" or k == "fold"}
                for key in ("n_train", "n_test", "n_classes"):
                    if key in row:
                        row[key] = int(float(row[key]))
                for key in (*METRICS["classification"], *METRICS["regression"]):
                    if key in row:
                        row[key] = float(row[key])
                if "fit_s" in row:
                    row["fit_s"] = float(row["fit_s"])
                rows.append(row)
    names = list(dict.fromkeys(r["model"] for r in rows))
    for task_type in ("classification", "regression"):
        print_tables(rows, task_type, names, folds)


def list_tasks(tasks, args) -> None:
    import _datasets as d

    header = ("task", "type", "origin", "rows", "features", "categorical",
              "with NaN", "classes", "minority")  # fmt: skip
    body = []
    for task in tasks:
        X, y = task.load(args.max_rows, args.random_state)
        row = d.describe(task, X, y)
        body.append(tuple(row[h] for h in header))
    c.print_rows("tasks", header, body)


if __name__ == "__main__":
    main()
