"""Weighing a diagnosis's evidence: the rows and folds behind its curves.

A verdict read from the curves of a few dozen validation rows cannot tell
a good fit from overfitting; :func:`weigh_evidence` states the evidence in
the message and overrules a verdict that rests on too little of it, or an
underfitting regressor's whose validation loss a few rows rule.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd

from skdnn._curves import _final_step, _num, _series, fold_curves
from skdnn._history import MAX_ADVISED_FOLDS, MIN_VALIDATION_ROWS, Diagnosis

#: The hold-out fractions the advice steps along.
_SPLIT_STEPS = (0.2, 0.3)


def weigh_evidence(
    diagnosis: Diagnosis, fits: list[tuple[pd.DataFrame, object]], *, pooled_input
) -> Diagnosis:
    """The diagnosis with its evidence stated, overruled when it is too thin."""
    counts = [
        getattr(estimator, "n_validation_samples_", None) for _, estimator in fits
    ]
    n_validation = (
        None if any(n is None for n in counts) else int(sum(int(n) for n in counts))
    )
    n_folds = len(fits) if pooled_input else None
    spread = None
    held_folds = 0  # folds counted at the best epoch, stopped ones held
    reached_rows = None  # validation rows of the folds that ran to the best epoch
    if n_folds is not None and diagnosis.best_epoch is not None:
        curves = [
            (_series(h, "val_loss"), n)
            for (h, _), n in zip(fits, counts, strict=True)
            if "val_loss" in h
        ]
        reached = [n for curve, n in curves if diagnosis.best_epoch in curve.index]
        at_best = len(reached)
        if n_validation is not None and at_best < n_folds:
            reached_rows = sum(int(n) for n in reached)
        # the band HistoryDisplay draws: a fold that stopped, held at its
        # last value, as the pooled mean holds it
        nonempty = [curve for curve, _ in curves if len(curve)]
        held = fold_curves(nonempty) if nonempty else None
        if held is not None and diagnosis.best_epoch in held.index:
            values = held.loc[diagnosis.best_epoch].dropna()
            held_folds = len(values)
            if held_folds >= 2:
                spread = float(np.std(values.to_numpy()))
    notes = []
    if n_folds is not None:
        fold_note = f"mean curves of {n_folds} folds"
        with_validation = sum(
            1
            for history, _ in fits
            if "val_loss" in history and np.isfinite(history["val_loss"]).any()
        )
        if 0 < with_validation < n_folds:
            fold_note += f" (the validation curve of {with_validation})"
        if spread is not None:
            stopped = held_folds - at_best
            across = (
                "folds"
                if stopped <= 0
                else f"folds, {stopped} held at the last value "
                + ("it" if stopped == 1 else "they")
                + " reached"
            )
            fold_note += (
                f" (validation loss at epoch {diagnosis.best_epoch} spread "
                f"±{_num(spread)} across {across})"
            )
        notes.append(fold_note)
    if n_validation is not None and diagnosis.verdict != "no_validation":
        rows = "row" if n_validation == 1 else "rows"
        notes.append(
            f"{n_validation} validation {rows}"
            + (" in all" if n_folds is not None else "")
            + (
                f" ({reached_rows} in the {at_best} folds that reached "
                f"epoch {diagnosis.best_epoch})"
                if reached_rows is not None
                else ""
            )
        )
    fields = {
        "n_validation": n_validation,
        "curve_verdict": diagnosis.verdict,
        "n_folds": n_folds,
        "fold_spread": spread,
    }
    message = diagnosis.message + (f"; {', '.join(notes)}" if notes else "")
    thin = (
        n_validation is not None
        and n_validation < MIN_VALIDATION_ROWS
        and diagnosis.verdict not in ("diverged", "no_validation")
    )
    if not thin:
        ruled = _ruled(diagnosis, fits, message, n_validation)
        return replace(diagnosis, **{"message": message, **fields, **ruled})
    where = (
        "the folds' validation curves rest" if n_folds else "the validation curve rests"
    )
    kept = None if n_folds else kept_too_early(fits[0][1])
    message = (
        f"insufficient evidence: {where} on {n_validation} "
        f"{'row' if n_validation == 1 else 'rows'}, fewer than "
        f"{MIN_VALIDATION_ROWS}, too few to tell a good fit from overfitting"
        + (
            f", and early stopping, reading them, kept the weights of epoch "
            f"{kept[0]} of {kept[1]}: the network returned has barely trained"
            if kept
            else ""
        )
        + f"; the curves alone read: {diagnosis.message}"
    )
    if n_folds:  # already pooled: more folds add their validation rows
        # k folds hold out a share of k - 1 k-ths of the rows each: their
        # hold-outs add up to n_validation * (k - 1) / (n_folds - 1)
        needed = (
            1 + math.ceil(MIN_VALIDATION_ROWS * (n_folds - 1) / max(n_validation, 1))
            if n_folds >= 2
            else math.ceil(MIN_VALIDATION_ROWS / max(n_validation, 1))
        )
        pool = (
            f"pool more folds, whose validation rows add up: about {needed} "
            f"folds reach {MIN_VALIDATION_ROWS}"
        )
    else:
        # k folds of the fit's rows hold out about n_validation * (k - 1)
        # in all; at least 5 (a cv=5 for a 10-row hold-out reached 40)
        needed = max(5, 1 + math.ceil(MIN_VALIDATION_ROWS / max(n_validation, 1)))
        pool = (
            "pool cross-validated curves, whose validation rows add up: "
            f"diagnose(cross_validate(estimator, X, y, cv={needed}, "
            "return_estimator=True))"
        )
    if needed > MAX_ADVISED_FOLDS:  # a table too small for its curves
        # no "about 41 folds" of a table of 18 rows: more than it makes
        reach = (
            f"about {needed} folds would reach"
            if needed <= _table_rows(fits, n_validation, n_folds)
            else "no number of folds its rows make reaches"
        )
        pool = (
            f"the rows are too few for curves to judge by ({reach} "
            f"{MIN_VALIDATION_ROWS} validation rows): compare designs by "
            "their cross-validated scores instead (cross_val_score, "
            "DesignSearchCV)"
        )
    # "that pooled diagnosis" named none where the table is too small for
    # curves (a hold-out under 12 rows: every table of 40 to 80 rows)
    source = (
        "that pooled diagnosis"
        if needed <= MAX_ADVISED_FOLDS
        else "diagnose(cross_validate(estimator, X, y, cv=5, "
        "return_estimator=True)), whose pooled curves, too thin to judge the "
        "fit by, still read the epochs to train for"
    )
    retrain = (
        [
            "then train it without a hold-out (early_stopping=False, "
            f"validation_split=0.0) for as many epochs as the best_epoch of {source}"
        ]
        if kept
        else []
    )
    advice = (
        pool,
        *retrain,
        *_hold_out_more(fits[0][1]),
        *(
            f"if more evidence reads the same: {step.removeprefix('or ')}"
            for step in diagnosis.advice
        ),
    )
    return replace(
        diagnosis,
        verdict="insufficient_evidence",
        message=message,
        advice=advice,
        **fields,
    )


#: A fit that early stopping, on a hold-out too thin to judge by, returned
#: at one of its first this many epochs has barely trained: on 40 to 80
#: rows of credit, attrition, wage and diabetes, 11 of 40 default fits kept
#: epoch 1 or 2 (credit accuracy 0.47 where the majority class scores
#: 0.72); trained for the epochs their pooled folds read as best, 9 of
#: those 11 scored higher, by 0.10 on average.
KEPT_EARLY_EPOCHS = 2


def kept_too_early(estimator) -> tuple[int, int] | None:
    """``(kept epoch, epochs run)`` where early stopping returned the weights
    of one of the first ``KEPT_EARLY_EPOCHS`` epochs of a longer run; None
    otherwise."""
    step = _final_step(estimator)
    kept = getattr(step, "best_epoch_", None)
    ran = getattr(step, "n_iter_", None)
    if (
        getattr(step, "early_stopping", False) is not True
        or not isinstance(kept, int | np.integer)
        or not isinstance(ran, int | np.integer)
        or not 1 <= kept <= KEPT_EARLY_EPOCHS
        or ran <= kept
    ):
        return None
    return int(kept), int(ran)


def _ruled(diagnosis: Diagnosis, fits, message: str, n_validation) -> dict:
    """An underfitting regressor's reading overruled where a few validation
    rows rule the loss: the fields to replace, none otherwise.

    2 % of ames's prices mistyped a hundred-fold: a network with the robust
    losses scored a clean test R² of 0.84 to 0.93 (0.90 on clean data) and
    read "learnt nothing from the features", the validation loss, mostly
    those rows', never 2 % below a constant guess's (87 % of it theirs).
    """
    ruled = [getattr(_final_step(e), "_validation_ruled_by", None) for _, e in fits]
    if diagnosis.verdict != "underfitting" or 2 * sum(map(bool, ruled)) <= len(fits):
        return {}
    k = sum(r[0] for r in ruled if r)
    share = float(np.mean([r[1] for r in ruled if r]))
    of = f" of the {n_validation}" if n_validation is not None else ""
    message = (
        f"insufficient evidence: {k}{of} validation rows, whose targets a constant "
        f"guess misses most, carry {share:.0%} of its validation loss, so the "
        "curve reads mostly them and cannot show what the network learnt of the "
        f"others; the curves alone read: {message}"
    )
    advice = (
        "judge the fit on held-out rows with evaluation_report (r2 and mae), "
        "with and without those targets",
        "check those targets: a gross error (a unit, a typo) is better fixed or "
        "dropped than fitted, and a long tail (prices, counts, durations) fitted "
        "on its log: TransformedTargetRegressor(regressor, func=np.log1p, "
        "inverse_func=np.expm1)",
        *(
            [
                "or fit with loss='huber', which a few targets far from the rest do "
                "not rule"
            ]
            if getattr(_final_step(fits[0][1]), "loss", None) == "squared_error"
            else []
        ),
        *(
            f"if the other rows read the same: {step.removeprefix('or ')}"
            for step in diagnosis.advice
        ),
    )
    return {"verdict": "insufficient_evidence", "message": message, "advice": advice}


def _table_rows(fits, n_validation: int, n_folds: int | None) -> float:
    """About how many rows the fits were cut from: a single fit's rows; the
    pooled folds' training rows are ``k - 1`` k-ths of the table. Each fit
    records its rows (``_holdout``); where one does not, they are read back
    from ``validation_split``, which rounds up (a table of 27 rows read as
    37; infinite where the split is not known)."""
    rows = [
        getattr(_final_step(e), "__dict__", {}).get("_holdout", (None,))[0]
        for _, e in fits
    ]
    k = n_folds or 1
    scale = k / max(k - 1, 1) if n_folds else 1.0
    if rows and all(isinstance(r, int | np.integer) and r > 0 for r in rows):
        return float(np.mean(rows)) * scale
    split = _validation_split(fits[0][1])
    if split is None or split <= 0:
        return math.inf
    return n_validation / k / split * scale


def _validation_split(estimator) -> float | None:
    """A fit's ``validation_split`` (of a Pipeline's last step); None where
    it has no number there."""
    split = getattr(_final_step(estimator), "validation_split", None)
    if not isinstance(split, float | int) or isinstance(split, bool):
        return None
    return split


def _hold_out_more(estimator) -> list[str]:
    """Advice to hold out more rows, from the fit's own ``validation_split``."""
    split = _validation_split(estimator)
    if split is None:
        return ["or hold out more rows for the curve, e.g. validation_split=0.2"]
    larger = [step for step in _SPLIT_STEPS if step > split + 1e-12]
    if not larger:  # already a large hold-out: only more folds add rows
        return []
    return [
        "or hold out more rows for the curve: "
        f"validation_split={larger[0]:g} (now {split:g}; validation_data, when "
        "given, replaces it: pass more rows there)"
    ]
