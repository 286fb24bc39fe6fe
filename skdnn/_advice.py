"""The advice a verdict gives: the changes it quotes, with the knobs' values.

Each helper turns the settings of the fit (:class:`~skdnn._curves._Knobs`)
into one line of advice; :func:`~skdnn.diagnose`'s rules pick them.
"""

from __future__ import annotations

import re
from dataclasses import replace

from skdnn._curves import (
    MAX_RAISED_RATE_FACTOR,
    _Curves,
    _Knobs,
    rate_far_above_usual,
    rate_far_below_usual,
    usual_rate,
)


def _overfit_advice(knobs: _Knobs, best_epoch: int) -> list[str]:
    """What an overfitting run is told: stop earlier, more dropout, an l2
    penalty or a narrower network."""
    if knobs.early_stopping and knobs.kept_epoch:
        advice = [
            f"early stopping already kept the weights of epoch "
            f"{knobs.kept_epoch}; a lower patience stops sooner"
        ]
    elif knobs.early_stopping:  # pooled fits: each kept its own best epoch
        advice = [
            "early stopping already kept each fit's best weights (the mean "
            f"curve's best epoch is {best_epoch}); a lower patience stops sooner"
        ]
    else:
        advice = [
            f"stop at epoch {best_epoch}: early_stopping=True, or epochs={best_epoch}"
        ]
    if knobs.dropout is None:
        advice.append("raise dropout, e.g. dropout=0.5 (rates of 0.2 to 0.5 are usual)")
    elif knobs.dropout < 0.5:
        advice.append(f"raise dropout from {knobs.dropout:g}: dropout=0.5")
    # (the first rung of the design search's ladder: 1e-4 barely moved the
    # fold scores of the benchmark's real tables)
    advice.append("add an l2 penalty, e.g. l2=1e-3, or use a narrower network")
    if (high := _rate_above_usual(knobs)) is not None:
        # at 30 times Adam's rate, raising dropout as advised lowered the
        # held-out score on 5 of 5 tables, and the next fit read diverged
        advice.insert(
            0,
            f"{_lower_the_rate(knobs)} ({high}: a rising validation loss at such "
            "a rate is often instability, not overfitting)",
        )
    return advice


def _majority_note(knobs: _Knobs, when: str) -> tuple[str, str] | None:
    """What the message adds, and the advice first says, of a fit whose
    validation accuracy at the kept epoch is its commonest class's share
    (``knobs.majority``): it may decide that class on every row. ``when``
    says when to judge its recall ("before keeping it", "first"). None for
    any other fit."""
    if knobs.majority is None:
        return None
    label, share = knobs.majority
    return (
        f"; but its validation accuracy, {share:.3g}, is the share of the "
        f"class {label!r}: it may decide {label!r} on every row",
        f"judge its recall per class with evaluation_report {when}: a network "
        "that learnt little decides the commonest class, which "
        "class_weight='balanced_logits' (the default) balances",
    )


def _with_majority_note(diagnosis, knobs: _Knobs):
    """``diagnosis`` with :func:`_majority_note`'s note and advice first;
    as it is for any other fit. On lending_club and caravan, 5 of 6
    ``class_weight=None`` fits decided the majority class on every row and
    read "overfitting", advised only dropout and l2, which left them so."""
    note = _majority_note(knobs, "first")
    if note is None:
        return diagnosis
    return replace(
        diagnosis,
        message=diagnosis.message + note[0],
        advice=(note[1], *diagnosis.advice),
    )


def _rate_above_usual(knobs: _Knobs) -> str | None:
    """How far above its optimizer's usual rate a learning rate at
    ``MAX_RAISED_RATE_FACTOR`` times it or more stands, in words; None
    below."""
    ratio = knobs.rate_ratio
    if not rate_far_above_usual(ratio):
        return None
    rate = knobs.learning_rate
    return f"{rate:g} is {ratio:.3g} times {knobs.optimizer}'s usual rate"


def _compare_another_rate(knobs: _Knobs) -> str | None:
    """What a good fit at a rate far from its optimizer's usual one is told
    first: at ``MAX_RAISED_RATE_FACTOR`` times it or more, to compare a
    lower rate; ``HIGH_RATE_FACTOR`` times below it or more, the usual rate.
    None at other rates.

    Attrition at 30 times Adam's rate: a good fit scoring 0.60 (0.77 at the
    usual rate), and with another seed one class on every row. At 1e-5 it
    read "good fit" with its best epoch the last of 200: a curve that slow
    falls too little per epoch to read as a fall.
    """
    if (high := _rate_above_usual(knobs)) is not None:
        return (
            "before keeping it, compare a lower rate: learning_rate="
            f"{knobs.learning_rate / 10:g} ({high}, where a good fit with one "
            f"seed may predict {'a constant' if knobs.regression else 'one class'} "
            "with another)"
        )
    ratio = knobs.rate_ratio
    if not rate_far_below_usual(ratio):
        return None
    return (
        f"before keeping it, compare {knobs.optimizer}'s usual rate: "
        f"learning_rate={usual_rate(knobs.optimizer):g} ({knobs.learning_rate:g} "
        f"is {1 / ratio:.3g} times lower; a curve this slow can look level "
        "while the network is still learning)"
    )


def _lower_the_rate(knobs: _Knobs) -> str:
    rate = knobs.learning_rate
    if rate:
        return f"lower the learning rate: learning_rate={rate / 10:g}"
    return "lower the learning rate ten-fold (learning_rate=...)"


def _raise_the_rate(knobs: _Knobs) -> str:
    """Ten times the rate, up to ``MAX_RAISED_RATE_FACTOR`` times its
    optimizer's usual one; from there on, a lower rate: a network at a rate
    that high may stall at a constant guess, and learning_rate=1 for Adam
    is no advice."""
    rate, ratio = knobs.learning_rate, knobs.rate_ratio
    if ratio is not None:
        usual = usual_rate(knobs.optimizer)
        top = float(f"{MAX_RAISED_RATE_FACTOR * usual:.3g}")
        if rate >= top * (1 - 1e-9):
            return (
                f"lower the learning rate rather than raise it: "
                f"learning_rate={rate / 10:g} ({rate:g} is {ratio:.3g} "
                f"times {knobs.optimizer}'s usual {usual:g}; a network at such "
                "a rate can stall at a constant guess)"
            )
        return f"raise the learning rate: learning_rate={min(rate * 10, top):g}"
    if rate:
        return f"raise the learning rate: learning_rate={rate * 10:g}"
    return "raise the learning rate, e.g. learning_rate=1e-2"


def _widen_first_layer(knobs: _Knobs) -> str:
    if knobs.layer_sizes:
        sizes = tuple(int(width) for width in knobs.layer_sizes)
        wider = (2 * sizes[0], *sizes[1:])
        return f"widen the first layer: hidden_layer_sizes={wider} (now {sizes})"
    if knobs.first_units:
        return (
            f"widen the first layer: first_units={2 * knobs.first_units} "
            f"(now {knobs.first_units})"
        )
    return "widen the first layer, e.g. first_units=512"


def _train_longer(curves: _Curves, knobs: _Knobs) -> list[str]:
    folds = _train_folds_longer(knobs)
    if folds:
        return folds
    epochs = max(50, 2 * curves.n_epochs)
    if (
        knobs.early_stopping
        and knobs.patience
        and knobs.max_epochs
        and curves.n_epochs < knobs.max_epochs
    ):
        # early stopping ended the run, though the loss was falling again
        return [
            f"raise patience: patience={2 * knobs.patience} (now "
            f"{knobs.patience}); early stopping ended the run at epoch "
            f"{curves.n_epochs} of {knobs.max_epochs} while the validation "
            "loss was still falling" + _watched(knobs),
            _SMOOTH_THE_CURVE,
        ]
    return [
        f"train longer: epochs={epochs} with early_stopping=True, which stops "
        "once the validation loss stops falling",
        _converge_faster(knobs),
    ]


def _watched(knobs: _Knobs) -> str:
    """What early stopping watched, when not the loss the verdict reads (a
    score that had levelled off while the loss still fell)."""
    monitor = knobs.monitor
    if not isinstance(monitor, str) or monitor.removeprefix("val_") == "loss":
        return ""
    return (
        f" (early stopping watched {monitor}, not the loss: "
        "monitor='val_loss' stops on the loss)"
    )


#: The alternative to more patience: a curve whose steps are smaller.
_SMOOTH_THE_CURVE = "or smooth the curve: a larger batch_size or a lower learning_rate"


def _converge_faster(knobs: _Knobs) -> str:
    """The alternative to more epochs: a larger step; from a rate
    ``HIGH_RATE_FACTOR`` times below its optimizer's usual one or more,
    the usual rate (1e-5 took four such steps to reach Adam's 1e-3)."""
    rate, ratio = knobs.learning_rate, knobs.rate_ratio
    if rate_far_below_usual(ratio):
        return (
            f"or converge faster at {knobs.optimizer}'s usual rate: "
            f"learning_rate={usual_rate(knobs.optimizer):g} (now {rate:g}, "
            f"{1 / ratio:.3g} times lower)"
        )
    if rate:
        return f"or converge faster: learning_rate={rate * 3:g}"
    return "or converge faster with a higher learning_rate"


def _train_folds_longer(knobs: _Knobs) -> list[str] | None:
    """Pooled folds still improving: what ended each fold's run, counted.

    The pooled curve ends where half of the folds had ended, so its length
    says nothing of one fold's: early stopping may have ended some folds
    while others ran every epoch, and each wants its own change. None when
    the folds' runs are not known.
    """
    caps = {allowed for _, allowed in knobs.fold_epochs}
    if len(knobs.fold_epochs) < 2 or len(caps) != 1 or not caps <= {knobs.max_epochs}:
        return None  # folds allowed other epochs, or unknown ones
    runs, cap = [n for n, _ in knobs.fold_epochs], knobs.max_epochs
    if not cap:
        return None
    full = sum(n >= cap for n in runs)
    stopped = sorted(n for n in runs if n < cap)
    advice = []
    if stopped and knobs.early_stopping and knobs.patience:
        span = (
            f"{stopped[0]}"
            if stopped[0] == stopped[-1]
            else f"{stopped[0]} to {stopped[-1]}"
        )
        advice.append(
            f"raise patience: patience={2 * knobs.patience} (now "
            f"{knobs.patience}); early stopping ended {len(stopped)} of the "
            f"{len(runs)} folds' runs (at epoch {span} of {cap}) while the "
            "mean validation loss was still falling" + _watched(knobs)
        )
    if full:
        stopping = "" if knobs.early_stopping else " with early_stopping=True"
        advice.append(
            f"train longer: epochs={2 * cap} (now {cap}){stopping}; {full} of "
            f"the {len(runs)} folds ran all {cap} epochs"
        )
    if not advice:
        return None
    advice.append(_converge_faster(knobs) if full else _SMOOTH_THE_CURVE)
    return advice


def with_pipeline_names(diagnosis, fits):
    """``diagnosis`` whose advice names the network's parameters as the
    (nested) Pipeline it diagnosed takes them in ``set_params``: ``fits``,
    what :func:`~skdnn.diagnose` was given (a fit, a list of them, or a
    ``cross_validate`` result).

    Advice quotes settings to copy (``dropout=0.5``); on a Pipeline that
    name is refused, and ``net__dropout=0.5`` is the one to set.
    """
    from collections.abc import Mapping

    from skdnn._curves import _final_step_named

    if isinstance(fits, Mapping):
        fits = fits.get("estimator")
    if isinstance(fits, list | tuple) or getattr(fits, "ndim", 0) == 1:
        fits = next(iter(fits), None)
    final, prefix = _final_step_named(fits)
    if not prefix or diagnosis is None or not hasattr(final, "get_params"):
        return diagnosis
    names = sorted(final.get_params(deep=False), key=len, reverse=True)
    setting = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, names)) + r")=")
    advice = tuple(setting.sub(rf"{prefix}\1=", line) for line in diagnosis.advice)
    return replace(diagnosis, advice=advice)
