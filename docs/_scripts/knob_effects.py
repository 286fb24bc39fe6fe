"""Measure the effect of each design knob on two bundled datasets.

The numbers in the user guide's "Designing a network by its learning curves"
page come from this script. Run it from the repository root::

    TF_CPP_MIN_LOG_LEVEL=3 python docs/_scripts/knob_effects.py

It writes ``docs/_scripts/knob_effects.csv`` (read by the page) and prints the
same table. Each row is one setting of one knob, every other parameter at its
default; the score is the macro-averaged recall of a 5-fold stratified
cross-validation (shuffled, seed 0) of ``StandardScaler`` followed by
``TaperedMLPClassifier(random_state=0)``. It takes about ten minutes on two
CPU cores.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdnn import TaperedMLPClassifier

DATASETS = {
    "breast_cancer": load_breast_cancer(return_X_y=True),
    "digits": load_digits(return_X_y=True),
}

# (knob, setting as shown, parameters); {} is the default estimator.
SETTINGS = [
    ("defaults", "all defaults", {}),
    (
        "seed set-up",
        "epochs=15, no early stopping, dropout=0.5, batch_size=64, "
        "validation_split=0.2",
        dict(
            epochs=15,
            early_stopping=False,
            dropout=0.5,
            batch_size=64,
            validation_split=0.2,
        ),
    ),
    ("batch_size", "batch_size=8", dict(batch_size=8)),
    ("batch_size", "batch_size=128", dict(batch_size=128)),
    ("batch_size", "batch_size=512", dict(batch_size=512)),
    (
        "epochs",
        "epochs=15, early_stopping=False",
        dict(epochs=15, early_stopping=False),
    ),
    (
        "epochs",
        "epochs=200, early_stopping=False",
        dict(epochs=200, early_stopping=False),
    ),
    ("epochs", "patience=3", dict(patience=3)),
    ("layers", "n_layers=1", dict(n_layers=1)),
    ("layers", "taper=1.0 (constant width)", dict(taper=1.0)),
    (
        "layers",
        "first_units=512, taper=0.25, n_layers=4, min_units=18",
        dict(first_units=512, taper=0.25, n_layers=4, min_units=18),
    ),
    ("batch_norm", "batch_norm=True", dict(batch_norm=True)),
    ("dropout", "dropout=0.0", dict(dropout=0.0)),
    ("dropout", "dropout=0.5", dict(dropout=0.5)),
    ("activation", "activation='relu' (He, auto)", dict(activation="relu")),
    (
        "activation",
        "activation='relu', kernel_initializer='glorot_uniform'",
        dict(activation="relu", kernel_initializer="glorot_uniform"),
    ),
    ("activation", "activation='tanh' (Glorot, auto)", dict(activation="tanh")),
    (
        "activation",
        "activation='tanh', kernel_initializer='he_normal'",
        dict(activation="tanh", kernel_initializer="he_normal"),
    ),
    ("optimizer", "optimizer='sgd'", dict(optimizer="sgd")),
    ("optimizer", "optimizer='rmsprop'", dict(optimizer="rmsprop")),
    ("optimizer", "learning_rate=1e-2", dict(learning_rate=1e-2)),
    ("optimizer", "learning_rate=1e-4", dict(learning_rate=1e-4)),
]


def evaluate(X, y, params):
    model = make_pipeline(
        StandardScaler(), TaperedMLPClassifier(random_state=0, **params)
    )
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    start = time.perf_counter()
    result = cross_validate(
        model, X, y, cv=cv, scoring="recall_macro", return_estimator=True
    )
    seconds = time.perf_counter() - start
    scores = result["test_score"]
    epochs = [fitted[-1].n_iter_ for fitted in result["estimator"]]
    return scores.mean(), scores.std(), float(np.mean(epochs)), seconds / 5


def main():
    out = Path(__file__).with_name("knob_effects.csv")
    header = ["knob", "setting"]
    for name in DATASETS:
        header += [f"{name} recall", f"{name} epochs"]
    rows = []
    for knob, label, params in SETTINGS:
        row = [knob, label]
        for name, (X, y) in DATASETS.items():
            mean, std, epochs, seconds = evaluate(X, y, params)
            row += [f"{mean:.3f} ± {std:.3f}", f"{epochs:.0f}"]
            print(
                f"{knob:12s} {label:60s} {name:14s} recall_macro {mean:.3f} "
                f"± {std:.3f}  epochs {epochs:5.1f}  {seconds:5.1f} s/fit",
                flush=True,
            )
        rows.append(row)
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
