"""Tests of DesignSearchCV: the move table, acceptance against noise, results."""

import functools
import math
import threading
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import make_regression
from sklearn.exceptions import DataConversionWarning, FitFailedWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, fbeta_score, make_scorer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from skdnn._history import VERDICTS, Diagnosis, diagnose
from skdnn._moves import (
    ACCEPT_SE,
    MOVES,
    MOVES_PER_ROUND,
    _beats_noise,
    _moves_for,
    _State,
)
from skdnn._search import DesignSearchCV

# ----------------------------------------------------------------------
# A stand-in network: the design parameters, curves and scores set by hand
# ----------------------------------------------------------------------

N_FOLDS, FOLD_ROWS = 4, 40
# Rows each design gets wrong in each fold (of 40): the start gets 8 wrong
# everywhere; "raise_dropout" gains more on average but unevenly; "narrow"
# gains a little in every fold; "drop_layer" loses.
ERRORS = {
    "start": [8, 8, 8, 8],  # accuracy 0.8 in every fold
    "raise_dropout": [2, 10, 2, 10],  # paired gains +.15 -.05 +.15 -.05
    "slow_down": [9, 9, 9, 9],  # loses
    "narrow": [7, 7, 7, 7],  # paired gain +0.025 in every fold
    "drop_layer": [12, 12, 12, 12],
    "add_l2": [8, 8, 8, 8],  # no gain
    "raise_validation_split": [8, 8, 8, 8],  # no gain
}
COLUMNS = {name: i + 1 for i, name in enumerate(ERRORS)}


def overfit_history(n=40, turn=12):
    t = np.arange(n)
    train = 0.02 + 0.68 * np.exp(-0.12 * t)
    val = np.concatenate(
        [
            0.40 + 0.32 * np.exp(-0.3 * np.arange(turn)),
            0.40 + 0.012 * np.arange(1, n - turn + 1),
        ]
    )
    frame = pd.DataFrame({"loss": train, "val_loss": val})
    frame.index = pd.RangeIndex(1, n + 1, name="epoch")
    return frame


class StandInNet(ClassifierMixin, BaseEstimator):
    """Has the design parameters of a skdnn network; fits instantly.

    Column 0 of X is the label; column ``COLUMNS[design]`` flags the rows the
    design gets wrong, so every fold score is known in advance.
    """

    def __init__(
        self,
        *,
        hidden_layer_sizes=(64, 32),
        dropout=0.1,
        l2=0.0,
        epochs=40,
        patience=10,
        early_stopping=True,
        learning_rate=1e-3,
        batch_norm=False,
        validation_split=0.1,
        random_state=None,
        fail=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.l2 = l2
        self.epochs = epochs
        self.patience = patience
        self.early_stopping = early_stopping
        self.learning_rate = learning_rate
        self.batch_norm = batch_norm
        self.validation_split = validation_split
        self.random_state = random_state
        self.fail = fail

    def _design(self):
        sizes = tuple(self.hidden_layer_sizes)
        if self.dropout != 0.1:
            return "raise_dropout"
        if self.learning_rate != 1e-3:
            return "slow_down"
        if self.validation_split != 0.1:
            return "raise_validation_split"
        if sizes == (32, 16):
            return "narrow"
        if sizes == (64,):
            return "drop_layer"
        if self.l2:
            return "add_l2"
        return "start"

    def fit(self, X, y):
        if self.fail is not None and self._design() == self.fail:
            raise ValueError("this design cannot be fitted")
        self.classes_ = np.unique(y)
        self.history_ = overfit_history()
        self.hidden_layer_sizes_ = tuple(self.hidden_layer_sizes)
        self.n_validation_samples_ = 500
        self.best_epoch_ = 12
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        X = np.asarray(X)
        wrong = X[:, COLUMNS[self._design()]] == 1
        label = X[:, 0].astype(int)
        return np.where(wrong, 1 - label, label)


def stand_in_data(errors=ERRORS):
    """X, y and the 4 folds of 40 test rows the ``errors`` table speaks of."""
    n = N_FOLDS * FOLD_ROWS
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n)
    X = np.zeros((n, 1 + len(ERRORS)))
    X[:, 0] = y
    folds = []
    for k in range(N_FOLDS):
        test = np.arange(k * FOLD_ROWS, (k + 1) * FOLD_ROWS)
        folds.append((np.setdiff1d(np.arange(n), test), test))
        for name, wrong in errors.items():
            X[test[: wrong[k]], COLUMNS[name]] = 1
    return X, y, folds


def search(**params):
    X, y, folds = stand_in_data()
    defaults = {"scoring": "accuracy", "cv": folds, "max_rounds": 1}
    return DesignSearchCV(StandInNet(), **{**defaults, **params}), X, y


# ----------------------------------------------------------------------
# The move table
# ----------------------------------------------------------------------

DESIGN = {
    "hidden_layer_sizes": "auto",
    "dropout": 0.1,
    "l2": 0.0,
    "epochs": 50,
    "patience": 10,
    "early_stopping": False,
    "learning_rate": 1e-3,
    "batch_norm": False,
    "taper": 0.5,
    "validation_split": 0.1,
}


def moves(
    verdict,
    *,
    design=None,
    n_epochs=50,
    last_move=None,
    curve=None,
    message="",
    optimizer=None,
):
    diagnosis = Diagnosis(
        verdict, message, (), n_epochs=n_epochs, curve_verdict=curve or verdict
    )
    design = {**DESIGN, **(design or {})}
    state = _State(design, (64, 32), diagnosis, last_move, optimizer)
    return dict(_moves_for(state))


def test_the_rate_is_raised_no_higher_than_ten_times_the_optimizers_usual():
    # from learning_rate=0.1 (100 times Adam's usual 1e-3), a network that
    # learnt nothing was moved to 0.3, and the advice read learning_rate=1
    nothing = "underfitting: ...: the network learnt nothing from the features"

    def rate_move(rate, optimizer):
        design = {"learning_rate": rate}
        found = moves(
            "underfitting", design=design, message=nothing, optimizer=optimizer
        )
        return found.get("raise_learning_rate")

    assert rate_move(3e-3, "adam") == {"learning_rate": 0.009}
    assert rate_move(9e-3, "adam") is None  # 0.027: above 1e-2
    assert rate_move(0.1, "adam") is None
    assert rate_move(9e-3, "sgd") == {"learning_rate": 0.027}  # SGD's usual: 1e-2
    assert rate_move(0.1, "sgd") is None
    assert rate_move(0.1, None) == {"learning_rate": 0.3}  # an optimizer not known


def test_every_verdict_has_moves():
    assert set(MOVES) == set(VERDICTS)
    assert all(MOVES.values())


def test_overfitting_moves():
    assert moves("overfitting") == {
        "early_stopping_on": {"early_stopping": True},
        "raise_dropout": {"dropout": 0.3},
        # early stopping off: twice the epochs, patience unchanged
        "slow_down": {"learning_rate": 0.000333, "epochs": 100},
        "narrow": {"hidden_layer_sizes": (32, 16)},
        "drop_layer": {"hidden_layer_sizes": (64,)},
        "add_l2": {"l2": 1e-3},
    }
    # with early stopping on and dropout at its top, those moves drop out,
    # the slowed run gets twice the patience too, and a larger hold-out
    # steadies the curve early stopping reads (without early stopping it
    # would only take training rows)
    stopped = moves("overfitting", design={"early_stopping": True, "dropout": 0.5})
    assert next(iter(stopped.items())) == (
        "slow_down",
        {"learning_rate": 0.000333, "epochs": 100, "patience": 20},
    )
    assert stopped["raise_validation_split"] == {"validation_split": 0.2}
    # the step does not fall below MIN_SLOW_LEARNING_RATE
    assert "slow_down" not in moves("overfitting", design={"learning_rate": 2e-4})


def test_underfitting_moves():
    assert moves("underfitting") == {
        "widen": {"hidden_layer_sizes": (128, 64)},
        "add_layer": {"hidden_layer_sizes": (64, 32, 16)},
        "lower_dropout": {"dropout": 0.0},
        "raise_learning_rate": {"learning_rate": 0.003},
    }
    # curves no better than a constant guess: the diagnosis advises a higher
    # rate, not more width (a pure-noise target's first round went on three
    # width and dropout moves)
    nothing = "underfitting: ...: the network learnt nothing from the features"
    assert moves("underfitting", message=nothing) == {
        "raise_learning_rate": {"learning_rate": 0.003}
    }
    thin = moves("insufficient_evidence", curve="underfitting", message=nothing)
    assert list(thin)[-1] == "raise_learning_rate"
    assert not {"widen", "add_layer", "lower_dropout"} & set(thin)
    # with l2=0.1 every kernel sat near 0 (balanced accuracy 0.5 on every
    # fold), and no move of the table lowered the penalty
    assert moves("underfitting", design={"l2": 0.1}, message=nothing) == {
        "lower_l2": {"l2": 1e-2},
        "raise_learning_rate": {"learning_rate": 0.003},
    }
    assert moves("underfitting", design={"l2": 1e-3})["lower_l2"] == {"l2": 0.0}


def test_a_setting_beyond_its_ladder_is_stepped_back_first_from_a_good_fit():
    # dropout=0.7 on a regressor read "good fit", whose moves only raise
    # dropout and l2: it was never lowered (held-out R² 0.35, 0.46 at 0.5)
    over = moves("good_fit", design={"dropout": 0.7, "l2": 0.1, "early_stopping": True})
    assert list(over)[:2] == ["lower_dropout", "lower_l2"]
    assert over["lower_dropout"] == {"dropout": 0.5}
    assert over["lower_l2"] == {"l2": 1e-2}
    per_layer = moves("good_fit", design={"dropout": (0.8, 0.2)})
    assert per_layer["lower_dropout"] == {"dropout": (0.5, 0.1)}
    thin = moves("insufficient_evidence", curve="good_fit", design={"dropout": 0.6})
    assert "lower_dropout" in thin
    # within the ladders, a good fit's moves are the finer ones
    assert not {"lower_dropout", "lower_l2"} & set(moves("good_fit"))
    assert "lower_dropout" not in moves("overfitting", design={"dropout": 0.7})


def test_a_rate_far_from_the_usual_one_is_stepped_back_first_from_a_good_fit():
    # learning_rate=1e-5 on attrition: pooled folds read "good fit" with
    # their best epoch the last of 200, and only regularising moves followed
    slow = moves("good_fit", design={"learning_rate": 1e-5}, optimizer="adam")
    assert next(iter(slow.items())) == ("raise_learning_rate", {"learning_rate": 1e-3})
    # the advice of a good fit at ten times the usual rate: compare a lower one
    fast = moves("good_fit", design={"learning_rate": 0.01}, optimizer="adam")
    assert next(iter(fast.items())) == ("cut_learning_rate", {"learning_rate": 1e-3})
    # SGD's usual rate is 1e-2; near the usual rate, or with an optimizer
    # whose usual rate is not known, the good fit's finer moves come first
    assert (
        next(iter(moves("good_fit", design={"learning_rate": 1e-4}, optimizer="sgd")))
        == "raise_learning_rate"
    )
    for rate, optimizer in ((1e-4, "adam"), (3e-3, "adam"), (1e-5, None)):
        found = moves("good_fit", design={"learning_rate": rate}, optimizer=optimizer)
        assert not {"raise_learning_rate", "cut_learning_rate"} & set(found)
    # still improving that far below: one move to the usual rate, not
    # three rounds of tripling (1e-5 -> 3e-5 -> 9e-5 -> 2.7e-4 on wage)
    improving = moves(
        "still_improving", design={"learning_rate": 1e-5}, optimizer="adam"
    )
    assert improving["raise_learning_rate"] == {"learning_rate": 1e-3}
    assert moves("still_improving", design={"learning_rate": 1e-4}, optimizer="adam")[
        "raise_learning_rate"
    ] == {"learning_rate": 3e-4}


def test_still_improving_moves_follow_what_ended_the_run():
    # the run used every epoch: more epochs, with early stopping on as the
    # advice has it ("epochs=100 with early_stopping=True"), so the longer
    # run keeps its best epoch's weights
    assert moves("still_improving", n_epochs=50) == {
        "more_epochs": {"epochs": 100, "early_stopping": True},
        "raise_learning_rate": {"learning_rate": 0.003},
    }
    ran_out = moves("still_improving", design={"early_stopping": True}, n_epochs=50)
    assert ran_out["more_epochs"] == {"epochs": 100}
    # early stopping ended it at epoch 30 of 50: more patience, not epochs
    early = moves("still_improving", design={"early_stopping": True}, n_epochs=30)
    assert early == {
        "raise_patience": {"patience": 20},
        "raise_learning_rate": {"learning_rate": 0.003},
    }


def test_diverged_moves():
    assert moves("diverged") == {
        "cut_learning_rate": {"learning_rate": 1e-4},
        "batch_norm_on": {"batch_norm": True},
        "cut_learning_rate_more": {"learning_rate": 1e-5},
    }
    assert moves("diverged", design={"batch_norm": True}) == {
        "cut_learning_rate": {"learning_rate": 1e-4},
        "cut_learning_rate_more": {"learning_rate": 1e-5},
    }


def test_good_fit_moves_are_finer():
    assert moves("good_fit", design={"early_stopping": True}, n_epochs=30) == {
        "slow_down": {"learning_rate": 0.000333, "epochs": 100, "patience": 20},
        "raise_patience": {"patience": 20},
        "add_l2": {"l2": 1e-3},
        "raise_validation_split": {"validation_split": 0.2},
        "raise_dropout": {"dropout": 0.3},
    }
    # without early stopping, first what the diagnosis advises: keep the
    # best epoch's weights
    assert next(iter(moves("good_fit").items())) == (
        "early_stopping_on",
        {"early_stopping": True},
    )
    # after an accepted move, the first finer move repeats it
    again = moves(
        "good_fit",
        design={"dropout": 0.3, "early_stopping": True},
        last_move="raise_dropout",
    )
    assert next(iter(again.items())) == ("repeat_last", {"dropout": 0.5})
    # but not a cure for divergence once it no longer diverges: from
    # learning_rate=0.1, a good fit at 1e-3 (a hundredth) was cut to 1e-5
    for cure in MOVES["diverged"]:
        cured = moves("good_fit", design={"early_stopping": True}, last_move=cure)
        assert "repeat_last" not in cured


def test_no_validation_moves_add_a_hold_out():
    assert moves("no_validation", design={"validation_split": 0.0}) == {
        "add_validation": {"validation_split": 0.1, "early_stopping": True}
    }


def test_insufficient_evidence_moves_add_rows_then_follow_the_shape():
    stopping = {"early_stopping": True}
    found = moves("insufficient_evidence", curve="overfitting", design=stopping)
    assert list(found)[:3] == ["raise_validation_split", "raise_dropout", "slow_down"]
    assert found["raise_validation_split"] == {"validation_split": 0.2}
    # without early stopping a larger hold-out would only take training rows
    # from the refit (it was tried, and accepted on a gain of fold noise)
    found = moves("insufficient_evidence", curve="overfitting")
    assert list(found)[:2] == ["early_stopping_on", "raise_dropout"]
    assert "raise_validation_split" not in found


def test_layer_moves_keep_one_dropout_rate_per_layer():
    # with one rate per layer, a layer added repeats the last rate and a
    # layer dropped takes its rate with it, so the candidate can be built
    design = {"dropout": (0.1, 0.3)}
    assert moves("underfitting", design=design)["add_layer"] == {
        "hidden_layer_sizes": (64, 32, 16),
        "dropout": (0.1, 0.3, 0.3),
    }
    assert moves("overfitting", design=design)["drop_layer"] == {
        "hidden_layer_sizes": (64,),
        "dropout": (0.1,),
    }
    # one rate for every layer is left as it is
    assert moves("underfitting")["add_layer"] == {"hidden_layer_sizes": (64, 32, 16)}


def test_dropout_moves_step_each_layers_rate_in_their_direction():
    # lower_dropout gave every layer the one rate below the largest: a
    # layer at 0 went up to 0.3 on a verdict asking for less dropout
    design = {"dropout": (0.5, 0.0)}
    assert moves("underfitting", design=design)["lower_dropout"] == {
        "dropout": (0.3, 0.0)
    }
    assert moves("overfitting", design=design)["raise_dropout"] == {
        "dropout": (0.5, 0.1)  # a rate at the top of the ladder stays
    }
    assert "lower_dropout" not in moves("underfitting", design={"dropout": (0.0,)})
    assert moves("overfitting", design={"dropout": 0.1})["raise_dropout"] == {
        "dropout": 0.3
    }


def test_a_candidate_lists_only_what_it_changes():
    from skdnn._moves import _real_changes

    design = {"validation_split": 0.0, "early_stopping": True, "dropout": (0.1,)}
    found = moves("no_validation", design=design)["add_validation"]
    assert _real_changes(found, design) == {"validation_split": 0.1}
    assert _real_changes({"dropout": [0.1]}, design) == {}


def test_rejected_moves_go_last():
    diagnosis = Diagnosis("overfitting", "", (), n_epochs=50)
    state = _State(DESIGN, (64, 32), diagnosis, None)
    names = [name for name, _ in _moves_for(state, {"early_stopping_on"})]
    assert names[0] == "raise_dropout"
    assert names[-1] == "early_stopping_on"


# ----------------------------------------------------------------------
# Acceptance against the fold noise, and what the search records
# ----------------------------------------------------------------------


def test_a_move_no_better_than_noise_is_rejected():
    est, X, y = search()
    est.fit(X, y)
    path = est.path_.set_index("move")
    assert list(path.index) == ["start", "raise_dropout", "slow_down", "narrow"]
    assert len(path) == 1 + MOVES_PER_ROUND
    # raise_dropout gains 0.05 on average, but unevenly across the folds
    gain, noise = path.loc["raise_dropout", ["gain", "noise"]]
    assert gain == pytest.approx(0.05)
    assert noise == pytest.approx(np.std([0.15, -0.05, 0.15, -0.05], ddof=1) / 2)
    assert gain < ACCEPT_SE * noise
    assert not path.loc["raise_dropout", "accepted"]
    # narrow gains only 0.025, in every fold: accepted
    assert path.loc["narrow", "gain"] == pytest.approx(0.025)
    assert path.loc["narrow", "noise"] == pytest.approx(0.0)
    assert path.loc["narrow", "accepted"]
    assert not path.loc["slow_down", "accepted"]
    assert est.best_params_ == {"hidden_layer_sizes": (32, 16)}
    assert est.best_score_ == pytest.approx(33 / 40)
    assert est.path_["verdict"].eq("overfitting").all()
    assert est.path_["changes"].iloc[3] == "hidden_layer_sizes: (64, 32) -> (32, 16)"


def test_nothing_better_than_the_start_stops_the_search():
    # here no move of the table beats the start: narrow loses too
    X, y, folds = stand_in_data({**ERRORS, "narrow": [9, 9, 9, 9]})
    est = DesignSearchCV(StandInNet(), scoring="accuracy", cv=folds, max_rounds=5)
    est.fit(X, y)
    assert not est.path_["accepted"].iloc[1:].any()
    assert est.best_index_ == 0 and est.best_params_ == {}
    assert est.best_score_ == pytest.approx(0.8)
    # round 1 tried the first three moves, round 2 the other three, and
    # round 3 found none left
    assert est.path_["move"].tolist() == [
        "start",
        "raise_dropout",
        "slow_down",
        "narrow",
        "drop_layer",
        "add_l2",
        "raise_validation_split",
    ]
    assert est.path_["round"].tolist() == [0, 1, 1, 1, 2, 2, 2]
    # named after the last round that ran (it named a round 3 never run)
    assert est.stop_reason_.startswith("after round 2: no move beat the current")
    assert "no untried move is left for the verdict 'overfitting'" in est.stop_reason_


class PathNet(StandInNet):
    """A stand-in whose narrowed design takes an l2 penalty a round later."""

    def _design(self):
        if tuple(self.hidden_layer_sizes) == (32, 16) and self.dropout == 0.1:
            if self.learning_rate == 1e-3 and self.validation_split == 0.1:
                return "add_l2" if self.l2 == 1e-3 else "narrow"
        return super()._design()


def test_moves_that_lost_beyond_the_noise_go_last_for_the_whole_path():
    # each accepted move put back at the front the moves that had lost
    # clearly before (a penalty that lost 0.35 in R² was tried again, and
    # lost again): they go last for the rest of the path
    errors = {**ERRORS, "raise_dropout": [10, 10, 10, 10], "add_l2": [6, 6, 6, 6]}
    X, y, folds = stand_in_data(errors)
    est = DesignSearchCV(PathNet(), scoring="accuracy", cv=folds, max_rounds=3)
    est.fit(X, y)
    path = est.path_
    # round 1: raise_dropout and slow_down lose; round 2: add_l2 wins
    assert path.loc[path["accepted"], "move"].tolist() == ["start", "narrow", "add_l2"]
    assert path.loc[path["round"] == 1, "move"].tolist()[:2] == [
        "raise_dropout",
        "slow_down",
    ]
    # round 3 tries the untried directions first, the lost ones after
    assert path.loc[path["round"] == 3, "move"].tolist() == [
        "add_l2",
        "raise_validation_split",
        "raise_dropout",
    ]


def test_a_stalled_round_is_followed_by_the_verdicts_untried_moves():
    # round 1's three moves all lose; add_l2, tried in round 2, wins
    errors = {**ERRORS, "narrow": [9, 9, 9, 9], "add_l2": [6, 6, 6, 6]}
    X, y, folds = stand_in_data(errors)
    est = DesignSearchCV(StandInNet(), scoring="accuracy", cv=folds, max_rounds=2)
    est.fit(X, y)
    path = est.path_.set_index("move")
    assert path.loc["add_l2", "round"] == 2
    assert path.loc["add_l2", "accepted"]
    assert est.best_params_ == {"l2": 1e-3}
    assert est.best_score_ == pytest.approx(34 / 40)
    assert est.stop_reason_ == "max_rounds=2 reached"


def test_the_best_diagnosis_names_the_moves_tried_from_the_best_design():
    # nothing beat the start: its diagnosis says what the search tried, so
    # that its own advice (raise dropout...) does not read as untried
    X, y, folds = stand_in_data({**ERRORS, "narrow": [9, 9, 9, 9]})
    est = DesignSearchCV(StandInNet(), scoring="accuracy", cv=folds, max_rounds=5)
    est.fit(X, y)
    first, *own = est.best_diagnosis_.advice
    assert first.startswith("the search tried from this design, none beating it")
    challengers = est.path_.iloc[1:]
    for _, c in challengers.iterrows():
        outcome = (
            "the same score on every fold"
            if c["gain"] == 0 and c["noise"] == 0
            else f"gain {c['gain']:+.3g}, noise {c['noise']:.3g}"
        )
        assert f"{c['move']} ({c['changes']}): {outcome}" in first
    assert "gain -" in first and "the same score on every fold" in first
    assert own  # the curves' own advice follows, unchanged
    assert "the search tried" not in "".join(own)
    assert est.best_diagnosis_.verdict == "overfitting"
    # the last round accepted a move: nothing was tried from it yet
    errors = {**ERRORS, "narrow": [9, 9, 9, 9], "add_l2": [6, 6, 6, 6]}
    X, y, folds = stand_in_data(errors)
    est = DesignSearchCV(StandInNet(), scoring="accuracy", cv=folds, max_rounds=2)
    est.fit(X, y)
    assert not any("the search tried" in line for line in est.best_diagnosis_.advice)


def _advised(*steps):
    """A diagnosis whose advice is ``steps``."""
    from dataclasses import replace

    base = diagnose(pd.DataFrame({"loss": [1.0, 0.8, 0.7], "val_loss": [1, 0.9, 0.8]}))
    return replace(base, advice=steps)


def _tried(move, changes, gain, noise):
    """A candidate the search tried, as _with_tried_moves reads it."""
    from types import SimpleNamespace

    return SimpleNamespace(move=move, changes=changes, gain=gain, noise=noise)


def test_advice_repeating_a_lost_move_says_it_was_tried():
    # "keep the weights of epoch 57: early_stopping=True" came two lines
    # after the search had measured early_stopping=True losing 0.0118
    from dataclasses import replace
    from types import SimpleNamespace

    from skdnn._search_folds import _with_tried_moves

    diagnosis = _advised(
        "keep the weights of epoch 57: early_stopping=True, or epochs=57",
        "raise dropout: dropout=0.3",
        "widen: hidden_layer_sizes=(128, 64)",
    )
    lost = _tried(
        "early_stopping_on", {"early_stopping": (False, True)}, -0.0118, 0.0036
    )
    wider = _tried("widen", {"hidden_layer_sizes": ((64, 32), (128, 64))}, 0.0, 0.0)
    # the step that lost beyond its noise goes last (a pure-noise target
    # was first told to raise the learning rate further after a raise lost)
    first, dropout, widen, stop = _with_tried_moves(diagnosis, [lost, wider]).advice
    assert first.startswith("the search tried from this design")
    assert stop.endswith(
        "epochs=57 (early_stopping=True was tried: gain -0.0118, noise 0.0036)"
    )
    assert dropout == "raise dropout: dropout=0.3"  # not tried: as it was
    assert widen.endswith(
        "(hidden_layer_sizes=(128, 64) was tried: the same score on every fold)"
    )
    # with the "or ..." steps that follow it
    grouped = replace(
        diagnosis, advice=(diagnosis.advice[0], "or stop by hand", "check the data")
    )
    assert _with_tried_moves(grouped, [lost]).advice[1:] == (
        "check the data",
        _with_tried_moves(diagnosis, [lost]).advice[-1],
        "or stop by hand",
    )
    # a loss within the fold noise leaves the step where it was
    close = SimpleNamespace(**{**vars(lost), "gain": -0.002})
    assert _with_tried_moves(diagnosis, [close]).advice[1].startswith("keep the")
    # another value of a tried parameter is another move
    other = replace(diagnosis, advice=("stop early: early_stopping=False",))
    assert _with_tried_moves(other, [lost]).advice[1] == (
        "stop early: early_stopping=False"
    )
    # but a rung tried on the way to the number advised is said
    rung = SimpleNamespace(
        move="raise_dropout", changes={"dropout": (0.1, 0.3)}, gain=-0.0035, noise=0.01
    )
    further = replace(diagnosis, advice=("raise dropout from 0.1: dropout=0.5",))
    assert (
        _with_tried_moves(further, [rung])
        .advice[1]
        .endswith("dropout=0.5 (dropout=0.3 was tried: gain -0.0035, noise 0.01)")
    )
    back = replace(diagnosis, advice=("lower dropout: dropout=0.0",))
    assert _with_tried_moves(back, [rung]).advice[1] == "lower dropout: dropout=0.0"
    # a setting at a sentence's end; a move that changed more than it
    both = SimpleNamespace(
        move="slow_down",
        changes={"learning_rate": (1e-3, 3e-4), "epochs": (200, 400)},
        gain=-0.002,
        noise=0.004,
    )
    slower = replace(diagnosis, advice=("converge slower: learning_rate=0.0003.",))
    assert (
        _with_tried_moves(slower, [both])
        .advice[1]
        .endswith(
            "(learning_rate=0.0003 was tried (with epochs): gain -0.002, noise 0.004)"
        )
    )


class AdditiveNet(StandInNet):
    """A stand-in whose dropout and narrowing each fix some rows and break
    others: the changes add up when made together."""

    def predict(self, X):
        X = np.asarray(X)
        wrong = X[:, 1] == 1
        for changed, fixed, broken in (
            (self.dropout != 0.1, 2, 3),
            (tuple(self.hidden_layer_sizes) == (32, 16), 4, 5),
        ):
            if changed:
                wrong = (wrong & (X[:, fixed] == 0)) | (X[:, broken] == 1)
        label = X[:, 0].astype(int)
        return np.where(wrong, 1 - label, label)


class DivergingNet(StandInNet):
    """Its training loss explodes at the starting learning rate, not below;
    with batch_norm it scores as "add_l2" (and still diverges)."""

    def _design(self):
        return "add_l2" if self.batch_norm else super()._design()

    def fit(self, X, y):
        super().fit(X, y)
        if self.learning_rate >= 1e-3:
            loss = 0.7 * 10.0 ** np.arange(20)
            epochs = pd.RangeIndex(1, 21, name="epoch")
            self.history_ = pd.DataFrame({"loss": loss, "val_loss": loss}, epochs)
        return self


def _diverging_search(**errors):
    """One round of a search from a DivergingNet, the designs named in
    ``errors`` getting those rows of each fold wrong."""
    X, y, folds = stand_in_data({**ERRORS, **errors})
    search = DesignSearchCV(DivergingNet(), scoring="accuracy", cv=folds, max_rounds=1)
    return search.fit(X, y)


def test_a_diverged_design_gives_way_to_one_that_trains_within_the_noise():
    # a start whose learning rate diverged was kept: the rate cut gained
    # less than the fold noise, and no move was left for the verdict
    found = _diverging_search(slow_down=[9, 6, 9, 6])  # gains -.025 +.05: +0.0125
    path = found.path_.set_index("move")
    assert path.loc["start", "verdict"] == "diverged"
    gain, noise = path.loc["cut_learning_rate", ["gain", "noise"]]
    assert 0 < gain < ACCEPT_SE * noise
    assert path.loc["cut_learning_rate", "verdict"] == "overfitting"
    assert path.loc["cut_learning_rate", "accepted"]
    assert found.best_params_ == {"learning_rate": 1e-4}
    # a candidate that diverges too, or one that trains but gains nothing,
    # does not replace the start within the noise
    found = _diverging_search(slow_down=[8, 8, 8, 8], add_l2=[9, 6, 9, 6])
    path = found.path_.set_index("move")
    assert path.loc["batch_norm_on", "verdict"] == "diverged"
    assert 0 < path.loc["batch_norm_on", "gain"] < path.loc["batch_norm_on", "noise"]
    assert path.loc["cut_learning_rate", "gain"] == 0
    assert not path["accepted"].iloc[1:].any()
    assert found.best_params_ == {}
    # between designs that train, the fold noise decides as before
    X, y, folds = stand_in_data()
    kept = DesignSearchCV(StandInNet(), scoring="accuracy", cv=folds, max_rounds=1)
    assert not kept.fit(X, y).path_.set_index("move").loc["raise_dropout", "accepted"]


def test_moves_that_gain_below_the_noise_are_tried_together():
    # per fold, of 40 rows: the start gets 8 wrong; raise_dropout's net
    # gain is +6 -1 +1 0 rows and narrow's -1 +6 0 +1, each below the
    # noise; together +5 +5 +1 +1, above it
    fixes = {  # rows fixed and broken per fold
        "dropout": ([6, 0, 1, 0], [0, 1, 0, 0]),
        "narrow": ([0, 6, 0, 1], [1, 0, 0, 0]),
    }
    n = N_FOLDS * FOLD_ROWS
    y = np.random.default_rng(0).integers(0, 2, n)
    X = np.zeros((n, 6))
    X[:, 0] = y
    folds = []
    for k in range(N_FOLDS):
        test = np.arange(k * FOLD_ROWS, (k + 1) * FOLD_ROWS)
        folds.append((np.setdiff1d(np.arange(n), test), test))
        X[test[:8], 1] = 1
        start = 0
        for column, (fixed, broken) in zip((2, 4), fixes.values(), strict=True):
            X[test[start : start + fixed[k]], column] = 1  # among the 8 wrong
            start += fixed[k]
            right = 20 if column == 2 else 30  # rows the start gets right
            X[test[right : right + broken[k]], column + 1] = 1
    est = DesignSearchCV(AdditiveNet(), scoring="accuracy", cv=folds, max_rounds=2)
    est.fit(X, y)
    path = est.path_.set_index("move")
    for move in ("raise_dropout", "narrow"):
        assert path.loc[move, "gain"] == pytest.approx(0.0375)
        assert not path.loc[move, "accepted"]
    assert path.loc["slow_down", "gain"] == 0  # no gain: not combined
    combined = path.loc["combine"]
    assert combined["round"] == 2 and combined["accepted"]
    assert combined["gain"] == pytest.approx(0.075)
    assert combined["changes"] == (
        "dropout: 0.1 -> 0.3, hidden_layer_sizes: (64, 32) -> (32, 16)"
    )
    assert est.best_params_ == {"dropout": 0.3, "hidden_layer_sizes": (32, 16)}
    assert est.best_score_ == pytest.approx(0.8 + 0.075)


def test_cv_results_layout():
    est, X, y = search()
    est.fit(X, y)
    results = est.cv_results_
    n = len(est.path_)
    assert results["params"] == [
        {},
        {"dropout": 0.3},
        {"learning_rate": 0.000333, "epochs": 80, "patience": 20},
        {"hidden_layer_sizes": (32, 16)},
    ]
    split0, split1 = [0.8, 0.95, 0.775, 0.825], [0.8, 0.75, 0.775, 0.825]
    np.testing.assert_allclose(results["split0_test_score"], split0)
    np.testing.assert_allclose(results["split1_test_score"], split1)
    np.testing.assert_allclose(results["mean_test_score"], [0.8, 0.85, 0.775, 0.825])
    np.testing.assert_array_equal(results["rank_test_score"], [3, 1, 4, 2])
    assert results["param_dropout"].mask.tolist() == [True, False, True, True]
    assert results["param_dropout"][1] == 0.3
    for key in ("mean_fit_time", "std_fit_time", "mean_score_time", "std_test_score"):
        assert results[key].shape == (n,)
    assert est.best_index_ == 3
    assert est.n_fits_ == N_FOLDS * n
    assert est.n_splits_ == N_FOLDS
    # cv_results_ loads into a DataFrame as GridSearchCV's does
    assert len(pd.DataFrame(results)) == n


def test_best_estimator_is_refit_and_delegated():
    est, X, y = search()
    est.fit(X, y)
    assert est.best_estimator_.hidden_layer_sizes == (32, 16)
    assert est.best_estimator_.n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(est.predict(X), est.best_estimator_.predict(X))
    np.testing.assert_array_equal(est.classes_, [0, 1])
    assert est.score(X, y) == pytest.approx(1 - 28 / 160)
    assert est.best_diagnosis_.n_folds == N_FOLDS
    assert est.best_diagnosis_.n_validation == N_FOLDS * 500
    assert len(est.best_histories_) == N_FOLDS
    # no predict_proba on the stand-in: none on the search either
    assert not hasattr(est, "predict_proba")
    # the HTML diagram shows the accepted design, as GridSearchCV's its
    # best_estimator_ (it showed the start the search moved away from)
    html = est._repr_html_()
    assert "best_estimator_: StandInNet" in html
    assert "hidden_layer_sizes=(32, 16)" in html
    assert "estimator: StandInNet" in search()[0]._repr_html_()


def test_refit_false_has_no_predict():
    est, X, y = search(refit=False)
    est.fit(X, y)
    assert not hasattr(est, "best_estimator_")
    with pytest.raises(AttributeError, match="no attribute 'predict'") as info:
        est.predict(X)
    assert "refit=False" in str(info.value.__cause__)
    assert est.best_params_ == {"hidden_layer_sizes": (32, 16)}


def test_pipeline_parameters_are_prefixed(capsys):
    X, y, folds = stand_in_data()
    pipe = Pipeline([("identity", FunctionTransformer()), ("net", StandInNet())])
    est = DesignSearchCV(pipe, scoring="accuracy", cv=folds, max_rounds=1, verbose=1)
    est.fit(X, y)
    assert est.best_params_ == {"net__hidden_layer_sizes": (32, 16)}
    assert est.cv_results_["params"][1] == {"net__dropout": 0.3}
    assert est.best_estimator_.get_params()["net__hidden_layer_sizes"] == (32, 16)
    # the path and the progress lines name them as set_params takes them
    accepted = est.path_[est.path_["accepted"]]["changes"].iloc[-1]
    assert accepted == "net__hidden_layer_sizes: (64, 32) -> (32, 16)"
    said = capsys.readouterr().err
    assert "accepted narrow: net__hidden_layer_sizes: (64, 32) -> (32, 16)" in said
    assert "(net__dropout: 0.1 -> 0.3)" in said


def test_failed_fits_are_never_accepted():
    X, y, folds = stand_in_data()
    est = DesignSearchCV(
        StandInNet(fail="narrow"), scoring="accuracy", cv=folds, max_rounds=1
    )
    with pytest.warns(FitFailedWarning, match="'narrow' failed"):
        est.fit(X, y)
    path = est.path_.set_index("move")
    assert np.isnan(path.loc["narrow", "score"])
    assert pd.isna(path.loc["narrow", "verdict"])
    assert not path["accepted"].iloc[1:].any()
    assert est.cv_results_["rank_test_score"][3] == 4


def test_a_scoring_failure_fails_its_candidate_not_the_search():
    from sklearn.metrics import accuracy_score

    def scorer(est, X, y):  # e.g. a Poisson deviance of a negative prediction
        if est._design() == "narrow":
            raise ValueError("cannot score this design")
        return accuracy_score(y, est.predict(X))

    X, y, folds = stand_in_data()
    est = DesignSearchCV(StandInNet(), scoring=scorer, cv=folds, max_rounds=1)
    with pytest.warns(FitFailedWarning, match="'narrow' failed .fit or scoring"):
        est.fit(X, y)
    path = est.path_.set_index("move")
    assert np.isnan(path.loc["narrow", "score"])
    assert not path["accepted"].iloc[1:].any()
    # a start it cannot score is an error that says so
    X, y, folds = stand_in_data({**ERRORS, "start": [0, 0, 0, 0]})
    est = DesignSearchCV(
        StandInNet(),
        scoring=lambda est, X, y: scorer(
            est.set_params(hidden_layer_sizes=(32, 16)), X, y
        ),
        cv=folds,
    )
    with pytest.raises(ValueError, match="scoring failed: ValueError: cannot score"):
        est.fit(X, y)


def test_a_failing_start_is_an_error():
    X, y, folds = stand_in_data()
    est = DesignSearchCV(StandInNet(fail="start"), scoring="accuracy", cv=folds)
    with pytest.raises(ValueError, match="starting design failed"):
        est.fit(X, y)


def test_a_start_the_scorer_cannot_score_is_named_as_such():
    # every fit succeeds, the scorer returns NaN: not "failed to fit"
    X, y, folds = stand_in_data()
    est = DesignSearchCV(StandInNet(), scoring=lambda *_: np.nan, cv=folds)
    with pytest.raises(ValueError, match=r"scorer returned NaN .* fold\(s\) \[0, 1"):
        est.fit(X, y)


def test_a_gain_tied_with_its_noise_is_not_above_it():
    # one fold gains a, the others tie: gain and standard error are both
    # a / n, and float rounding decided (20 of 80 such moves were accepted)
    for a in np.linspace(0.001, 0.2, 80):
        for n in (3, 5, 10):
            diffs = np.r_[a, np.zeros(n - 1)]
            gain = float(np.mean(diffs))
            noise = float(np.std(diffs, ddof=1) / np.sqrt(n))
            assert not _beats_noise(gain, noise)
    assert _beats_noise(0.02, 0.01)
    assert _beats_noise(0.01, 0.0)
    assert not _beats_noise(-0.02, 0.01)
    assert not _beats_noise(np.nan, 0.01)


def test_diagnose_of_a_search_is_its_pooled_verdict():
    # not the verdict on the single refit's curve, thinner than the folds'
    est, X, y = search()
    est.fit(X, y)
    assert diagnose(est) is est.best_diagnosis_


def test_max_rounds_zero_only_scores_the_start():
    est, X, y = search(max_rounds=0)
    est.fit(X, y)
    assert list(est.path_["move"]) == ["start"]
    assert est.stop_reason_ == "max_rounds=0 reached"
    assert est.n_fits_ == N_FOLDS


def test_a_regressors_scorer_of_probabilities_is_refused_before_any_fit():
    # it fitted every fold of the start, then failed on each
    from skdnn import TaperedMLPRegressor

    X, y = make_regression(n_samples=60, n_features=3, random_state=0)
    search = DesignSearchCV(TaperedMLPRegressor(), scoring="roc_auc", cv=3)
    with pytest.raises(ValueError, match="'roc_auc' needs decision_function"):
        search.fit(X, y)
    assert not hasattr(search, "path_") and not hasattr(search, "n_fits_")


def test_a_classifiers_scorer_of_a_missing_positive_class_is_refused_before_any_fit():
    # recall on labels "no"/"yes" scored pos_label=1: every fold of the
    # start was fitted, then the search said "The starting design failed"
    from skdnn import TaperedMLPClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.where(X[:, 0] > 0, "yes", "no")
    search = DesignSearchCV(TaperedMLPClassifier(), scoring="recall", cv=3)
    with pytest.raises(ValueError, match="'recall' cannot score this target") as e:
        search.fit(X, y)
    assert "scoring=make_scorer(recall_score, pos_label='yes')" in str(e.value)
    assert "use 'recall_macro' or 'balanced_accuracy'" in str(e.value)
    assert "starting design" not in str(e.value)
    # the hint names the scorer's own metric, not recall's
    search.set_params(scoring="neg_brier_score")
    with pytest.raises(ValueError, match="'neg_brier_score' cannot score") as e:
        search.fit(X, y)
    assert (
        "scoring=make_scorer(brier_score_loss, pos_label='yes', "
        "greater_is_better=False, response_method='predict_proba')"
    ) in str(e.value)
    assert "recall" not in str(e.value)
    assert not hasattr(search, "path_") and not hasattr(search, "n_fits_")


def test_a_multilabel_scorer_that_fails_is_refused_before_any_fit():
    # roc_auc on two labels: every fold of the start was fitted, then the
    # search said "The starting design failed on some folds"
    from skdnn import TaperedMLPClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    Y = (X[:, :2] > 0).astype(int)
    search = DesignSearchCV(TaperedMLPClassifier(), scoring="roc_auc", cv=2)
    with pytest.raises(ValueError, match="'roc_auc' cannot score this target"):
        search.fit(X, Y)
    assert not hasattr(search, "path_") and not hasattr(search, "n_fits_")


@pytest.mark.parametrize(
    ("scoring", "form"), [("roc_auc", "series"), ("neg_log_loss", "column")]
)
def test_a_scorer_of_probabilities_takes_labels_as_a_pandas_series(scoring, form):
    # the check before any fit indexed y[:, None], which a Series refuses
    # ("cannot score this target: Multi-dimensional indexing ..."), and read
    # a one-column y as multilabel ("could not convert string to float")
    from skdnn import TaperedMLPClassifier

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    y = pd.Series(np.where(X["a"] > 0, "yes", "no"))
    if form == "column":
        y = y.to_frame("label")
    net = TaperedMLPClassifier(hidden_layer_sizes=(4,), epochs=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataConversionWarning)
        search = DesignSearchCV(net, scoring=scoring, cv=2, max_rounds=0).fit(X, y)
    assert np.isfinite(search.best_score_)


class WarningNet(StandInNet):
    """Warns of the data on every fit, and once of its own design."""

    def fit(self, X, y):
        warnings.warn(
            "Column(s) 'region' have a single level", UserWarning, stacklevel=2
        )
        warnings.warn(f"design {self._design()}", UserWarning, stacklevel=2)
        return super().fit(X, y)


def test_the_folds_warnings_show_once_each_at_the_callers_line():
    # a column's warning came once a fit: 27 times in a search of 27 fits,
    # and from a worker to stderr, past the caller's handling
    X, y, folds = stand_in_data()
    search = DesignSearchCV(WarningNet(), scoring="accuracy", cv=folds, max_rounds=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(X, y)
    assert search.n_fits_ > len(folds)
    messages = [str(w.message) for w in caught]
    assert messages.count("Column(s) 'region' have a single level") == 1
    tried = {f"design {move}" for move in search.path_["move"]}
    assert {m for m in messages if m.startswith("design ")} == tried
    assert len(messages) == len(set(messages))
    assert {w.filename for w in caught} == {__file__}
    # the caller's filters decide what shows
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", message="Column")
        clone(search).fit(X, y)
    assert not [w for w in caught if "single level" in str(w.message)]


def test_a_warning_class_defined_in_a_function_is_shown_once_and_pickles():
    # a worker cannot send such a class back: the folds' came as a
    # UserWarning, the refit's as the class itself, twice in all, and the
    # fitted search kept the class and could not be pickled
    import pickle

    class LocalNet(StandInNet):
        def fit(self, X, y):
            class Local(UserWarning):
                pass

            warnings.warn("local one", Local, stacklevel=2)
            return super().fit(X, y)

    X, y, folds = stand_in_data()
    search = DesignSearchCV(LocalNet(), scoring="accuracy", cv=folds, max_rounds=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(X, y)
    assert [(w.category, str(w.message)) for w in caught] == [
        (UserWarning, "local one")
    ]
    search.best_estimator_ = None  # (LocalNet itself is local to this test)
    search.estimator = StandInNet()
    assert pickle.loads(pickle.dumps(search)).n_fits_ == search.n_fits_


def test_one_split_cannot_measure_the_fold_noise():
    X, y, folds = stand_in_data()
    est = DesignSearchCV(StandInNet(), scoring="accuracy", cv=folds[:1])
    with pytest.raises(ValueError, match="at least 2 cross-validation splits") as e:
        est.fit(X, y)
    # a list of index arrays is named by its type, not printed whole
    assert "the cv, a list, gives 1." in str(e.value) and len(str(e.value)) < 200


def test_feature_names_of_a_frame_are_kept():
    X, y, folds = stand_in_data()
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])
    pipe = Pipeline([("identity", FunctionTransformer()), ("net", StandInNet())])
    est = DesignSearchCV(pipe, scoring="accuracy", cv=folds, max_rounds=0)
    est.fit(frame, y)
    np.testing.assert_array_equal(est.feature_names_in_, frame.columns)
    assert est.n_features_in_ == X.shape[1]
    # a refit on an array forgets them, as the refitted estimator does
    est.fit(X, y)
    assert not hasattr(est, "feature_names_in_")
    assert not hasattr(est.set_params(refit=False).fit(frame, y), "feature_names_in_")


@pytest.mark.parametrize(
    ("make", "bad", "message"),
    [
        ("regressor", np.nan, "y has missing values .None or NaN. in 1 rows"),
        ("regressor", np.inf, "Input y contains infinity"),
        ("regressor", "oops", "needs a numeric y"),
        ("classifier", None, "y has missing labels .None or NaN. in 1 rows"),
    ],
)
def test_a_bad_target_is_named_before_any_fold(make, bad, message):
    # named as the network's fit names it, not by a scorer inside a fold
    from skdnn import TaperedMLPClassifier, TaperedMLPRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    if make == "regressor":
        net, y = TaperedMLPRegressor(), X[:, 0].astype(object)
    else:
        net, y = TaperedMLPClassifier(), np.where(X[:, 0] > 0, "a", "b").astype(object)
    y[3] = bad
    search = DesignSearchCV(net, cv=3)
    with pytest.raises(ValueError, match=message):
        search.fit(X, y)
    assert search.__dict__.get("n_fits_") is None  # nothing was fitted
    with pytest.raises(ValueError, match="requires y to be passed"):
        search.fit(X, None)


def test_metadata_is_routed_as_scikit_learn_searches_route_it():
    import sklearn
    from sklearn.exceptions import UnsetMetadataPassedError
    from sklearn.model_selection import GridSearchCV, GroupKFold

    from skdnn import TaperedMLPClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] > 0).astype(int)
    weights = np.where(y == 1, 20.0, 0.05)
    groups = np.arange(80) % 4

    def scores(net, **params):
        search = DesignSearchCV(net, cv=GroupKFold(2), max_rounds=0, random_state=0)
        return search.fit(X, y, groups=groups, **params).path_["score"].tolist()

    net = TaperedMLPClassifier(hidden_layer_sizes=(4,), epochs=2, random_state=0)
    plain, weighted = scores(net), scores(net, sample_weight=weights)
    assert plain != weighted  # without routing every fit parameter is passed
    with sklearn.config_context(enable_metadata_routing=True):
        # requested: the same fits; groups reach the splitter as they did
        assert scores(clone(net).set_fit_request(sample_weight=True),
                      sample_weight=weights) == weighted  # fmt: skip
        # neither requested nor declined, or declined by all: refused
        with pytest.raises(UnsetMetadataPassedError, match="sample_weight"):
            scores(clone(net), sample_weight=weights)
        declined = clone(net).set_fit_request(sample_weight=False)
        with pytest.raises(TypeError, match="not routed to any object"):
            scores(declined, sample_weight=weights)
        # it routes inside a routing meta-estimator too
        inner = DesignSearchCV(
            clone(net).set_fit_request(sample_weight=True), cv=2, max_rounds=0
        )
        GridSearchCV(inner, {"max_rounds": [0]}, cv=2).fit(X, y, sample_weight=weights)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_the_default_scorer_takes_the_weights_score_requests(kind):
    # with routing, the default scorer ignored the estimator's
    # set_score_request(sample_weight=True), which GridSearchCV honours;
    # score() took no weights at all
    import sklearn
    from sklearn.metrics import balanced_accuracy_score, r2_score
    from sklearn.model_selection import KFold

    from skdnn import TaperedMLPClassifier, TaperedMLPRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    if kind == "classifier":
        y = (X[:, 0] + rng.normal(size=120) > 0).astype(int)
        net, metric = TaperedMLPClassifier, balanced_accuracy_score
    else:
        y = X[:, 0] + rng.normal(size=120)
        net, metric = TaperedMLPRegressor, r2_score
    weights = np.where(X[:, 1] > 0, 20.0, 1.0)
    folds = list(KFold(2).split(X))
    net = net(hidden_layer_sizes=(4,), epochs=3, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        requested = clone(net).set_fit_request(sample_weight=True)
        search = DesignSearchCV(
            requested.set_score_request(sample_weight=True), cv=folds, max_rounds=0
        ).fit(X, y, sample_weight=weights)
        for k, (train, test) in enumerate(folds):
            fold = clone(requested).fit(
                X[train], y[train], sample_weight=weights[train]
            )
            want = metric(y[test], fold.predict(X[test]), sample_weight=weights[test])
            got = search.cv_results_[f"split{k}_test_score"][0]
            assert got == pytest.approx(want)
            assert got != pytest.approx(metric(y[test], fold.predict(X[test])))
        best = search.best_estimator_
        weighted = metric(y, best.predict(X), sample_weight=weights)
        assert search.score(X, y, sample_weight=weights) == pytest.approx(weighted)
        declined = clone(net).set_fit_request(sample_weight=True)
        unweighted = DesignSearchCV(
            declined.set_score_request(sample_weight=False), cv=folds, max_rounds=0
        ).fit(X, y, sample_weight=weights)
        assert unweighted.best_score_ != pytest.approx(search.best_score_)
    with pytest.raises(ValueError, match="sample_weight"):  # routing off
        search.score(X, y, sample_weight=weights)
    with sklearn.config_context(enable_metadata_routing=True):  # an alias
        aliased = requested.set_score_request(sample_weight="score_weight")
        search = DesignSearchCV(aliased, cv=folds, max_rounds=0)
        search.fit(X, y, sample_weight=weights, score_weight=weights)
        assert search.score(X, y, score_weight=weights) == pytest.approx(
            metric(y, search.best_estimator_.predict(X), sample_weight=weights)
        )


def test_every_fold_trains_with_the_whole_validation_set():
    # an X_val as long as X was cut with the folds, as row-wise metadata is
    from skdnn import TaperedMLPClassifier

    rng = np.random.default_rng(0)
    X, X_val = rng.normal(size=(60, 3)), rng.normal(size=(60, 3))
    y, y_val = (X[:, 0] > 0).astype(int), (X_val[:, 0] > 0).astype(int)
    net = TaperedMLPClassifier(hidden_layer_sizes=(4,), epochs=2, random_state=0)
    search = DesignSearchCV(net, cv=2, max_rounds=0, random_state=0)
    search.fit(X, y, X_val=X_val, y_val=y_val)
    assert search.best_diagnosis_.n_validation == 2 * 60  # summed over folds
    assert search.best_estimator_.n_validation_samples_ == 60


def test_an_estimator_class_is_refused_clearly():
    from skdnn import TaperedMLPClassifier

    with pytest.raises(TypeError, match=r"estimator instance, e\.g\. TaperedMLPC"):
        DesignSearchCV(TaperedMLPClassifier).fit(np.zeros((4, 2)), [0, 1, 0, 1])


def test_rejects_estimators_without_a_design():
    from sklearn.compose import TransformedTargetRegressor

    X, y, folds = stand_in_data()
    with pytest.raises(TypeError, match="got LogisticRegression, which lacks"):
        DesignSearchCV(LogisticRegression(), cv=folds).fit(X, y)
    # a wrapper of the network: pointed at wrapping the search instead
    wrapped = TransformedTargetRegressor(LogisticRegression())
    with pytest.raises(TypeError, match=r"goes around the search instead"):
        DesignSearchCV(wrapped, cv=folds).fit(X, y)
    # several scorers: one line saying why, not the list of scorer names
    with pytest.raises(ValueError, match="scores with one scorer") as error:
        DesignSearchCV(LogisticRegression(), scoring=["accuracy", "recall"]).fit(X, y)
    assert len(str(error.value)) < 400
    # GridSearchCV's refit by a metric's name or a callable: what decides here
    for refit in ("f1", lambda results: 0):
        with pytest.raises(ValueError, match=r"refit is True or False.*best_params_"):
            DesignSearchCV(StandInNet(), cv=folds, refit=refit).fit(X, y)
    # a sample_weight of another length: X's rows named, not a fold's
    with pytest.raises(ValueError, match=r"has 10 values.*each of the 160 rows"):
        DesignSearchCV(StandInNet(), cv=folds).fit(X, y, sample_weight=np.ones(10))
    piped = DesignSearchCV(Pipeline([("net", StandInNet())]), cv=folds)
    with pytest.raises(ValueError, match=r"net__sample_weight has 10 values"):
        piped.fit(X, y, net__sample_weight=np.ones(10))


def test_default_scoring_is_balanced_accuracy_for_classifiers():
    X, y, folds = stand_in_data()
    est = DesignSearchCV(StandInNet(), cv=folds, max_rounds=0).fit(X, y)
    assert "balanced_accuracy" in repr(est.scorer_)


def test_clone_get_params_and_the_estimator_untouched():
    est, X, y = search(random_state=3)
    params = est.get_params(deep=True)
    assert params["estimator__dropout"] == 0.1
    assert params["max_rounds"] == 1
    twin = clone(est)
    assert twin.get_params(deep=False).keys() == est.get_params(deep=False).keys()
    est.set_params(estimator__dropout=0.1, verbose=0)
    start = est.estimator.get_params()
    est.fit(X, y)
    assert est.estimator.get_params() == start  # the search never changes it
    assert not hasattr(est.estimator, "history_")
    with pytest.raises(NotFittedError):
        clone(est).predict(X)


def test_random_state_seeds_the_folds_and_the_networks():
    X, y, _ = stand_in_data()
    rng = np.random.default_rng(1)
    X = X.copy()
    X[:, 1:] = rng.random((X.shape[0], X.shape[1] - 1)) < 0.2
    first = DesignSearchCV(StandInNet(), cv=4, max_rounds=1, random_state=0).fit(X, y)
    again = DesignSearchCV(StandInNet(), cv=4, max_rounds=1, random_state=0).fit(X, y)
    pd.testing.assert_frame_equal(first.path_, again.path_)
    seed = first.best_estimator_.random_state
    assert isinstance(seed, int) and seed == again.best_estimator_.random_state
    other = DesignSearchCV(StandInNet(), cv=4, max_rounds=1, random_state=1).fit(X, y)
    assert not np.allclose(
        first.cv_results_["split0_test_score"], other.cv_results_["split0_test_score"]
    )


def test_random_state_none_leaves_numpys_global_generator_alone():
    # check_random_state(None) is numpy's global generator: a search moved
    # the user's np.random stream, and np.random.seed(0) fixed its folds
    X, y, _ = stand_in_data()
    state = np.random.get_state()  # noqa: NPY002 (the global state is the point)
    seeds = set()
    for _ in range(3):
        np.random.set_state(state)  # noqa: NPY002
        est = DesignSearchCV(StandInNet(), cv=4, max_rounds=0).fit(X, y)
        seeds.add(est.best_estimator_.random_state)
        after = np.random.get_state()  # noqa: NPY002
        assert after[1].tolist() == state[1].tolist() and after[2] == state[2]
    assert len(seeds) == 3  # fresh entropy, not the global stream


@pytest.mark.parametrize("backend", ["loky", "threading", "multiprocessing"])
def test_parallel_fits_equal_the_serial_search(backend):
    from joblib import parallel_config

    serial, X, y = search()
    serial.fit(X, y)
    with parallel_config(backend=backend, n_jobs=2):
        parallel, _, _ = search()
        parallel.fit(X, y)
    columns = ["round", "move", "score", "gain", "noise", "accepted"]
    pd.testing.assert_frame_equal(serial.path_[columns], parallel.path_[columns])
    assert parallel.best_params_ == serial.best_params_


def test_verbose_shows_rounds_and_candidates(capsys):
    est, X, y = search(verbose=1)
    est.fit(X, y)
    err = capsys.readouterr().err
    assert "round 0: start design scores 0.8" in err
    assert "round 1: overfitting -> trying raise_dropout" in err
    assert "accepted narrow" in err
    assert "stopped: max_rounds=1 reached" in err


# ----------------------------------------------------------------------
# A real network, end to end
# ----------------------------------------------------------------------


def test_real_network_end_to_end(small_data):
    from skdnn import TaperedMLPClassifier

    X, y = small_data
    est = DesignSearchCV(
        TaperedMLPClassifier(hidden_layer_sizes=(8,), epochs=4, batch_size=64),
        cv=2,
        max_rounds=1,
        random_state=0,
    ).fit(X, y)
    assert est.path_["round"].tolist()[0] == 0
    assert set(est.path_["verdict"]) <= set(VERDICTS)
    assert est.n_fits_ == 2 * len(est.path_)
    assert est.best_diagnosis_.n_folds == 2
    # 2 folds of 100 training rows, each holding out a share for its curves
    split = est.best_estimator_.validation_split
    assert est.best_diagnosis_.n_validation == 2 * math.ceil(100 * split)
    assert est.best_diagnosis_.verdict == "insufficient_evidence"
    proba = est.predict_proba(X)
    assert proba.shape == (len(y), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert 0 <= est.score(X, y) <= 1


def test_a_start_with_a_bad_parameter_fails_as_the_estimator_does():
    # scikit-learn's InvalidParameterError is a ValueError and a TypeError:
    # the search raised a bare TypeError, which `except ValueError` missed
    from sklearn.datasets import make_classification
    from sklearn.utils._param_validation import InvalidParameterError

    from skdnn import TaperedMLPClassifier

    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    search = DesignSearchCV(TaperedMLPClassifier(hidden_layer_sizes="abc"), cv=2)
    with pytest.raises(InvalidParameterError, match="starting design failed"):
        search.fit(X, y)


@pytest.mark.parametrize(
    "make, named",
    [
        # a partial has no __name__: the hint raised AttributeError
        (
            lambda: make_scorer(functools.partial(fbeta_score, beta=2)),
            "make_scorer(fbeta_score, beta=2, pos_label='yes')",
        ),
        # the scorer's own arguments are kept: without beta it cannot score
        (
            lambda: make_scorer(fbeta_score, beta=2),
            "make_scorer(fbeta_score, beta=2, pos_label='yes')",
        ),
        # a lambda is no name to write: recall's, as before
        (
            lambda: make_scorer(lambda t, p: f1_score(t, p)),
            "make_scorer(recall_score, pos_label='yes')",
        ),
    ],
)
def test_the_pos_label_hint_of_a_custom_scorer_is_a_scorer_that_runs(make, named):
    from skdnn import TaperedMLPClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.where(X[:, 0] > 0, "yes", "no")
    search = DesignSearchCV(TaperedMLPClassifier(), scoring=make(), cv=3)
    with pytest.raises(ValueError, match="cannot score this target") as e:
        search.fit(X, y)
    assert f"scoring={named}." in str(e.value)


class _OverlappingFits(StandInNet):
    """Its first two fits overlap, the first ending first, the order in
    which two threads' warning catches leave the process's handler behind."""

    first_in = threading.Event()
    second_in = threading.Event()
    lock = threading.Lock()
    arrived = 0

    def fit(self, X, y):
        with _OverlappingFits.lock:
            _OverlappingFits.arrived += 1
            order = _OverlappingFits.arrived
        if order == 1:
            _OverlappingFits.first_in.set()
            _OverlappingFits.second_in.wait(5)
        elif order == 2:
            _OverlappingFits.first_in.wait(5)
            _OverlappingFits.second_in.set()
            time.sleep(0.2)
        warnings.warn("a column's warning", UserWarning, stacklevel=2)
        return super().fit(X, y)


@pytest.mark.filterwarnings("ignore:a column's warning")
def test_a_threaded_search_leaves_the_warning_handler_as_it_was():
    # joblib's threading backend: the folds' catch_warnings, ended out of
    # order, left the process's handler a dead list that swallowed every
    # later warning (5 of 8 runs of a search)
    from joblib import parallel_backend

    before = (warnings.showwarning, warnings._showwarnmsg_impl)
    X, y, folds = stand_in_data()
    search = DesignSearchCV(
        _OverlappingFits(), scoring="accuracy", cv=folds, max_rounds=0, refit=False
    )
    with parallel_backend("threading", n_jobs=2):
        search.fit(X, y)
    assert (warnings.showwarning, warnings._showwarnmsg_impl) == before


def test_advice_in_a_pipeline_says_a_lost_move_was_tried():
    # behind a Pipeline the advice names net__l2=1e-3 and the move's changes
    # l2: "add an l2 penalty, e.g. net__l2=1e-3" was left unnoted (and not
    # put last) after l2=1e-3 had lost 0.055 against noise 0.015
    from skdnn._search_folds import _with_tried_moves

    diagnosis = _advised(
        "add an l2 penalty, e.g. net__l2=1e-3, or use a narrower network",
        "raise dropout from 0: net__dropout=0.5",
    )
    lost = _tried("add_l2", {"l2": (0.0, 1e-3)}, -0.0547, 0.0149)
    changes = {"dropout": (0.0, 0.1), "epochs": (150, 300)}
    rung = _tried("raise_dropout", changes, -0.005, 0.0107)
    # the step that lost beyond its noise goes last, as without a Pipeline
    _, dropout, l2 = _with_tried_moves(diagnosis, [lost, rung], "net__").advice
    assert l2.endswith("(net__l2=1e-3 was tried: gain -0.0547, noise 0.0149)")
    assert dropout.endswith(
        "net__dropout=0.5 (net__dropout=0.1 was tried (with net__epochs): "
        "gain -0.005, noise 0.0107)"
    )
