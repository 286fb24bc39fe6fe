"""The move table of DesignSearchCV: what each verdict of the curves changes.

A verdict of :func:`~skdnn.diagnose` names what the learning curves show;
:data:`MOVES` lists, for each verdict, the design changes a practitioner
would try next, in order (overfitting: more dropout, a smaller step for
longer, a narrower taper, a layer less, an L2 penalty, a larger hold-out;
underfitting: wider, a layer more, less dropout;
and so on). Each move is a small function of the current design that
returns the changed parameters, or None when it does not apply.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from skdnn._curves import (
    MAX_RAISED_RATE_FACTOR,
    rate_far_above_usual,
    rate_far_below_usual,
    rate_ratio,
    usual_rate,
)
from skdnn._history import NOTHING_LEARNT, Diagnosis

#: The design parameters the moves change, shared by every skdnn network.
DESIGN_PARAMS = (
    "hidden_layer_sizes",
    "first_units",
    "taper",
    "n_layers",
    "min_units",
    "dropout",
    "l2",
    "epochs",
    "patience",
    "learning_rate",
    "batch_norm",
    "batch_size",
    "early_stopping",
    "validation_split",
)
#: Candidates cross-validated per round: the first moves of the verdict's
#: row of the table that apply and lead to a design not tried yet.
MOVES_PER_ROUND = 3
#: The rates the dropout moves step along (0.2 to 0.5 are the usual rates). The
#: rungs are far enough apart for a step to show above the fold noise.
DROPOUT_STEPS = (0.0, 0.1, 0.3, 0.5)
#: The L2 penalties the ``add_l2`` move steps along (a penalty below 1e-3
#: barely moved the fold scores of the benchmark's real tables).
L2_STEPS = (0.0, 1e-3, 1e-2)
#: Width bounds of the width moves.
MIN_WIDTH, MAX_WIDTH = 4, 2048
#: Hold-out fractions the ``raise_validation_split`` move steps along.
VALIDATION_SPLIT_STEPS = (0.1, 0.2, 0.3)
#: The ``slow_down`` move divides the learning rate by this factor (and
#: doubles the epochs and the patience), down to ``MIN_SLOW_LEARNING_RATE``.
SLOW_DOWN_FACTOR = 3
MIN_SLOW_LEARNING_RATE = 1e-4


# ----------------------------------------------------------------------
# The moves
# ----------------------------------------------------------------------


@dataclass(frozen=True)
class _State:
    """What a move reads: the design, its fitted widths and its diagnosis."""

    design: dict  # the final step's DESIGN_PARAMS present on it
    widths: tuple | None  # hidden_layer_sizes_ of the first fold
    diagnosis: Diagnosis
    last_move: str | None  # the move accepted last, None at the start
    optimizer: str | None = None  # the final step's, by its name


def _step(ladder, value, up: bool):
    """The next rung of ``ladder`` above (or below) ``value``; None at the end."""
    rungs = [r for r in ladder if (r > value + 1e-12 if up else r < value - 1e-12)]
    if not rungs:
        return None
    return min(rungs) if up else max(rungs)


def _stepped_dropout(s: _State, up: bool):
    """Dropout one rung up (or down) the ladder: one rate, or each layer's.

    Rates per layer step each (a rate at the end of the ladder stays), so a
    move down never raises a layer's rate, nor a move up lowers one.
    """
    dropout = s.design.get("dropout", 0.0)
    if dropout is None or isinstance(dropout, numbers.Real):
        new = _step(DROPOUT_STEPS, float(dropout or 0.0), up=up)
        return None if new is None else {"dropout": new}
    rates = [float(rate) for rate in dropout]
    stepped = [
        rate if (new := _step(DROPOUT_STEPS, rate, up=up)) is None else new
        for rate in rates
    ]
    return None if stepped == rates else {"dropout": tuple(stepped)}


def _raise_dropout(s: _State):
    return _stepped_dropout(s, up=True)


def _lower_dropout(s: _State):
    return _stepped_dropout(s, up=False)


def _add_l2(s: _State):
    new = _step(L2_STEPS, float(s.design.get("l2", 0.0)), up=True)
    return None if new is None else {"l2": new}


def _lower_l2(s: _State):
    new = _step(L2_STEPS, float(s.design.get("l2", 0.0)), up=False)
    return None if new is None else {"l2": new}


def _with_widths(s: _State, widths):
    widths = tuple(int(w) for w in widths)
    if not widths or s.widths is None or widths == tuple(s.widths):
        return None
    return {"hidden_layer_sizes": widths}


def _narrow(s: _State):
    return s.widths and _with_widths(s, [max(MIN_WIDTH, w // 2) for w in s.widths])


def _widen(s: _State):
    return s.widths and _with_widths(s, [min(MAX_WIDTH, 2 * w) for w in s.widths])


def _with_layer_count(s: _State, changes: dict | None, n_layers: int):
    """``changes`` and, for one dropout rate per layer, the rates of
    ``n_layers`` layers: the last rate repeated for a new layer, or the
    dropped layer's rate left out."""
    dropout = s.design.get("dropout")
    if changes is None or isinstance(dropout, numbers.Real) or dropout is None:
        return changes
    rates = [float(rate) for rate in dropout]
    rates = (rates + rates[-1:] * n_layers)[:n_layers] if rates else rates
    return {**changes, "dropout": tuple(rates)}


def _drop_layer(s: _State):
    if not s.widths or len(s.widths) < 2:
        return None
    return _with_layer_count(s, _with_widths(s, s.widths[:-1]), len(s.widths) - 1)


def _add_layer(s: _State):
    if not s.widths:
        return None
    taper = float(s.design.get("taper", 0.5))
    widths = (*s.widths, max(MIN_WIDTH, round(s.widths[-1] * taper)))
    return _with_layer_count(s, _with_widths(s, widths), len(widths))


def _ran_out_of_epochs(s: _State) -> bool:
    epochs = s.design.get("epochs")
    return epochs is not None and s.diagnosis.n_epochs >= epochs


def _more_epochs(s: _State):
    if "epochs" not in s.design:
        return None
    if s.design.get("early_stopping") and not _ran_out_of_epochs(s):
        return None  # early stopping ended the run: epochs were not the limit
    if s.design.get("early_stopping") is False:
        # as the advice has it: the longer run keeps its best epoch's weights
        return {"epochs": 2 * int(s.design["epochs"]), "early_stopping": True}
    return {"epochs": 2 * int(s.design["epochs"])}


def _raise_patience(s: _State):
    if not s.design.get("early_stopping") or "patience" not in s.design:
        return None
    if _ran_out_of_epochs(s):
        return None
    return {"patience": 2 * int(s.design["patience"])}


def _early_stopping_on(s: _State):
    if "early_stopping" not in s.design or s.design["early_stopping"]:
        return None
    return {"early_stopping": True}


def scaled_rate(rate: float, factor: float) -> float:
    """``rate * factor`` to 3 significant digits, as the rate moves write it."""
    return float(f"{float(rate) * factor:.3g}")


def _scaled_learning_rate(factor):
    def move(s: _State):
        rate = s.design.get("learning_rate")
        if rate is None:
            return None
        return {"learning_rate": scaled_rate(rate, factor)}

    return move


def _raise_learning_rate(s: _State):
    """Three times the rate, up to the top the advice raises a rate to
    (``MAX_RAISED_RATE_FACTOR`` times the optimizer's usual rate); from
    ``HIGH_RATE_FACTOR`` times below the usual rate or more, the usual rate,
    as the advice has it (1e-5 took three rounds to reach 2.7e-4)."""
    changes = _scaled_learning_rate(3.0)(s)
    usual = usual_rate(s.optimizer)
    if changes and rate_far_below_usual(_rate_ratio(s)):  # (usual is known)
        return {"learning_rate": usual}
    top = MAX_RAISED_RATE_FACTOR * usual if usual else None
    if changes and top and changes["learning_rate"] > top * (1 + 1e-9):
        return None
    return changes


def _slow_down(s: _State):
    """A third of the step, twice the epochs and (with early stopping) patience.

    A smaller step draws a smoother validation curve whose minimum early
    stopping finds more surely, but it needs more epochs to get there, and
    more patience between improvements that each epoch makes smaller.
    """
    changes = _scaled_learning_rate(1 / SLOW_DOWN_FACTOR)(s)
    if not changes or changes["learning_rate"] < MIN_SLOW_LEARNING_RATE * (1 - 1e-9):
        return None
    if "epochs" in s.design:
        changes["epochs"] = 2 * int(s.design["epochs"])
    if s.design.get("early_stopping") and "patience" in s.design:
        changes["patience"] = 2 * int(s.design["patience"])
    return changes


def _batch_norm_on(s: _State):
    if "batch_norm" not in s.design or s.design["batch_norm"]:
        return None
    return {"batch_norm": True}


def _add_validation(s: _State):
    if s.design.get("validation_split", 0.1) > 0:
        return None
    return {"validation_split": 0.1, "early_stopping": True}


def _raise_validation_split(s: _State):
    if "validation_split" not in s.design:
        return None
    if not s.design.get("early_stopping", True):
        # no early stopping to steady: it would only take training rows
        # (the pooled folds add up the rows behind the curves anyway)
        return None
    new = _step(VALIDATION_SPLIT_STEPS, float(s.design["validation_split"]), up=True)
    return None if new is None else {"validation_split": new}


def _repeat_last(s: _State):
    # a combination of moves (see DesignSearchCV) is not a move to repeat;
    # nor a cure for divergence, a direction only while the run diverges
    # (whose own row cuts the rate again): a good fit at a hundredth of a
    # diverging rate was cut to a hundredth once more
    if (
        s.last_move not in _MOVE_FUNCTIONS
        or s.last_move == "repeat_last"
        or s.last_move in MOVES["diverged"]
    ):
        return None
    return _MOVE_FUNCTIONS[s.last_move](s)


_MOVE_FUNCTIONS: dict[str, Callable[[_State], dict | None]] = {
    "early_stopping_on": _early_stopping_on,
    "raise_dropout": _raise_dropout,
    "narrow": _narrow,
    "drop_layer": _drop_layer,
    "add_l2": _add_l2,
    "lower_l2": _lower_l2,
    "widen": _widen,
    "add_layer": _add_layer,
    "lower_dropout": _lower_dropout,
    "raise_learning_rate": _raise_learning_rate,
    "more_epochs": _more_epochs,
    "raise_patience": _raise_patience,
    "cut_learning_rate": _scaled_learning_rate(0.1),
    "cut_learning_rate_more": _scaled_learning_rate(0.01),
    "batch_norm_on": _batch_norm_on,
    "slow_down": _slow_down,
    "repeat_last": _repeat_last,
    "add_validation": _add_validation,
    "raise_validation_split": _raise_validation_split,
}

#: The move table: each verdict of the pooled curves and the moves it
#: suggests, most promising first. See the Notes of :class:`DesignSearchCV`.
MOVES: dict[str, tuple[str, ...]] = {
    "overfitting": (
        "early_stopping_on",
        "raise_dropout",
        "slow_down",
        "narrow",
        "drop_layer",
        "add_l2",
        "raise_validation_split",
    ),
    "underfitting": (
        "widen",
        "add_layer",
        "lower_dropout",
        "lower_l2",
        "raise_learning_rate",
    ),
    "still_improving": ("more_epochs", "raise_patience", "raise_learning_rate"),
    "diverged": ("cut_learning_rate", "batch_norm_on", "cut_learning_rate_more"),
    "good_fit": (
        "early_stopping_on",
        "repeat_last",
        "slow_down",
        "raise_patience",
        "add_l2",
        "raise_validation_split",
        "raise_dropout",
    ),
    "no_validation": ("add_validation",),
    # the shape of thin curves is a weak hint: more rows behind them first,
    # then the moves of what the shape reads (see _moves_for)
    "insufficient_evidence": ("raise_validation_split",),
}
#: The underfitting moves left out when the network learnt nothing from the
#: features (its curves never beat a constant guess).
NOTHING_LEARNT_SKIPS = ("widen", "add_layer", "lower_dropout")


def _rate_ratio(s: _State) -> float | None:
    return rate_ratio(s.design.get("learning_rate"), s.optimizer)


def _beyond_the_ladders(s: _State) -> list[str]:
    """The moves that step back a dropout above 0.5, an l2 above 1e-2, or a
    learning rate ``MAX_RAISED_RATE_FACTOR`` times its optimizer's usual one
    or more (cut) or ``HIGH_RATE_FACTOR`` times below it or more (raised to
    it): the settings the advice of a good fit asks to compare first."""
    dropout = s.design.get("dropout") or 0.0
    rates = [float(dropout)] if isinstance(dropout, numbers.Real) else dropout
    names = []
    if max(map(float, rates), default=0.0) > DROPOUT_STEPS[-1] + 1e-12:
        names.append("lower_dropout")
    if float(s.design.get("l2") or 0.0) > L2_STEPS[-1] + 1e-12:
        names.append("lower_l2")
    ratio = _rate_ratio(s)
    if rate_far_above_usual(ratio):
        names.append("cut_learning_rate")
    elif rate_far_below_usual(ratio):
        names.append("raise_learning_rate")
    return names


def _moves_for(state: _State, rejected=()) -> list[tuple[str, dict]]:
    """The applicable moves for the state's verdict, in table order.

    Moves in ``rejected`` (the previous round's, and those that lost by
    more than the fold noise earlier on the path) go last: they did not pay
    then, and the round's few slots are better spent on the others first
    (a penalty that lost 0.35 in R² was tried again after each accepted
    move, and lost again).
    """
    verdict = state.diagnosis.verdict
    names = list(MOVES.get(verdict, ()))
    if verdict == "insufficient_evidence":
        names += MOVES.get(state.diagnosis.curve_verdict, ())
    if NOTHING_LEARNT in state.diagnosis.message:
        # curves no better than a constant guess: their advice is a higher
        # rate, a lower l2 penalty (or features that tell the target);
        # widening, deepening and less dropout spent a round of fits on a
        # pure-noise target, none advised, none gaining
        names = [n for n in names if n not in NOTHING_LEARNT_SKIPS]
    if "good_fit" in (verdict, state.diagnosis.curve_verdict):
        # a setting beyond the top of its ladder, which the finer moves only
        # raise further, is stepped back first: dropout=0.7 (a held-out R²
        # of 0.35 against 0.46 at 0.5) was never lowered
        names = [*_beyond_the_ladders(state), *names]
    names = [n for n in names if n not in rejected] + [
        n for n in names if n in rejected
    ]
    moves = []
    for name in dict.fromkeys(names):
        changes = _MOVE_FUNCTIONS[name](state)
        if changes:
            moves.append((name, changes))
    return moves


# ----------------------------------------------------------------------
# Acceptance, and the designs the candidates make
# ----------------------------------------------------------------------

#: A candidate is accepted when its mean paired gain over the folds exceeds
#: this many standard errors of the paired per-fold differences.
ACCEPT_SE = 1.0


def _beats_noise(gain: float, noise: float) -> bool:
    """Whether a paired gain is positive and above ``ACCEPT_SE`` times its noise.

    A margin of float64 rounding keeps a tie out: a move that gains ``a`` on
    one fold and ties the others has a gain and a standard error both of
    exactly ``a / n``, which rounding alone would otherwise decide.
    """
    if not (np.isfinite(gain) and gain > 0):
        return False
    bar = ACCEPT_SE * noise
    return gain - bar > 1e-9 * max(abs(gain), abs(bar))


def repairs_divergence(current: Diagnosis, candidate: Diagnosis | None, gain) -> bool:
    """Whether a candidate replaces a diverged design whatever the fold noise.

    A design whose curves diverge predicts noise (its refit warns so), so it
    is no answer to keep for want of a gain above the noise: a candidate
    whose own curves do not diverge and that scores higher replaces it.
    """
    return (
        current.verdict == "diverged"
        and candidate is not None
        and candidate.verdict != "diverged"
        and bool(np.isfinite(gain) and gain > 0)
    )


def _combination(promising, design: dict) -> tuple[dict, dict] | None:
    """The design that makes the promising moves' changes together.

    Moves whose gains were positive but each below the fold noise may add
    up to one that is not. The moves, all made from ``design``, are merged
    by gain, best first; a move that changes a parameter an earlier one
    changed is left out. None unless at least two moves merge. Returns the
    design and its changes (old -> new), as a move's candidate has them.
    """
    changes: dict = {}
    n_moves = 0
    for candidate in sorted(promising, key=lambda c: -c.gain):
        if changes.keys() & candidate.changes.keys():
            continue
        changes.update(candidate.changes)
        n_moves += 1
    if n_moves < 2:
        return None
    return {**design, **{k: new for k, (_, new) in changes.items()}}, changes


def _real_changes(changes: dict, design: dict) -> dict:
    """The ``changes`` that change ``design`` (add_validation also turns on
    an early stopping that may be on already: that is no change to list)."""
    return {
        k: v
        for k, v in changes.items()
        if k not in design or _design_key({k: v}) != _design_key({k: design[k]})
    }


def _design_key(design: dict) -> tuple:
    """A hashable, order-free form of a design, to skip designs already tried."""

    def norm(value):
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if isinstance(value, list | tuple):
            return tuple(norm(v) for v in value)
        if isinstance(value, bool | np.bool_):
            return bool(value)
        if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
            return round(float(value), 12)
        return value

    return tuple(sorted((k, norm(v)) for k, v in design.items()))
