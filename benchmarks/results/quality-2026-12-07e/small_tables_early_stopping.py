"""Small tables: the default early stopping (on a hold-out of a dozen rows or
so) against training all the epochs (early_stopping=False); 5-fold CV, 2 seeds.

Run from the repository root; name some tables to run only those.
"""

import sys
import time
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, ".")  # run from the repository root
from sklearn.datasets import load_iris, make_circles, make_classification, make_moons
from sklearn.metrics import balanced_accuracy_score, r2_score
from sklearn.model_selection import KFold, StratifiedKFold

import skdnn
from benchmarks._datasets import TASKS

warnings.simplefilter("ignore")


def sets():
    X, y = make_moons(100, noise=0.3, random_state=0)
    yield "moons100", pd.DataFrame(X), pd.Series(y), "clf"
    X, y = make_circles(100, noise=0.2, factor=0.5, random_state=1)
    yield "circles100", pd.DataFrame(X), pd.Series(y), "clf"
    X, y = make_classification(200, 10, n_informative=4, random_state=0)
    yield "mkclf200", pd.DataFrame(X), pd.Series(y), "clf"
    X, y = load_iris(return_X_y=True, as_frame=True)
    yield "iris", X, y, "clf"
    for name, n in [
        ("wine", None),
        ("breast_cancer", 300),
        ("oj", 300),
        ("credit", 300),
        ("spam7", 300),
        ("attrition", 300),
        ("hmda", 300),
    ]:
        X, y = TASKS[name].load(max_rows=n or 10_000)
        yield f"{name}{n or ''}", X, y, "clf"
    for name, n in [
        ("diabetes", None),
        ("concrete", 300),
        ("college_outstate", 300),
        ("car_prices", 300),
    ]:
        X, y = TASKS[name].load(max_rows=n or 10_000)
        yield f"{name}{n or ''}", X, y, "reg"


RULES = {"es": {}, "full": {"early_stopping": False}}
rows = []
only = sys.argv[1:]
for name, X, y, kind in sets():
    if only and name not in only:
        continue
    cv = (StratifiedKFold if kind == "clf" else KFold)(5, shuffle=True, random_state=0)
    for rule, params in RULES.items():
        scores = []
        t = time.perf_counter()
        for seed in (0, 1):
            for tr, te in cv.split(X, y):
                Est = (
                    skdnn.TaperedMLPClassifier
                    if kind == "clf"
                    else skdnn.TaperedMLPRegressor
                )
                m = Est(random_state=seed, **params).fit(X.iloc[tr], y.iloc[tr])
                p = m.predict(X.iloc[te])
                scores.append(
                    balanced_accuracy_score(y.iloc[te], p)
                    if kind == "clf"
                    else r2_score(y.iloc[te], p)
                )
        rows.append((name, len(X), rule, np.mean(scores), time.perf_counter() - t))
        print(
            f"{name:18s} n={len(X):4d} {rule:5s} {np.mean(scores):.4f} "
            f"({time.perf_counter() - t:5.1f}s)",
            flush=True,
        )
