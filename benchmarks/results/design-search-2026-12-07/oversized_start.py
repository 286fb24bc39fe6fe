"""DesignSearchCV from an oversized, unregularised start on the 7 real
classification tables of benchmarks._datasets:design_search_sets.

Per table: 70/30 stratified split (seed 0, as bench_design_search.py --holdout 0.3),
DesignSearchCV(TaperedMLPClassifier((512,256,128), dropout=0, early_stopping=False,
epochs=EPOCHS, random_state=0), cv=StratifiedKFold(3, shuffle, 0), max_rounds=4,
random_state=0, n_jobs=2) on the raw 70 % frames; scorer balanced accuracy
(DesignSearchCV's default for classifiers, search.scorer_). The start design is
also refitted on the 70 % and scored on the 30 %.

Usage, from the repository root (about 6 minutes on 2 shared cores):
python benchmarks/results/design-search-2026-12-07/oversized_start.py [--epochs N]
"""

import argparse
import datetime
import io
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, train_test_split

import skdnn
from skdnn import DesignSearchCV, TaperedMLPClassifier

ROOT = Path(__file__).resolve().parents[3]
OUT = Path(__file__).with_name("oversized_start_cv3.txt")
SEED = 0

sys.path.insert(0, str(ROOT))
from benchmarks._datasets import design_search_sets


def run_one(name, X, y, epochs):
    Xs, Xt, ys, yt = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=SEED
    )
    start_net = TaperedMLPClassifier(
        hidden_layer_sizes=(512, 256, 128),
        dropout=0.0,
        early_stopping=False,
        epochs=epochs,
        random_state=SEED,
    )
    search = DesignSearchCV(
        start_net,
        cv=StratifiedKFold(3, shuffle=True, random_state=SEED),
        max_rounds=4,
        random_state=SEED,
        n_jobs=2,
    )
    t0 = time.perf_counter()
    search.fit(Xs, ys)
    wall = time.perf_counter() - t0
    best_test = float(search.scorer_(search.best_estimator_, Xt, yt))
    t1 = time.perf_counter()
    start_fitted = clone(start_net).fit(Xs, ys)
    start_test = float(search.scorer_(start_fitted, Xt, yt))
    start_refit_time = time.perf_counter() - t1

    path = search.path_
    cand = path.iloc[1:]
    accepted = cand[cand["accepted"].astype(bool)]
    checks = {
        "verdict every row": bool(
            path["verdict"].notna().all()
            and path["verdict"].astype(str).str.len().gt(0).all()
        ),
        "diagnosis every row": bool(
            path["diagnosis"].notna().all()
            and path["diagnosis"].astype(str).str.len().gt(0).all()
        ),
        "gain+noise every candidate": bool(
            len(cand) == 0
            or (
                np.isfinite(cand["gain"].astype(float)).all()
                and np.isfinite(cand["noise"].astype(float)).all()
            )
        ),
        "advice non-empty": bool(
            len(search.best_diagnosis_.advice) > 0
            and all(str(a).strip() for a in search.best_diagnosis_.advice)
        ),
    }
    return {
        "dataset": name,
        "rows": len(X),
        "search_rows": len(Xs),
        "start_cv": float(path["score"].iloc[0]),
        "start_verdict": str(path["verdict"].iloc[0]),
        "best_cv": float(search.best_score_),
        "start_test": start_test,
        "best_test": best_test,
        "accepted": [
            (
                int(r["round"]),
                r["move"],
                str(r["changes"]),
                float(r["gain"]),
                float(r["noise"]),
                float(r["score"]),
            )
            for _, r in accepted.iterrows()
        ],
        "n_candidates": len(path),
        "n_fits": int(search.n_fits_),
        "wall": wall,
        "refit_time": float(search.refit_time_),
        "start_refit_time": start_refit_time,
        "stop": search.stop_reason_,
        "verdict": search.best_diagnosis_.verdict,
        "advice": tuple(search.best_diagnosis_.advice),
        "best_params": search.best_params_,
        "checks": checks,
        "path": path,
    }


def report(rows, out):
    w = out.write
    hdr = (
        f"{'data set':<12}{'rows':>6}{'start CV':>10}{'best CV':>9}{'dCV':>8}"
        f"{'start HO':>10}{'best HO':>9}{'dHO':>8}{'cands':>6}{'fits':>6}"
        f"{'wall s':>8}  final verdict"
    )
    w(hdr + "\n" + "-" * len(hdr) + "\n")
    for r in rows:
        w(
            f"{r['dataset']:<12}{r['rows']:>6}{r['start_cv']:>10.4f}{r['best_cv']:>9.4f}"
            f"{r['best_cv'] - r['start_cv']:>+8.4f}{r['start_test']:>10.4f}"
            f"{r['best_test']:>9.4f}{r['best_test'] - r['start_test']:>+8.4f}"
            f"{r['n_candidates']:>6}{r['n_fits']:>6}{r['wall']:>8.0f}  {r['verdict']}\n"
        )
    if len(rows) > 1:
        m = {
            k: np.mean([r[k] for r in rows])
            for k in ("start_cv", "best_cv", "start_test", "best_test", "wall")
        }
        w(
            f"{'mean':<12}{'':>6}{m['start_cv']:>10.4f}{m['best_cv']:>9.4f}"
            f"{m['best_cv'] - m['start_cv']:>+8.4f}{m['start_test']:>10.4f}"
            f"{m['best_test']:>9.4f}{m['best_test'] - m['start_test']:>+8.4f}"
            f"{'':>12}{m['wall']:>8.0f}\n"
        )
        n = len(rows)
        cv_up = sum(r["best_cv"] > r["start_cv"] for r in rows)
        ho_up = sum(r["best_test"] > r["start_test"] for r in rows)
        ho_down = sum(r["best_test"] < r["start_test"] for r in rows)
        none = sum(not r["accepted"] for r in rows)
        w(
            f"improved on CV: {cv_up}/{n}; on held-out rows: {ho_up}/{n} "
            f"(worse on held-out: {ho_down}/{n}); "
            f"searches that accepted nothing: {none}/{n}\n"
        )
        allok = all(all(r["checks"].values()) for r in rows)
        w(
            "explains itself (verdict+diagnosis every row, gain/noise every "
            f"candidate, advice non-empty) on every table: {allok}\n"
        )
    w("\n")
    for r in rows:
        w(
            f"== {r['dataset']}: {r['rows']} rows ({r['search_rows']} searched), "
            f"start verdict {r['start_verdict']}, final verdict {r['verdict']}\n"
        )
        if r["accepted"]:
            for rnd, move, changes, gain, noise, score in r["accepted"]:
                w(
                    f"  accepted round {rnd}: {move} [{changes}] gain {gain:+.4f} "
                    f"noise {noise:.4f} -> CV {score:.4f}\n"
                )
        else:
            w("  accepted: nothing\n")
        w(f"  best_params_: {r['best_params']}\n")
        w(f"  stop_reason_: {r['stop']}\n")
        w(f"  checks: {r['checks']}\n")
        w(
            f"  n_fits_ {r['n_fits']}, wall {r['wall']:.0f} s "
            f"(refit {r['refit_time']:.0f} s), "
            f"start refit {r['start_refit_time']:.0f} s\n"
        )
        w("  best_diagnosis_.advice:\n")
        for a in r["advice"]:
            w(f"    - {a}\n")
        with pd.option_context(
            "display.width", 250, "display.max_colwidth", 70, "display.max_columns", 20
        ):
            cols = [
                "round",
                "move",
                "changes",
                "verdict",
                "score",
                "gain",
                "noise",
                "accepted",
            ]
            w(
                "  path_:\n"
                + "\n".join(
                    "    " + line for line in r["path"][cols].to_string().splitlines()
                )
                + "\n"
            )
        w("\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--datasets")
    p.add_argument("--out", default=OUT)
    p.add_argument("--note", default="")
    args = p.parse_args()
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    header = (
        f"# command: python {' '.join(sys.argv)}\n"
        f"# commit {commit} (skdnn from {os.path.dirname(skdnn.__file__)}); "
        f"date {datetime.datetime.now().isoformat(timespec='seconds')}; "
        f"machine: 2 shared cores (CPU only)\n"
        "# start TaperedMLPClassifier(hidden_layer_sizes=(512, 256, 128), "
        f"dropout=0.0, early_stopping=False, epochs={args.epochs}, "
        "random_state=0); DesignSearchCV(cv=StratifiedKFold(3, shuffle=True, "
        "random_state=0), max_rounds=4, random_state=0, "
        f"n_jobs=2); scorer balanced accuracy; 70/30 stratified split seed 0; "
        f"HO = balanced accuracy on the 30 % held-out rows\n"
        + (f"# {args.note}\n" if args.note else "")
    )
    print(header, flush=True)
    sets = design_search_sets()
    names = args.datasets.split(",") if args.datasets else list(sets)
    rows = []
    t0 = time.perf_counter()
    for name in names:
        X, y = sets[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows.append(run_one(name, X, y, args.epochs))
        buf = io.StringIO()
        report(rows[-1:], buf)
        print(buf.getvalue(), flush=True)
        print(f"[elapsed {time.perf_counter() - t0:.0f} s]", flush=True)
    buf = io.StringIO()
    buf.write(header + "\n")
    report(rows, buf)
    buf.write(f"total wall {time.perf_counter() - t0:.0f} s\n")
    with open(args.out, "w") as f:
        f.write(buf.getvalue())
    print("ALL TABLES\n" + buf.getvalue())


if __name__ == "__main__":
    main()
