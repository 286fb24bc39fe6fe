"""Tests of diagnose(): every verdict on constructed curves, edge cases, real fits."""

import dataclasses
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdnn import TaperedMLPClassifier, TaperedMLPRegressor
from skdnn._curves import _history_of, prior_loss
from skdnn._history import (
    MIN_VALIDATION_ROWS,
    OVERFIT_RISE,
    UNDERFIT_RATIO,
    VERDICTS,
    Diagnosis,
    diagnose,
)


def history(loss, val_loss=None, **columns):
    """A history DataFrame laid out like ``history_``."""
    data = {"loss": np.asarray(loss, dtype=float)}
    if val_loss is not None:
        data["val_loss"] = np.asarray(val_loss, dtype=float)
    data.update(columns)
    frame = pd.DataFrame(data)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="epoch")
    return frame


def decay(n, start, end, rate=0.15):
    """A loss falling smoothly from ``start`` towards ``end``."""
    t = np.arange(n)
    return end + (start - end) * np.exp(-rate * t)


def noisy(values, scale, seed=0):
    rng = np.random.default_rng(seed)
    return values * (1 + scale * rng.standard_normal(len(values)))


def overfit_curves(n=40, turn=12):
    train = decay(n, 0.7, 0.02, rate=0.12)
    val = np.concatenate(
        [decay(turn, 0.72, 0.40, rate=0.3), 0.40 + 0.012 * np.arange(1, n - turn + 1)]
    )
    return train, val


# ----------------------------------------------------------------------
# One test per verdict
# ----------------------------------------------------------------------


def test_good_fit_plateau():
    train = noisy(decay(40, 0.7, 0.25), 0.02, seed=1)
    val = noisy(decay(40, 0.7, 0.30), 0.02, seed=2)
    result = diagnose(history(train, val))
    assert result.verdict == "good_fit"
    assert result.overfit_epoch is None
    assert result.best_epoch == int(np.argmin(val)) + 1
    assert "good fit" in result.message
    assert any("evaluation_report" in step for step in result.advice)
    assert any("recall first" in step for step in result.advice)


def test_good_fit_advice_for_a_regressor_names_its_errors_not_recall():
    train = noisy(decay(40, 0.7, 0.25), 0.02, seed=1)
    val = noisy(decay(40, 0.7, 0.30), 0.02, seed=2)
    r2 = np.linspace(0.2, 0.7, 40)
    result = diagnose(history(train, val, val_r2=r2))
    assert result.verdict == "good_fit"
    assert not any("recall" in step for step in result.advice), result.advice
    assert any("r2 and the errors" in step for step in result.advice)


def test_overfitting_reports_onset_rise_and_gaps():
    train, val = overfit_curves()
    result = diagnose(history(train, val))
    assert result.verdict == "overfitting"
    assert result.best_epoch == 12
    # the smoothed curve stays within 2 % of its minimum for a few epochs
    assert 12 <= result.overfit_epoch <= 15
    # the smoothed end averages the last epochs, so it rose a bit less
    assert 0.6 < result.val_rise <= (val[-1] - 0.4) / 0.4
    assert result.gap_at_best == pytest.approx(val[11] - train[11])
    assert result.gap_at_last == pytest.approx(val[-1] - train[-1])
    assert result.message.startswith(f"overfitting from epoch {result.overfit_epoch}")
    assert "above its minimum while training loss kept falling" in result.message
    percent = f"{100 * result.val_rise:.0f} %"
    assert percent in result.message
    advice = " ".join(result.advice)
    assert "early_stopping=True" in advice
    assert "epochs=12" in advice
    assert "dropout" in advice


def test_overfitting_from_the_first_epochs():
    # the pure-noise pattern: validation loss rises from the start
    train = decay(60, 0.7, 0.001, rate=0.1)
    val = 0.70 + 0.02 * np.arange(60)
    result = diagnose(history(train, val))
    assert result.verdict == "overfitting"
    assert result.best_epoch == 1
    assert result.overfit_epoch <= 3


def test_still_improving():
    train = decay(20, 0.8, 0.1, rate=0.05)
    val = decay(20, 0.8, 0.15, rate=0.05)
    result = diagnose(history(train, val))
    assert result.verdict == "still_improving"
    assert result.best_epoch == 20
    assert "still improving at epoch 20" in result.message
    assert any("train longer: epochs=" in step for step in result.advice)


def test_still_improving_after_three_epochs():
    result = diagnose(history([0.8, 0.7, 0.62], [0.75, 0.68, 0.63]))
    assert result.verdict == "still_improving"
    assert result.best_epoch == 3


def test_underfitting_flat_curves():
    train = noisy(np.full(30, 0.69), 0.005, seed=3)
    val = noisy(np.full(30, 0.70), 0.003, seed=4)
    result = diagnose(history(train, val))
    assert result.verdict == "underfitting"
    advice = " ".join(result.advice)
    assert "first_units=" in advice
    assert "learning_rate" in advice
    assert "batch_norm=True" in advice


def test_underfitting_threshold():
    # training loss fell 8 %, validation 5 %: under the 10 % bar
    n = 9
    train = np.linspace(1.0, 0.92, n)
    val = np.concatenate([np.linspace(1.0, 0.95, 5), np.full(n - 5, 0.95)])
    assert diagnose(history(train, val)).verdict == "underfitting"
    # the same with a training loss that fell 20 %: not underfitting
    train = np.linspace(1.0, 0.8, n)
    assert 0.8 < UNDERFIT_RATIO
    assert diagnose(history(train, val)).verdict == "good_fit"


@pytest.mark.parametrize(
    "loss, val_loss, phrase",
    [
        ([0.7, 0.6, np.nan, 0.5], [0.7, 0.6, 0.55, 0.5], "diverged at epoch 3"),
        ([0.7, 0.6, np.inf, 0.5], [0.7, 0.6, 0.55, 0.5], "diverged at epoch 3"),
        ([0.7, 0.6, 0.5, 0.5], [0.7, 0.6, np.inf, 0.5], "validation loss"),
        ([0.7, 0.6, 5.0, 0.5, 0.5], [0.7, 0.6, 0.6, 0.5, 0.5], "jumped to 5"),
        (
            [0.7, 0.3, 0.2, 0.4, 0.8, 1.2],
            [0.7, 0.3, 0.25, 0.4, 0.8, 1.2],
            "climbed back",
        ),
    ],
)
def test_diverged(loss, val_loss, phrase):
    result = diagnose(history(loss, val_loss, learning_rate=[0.01] * len(loss)))
    assert result.verdict == "diverged"
    assert phrase in result.message
    assert "learning_rate=0.001" in " ".join(result.advice)


def test_diverged_without_validation():
    result = diagnose(history([0.7, np.nan]))
    assert result.verdict == "diverged"
    assert result.best_epoch is None


@pytest.mark.parametrize("val_loss", [None, [np.nan] * 5])
def test_no_validation(val_loss):
    result = diagnose(history([0.7, 0.6, 0.5, 0.45, 0.42], val_loss))
    assert result.verdict == "no_validation"
    assert result.best_epoch is None
    assert result.gap_at_best is None and result.gap_at_last is None
    assert "0.7 to 0.42 over 5 epochs" in result.message
    assert any("validation_split=" in step for step in result.advice)


# ----------------------------------------------------------------------
# Edge cases and robustness
# ----------------------------------------------------------------------


def test_one_epoch():
    result = diagnose(history([0.7], [0.72]))
    assert result.verdict == "still_improving"
    assert result.best_epoch == 1
    assert result.n_epochs == 1
    assert "only 1 epoch" in result.message
    assert result.gap_at_best == pytest.approx(0.02)


@pytest.mark.parametrize("last", [0.749, 0.7])
def test_short_run_at_its_lowest_is_still_improving(last):
    # four epochs, the last the lowest: however little it fell
    result = diagnose(history([0.8, 0.8, 0.79, 0.79], [0.75, 0.76, 0.755, last]))
    assert result.verdict == "still_improving"
    assert result.message.startswith("still improving at epoch 4")
    assert "too few to see it level off" in result.message


def test_short_run_with_falling_training_loss_is_still_improving():
    result = diagnose(history([1.0, 0.8, 0.7, 0.6], [0.7, 0.7, 0.71, 0.71]))
    assert result.verdict == "still_improving"
    assert "training loss fell 40 % since epoch 1" in result.message
    # a rise from the first epoch is overfitting even in a short run
    result = diagnose(history([1.0, 0.8, 0.7, 0.6], [0.7, 0.8, 0.9, 1.0]))
    assert result.verdict == "overfitting"


def test_short_run_not_at_its_lowest_is_judged():
    result = diagnose(history([0.8, 0.8, 0.79, 0.79], [0.75, 0.74, 0.745, 0.75]))
    assert result.verdict == "underfitting"
    result = diagnose(history([0.5] * 4, [0.6] * 4))
    assert result.verdict == "underfitting"


def test_two_epochs_are_too_short_to_judge():
    result = diagnose(history([0.7, 0.5], [0.6, 0.9]))
    assert result.verdict == "still_improving"
    assert "only 2 epochs" in result.message


def test_constant_loss_is_underfitting():
    result = diagnose(history([0.5] * 10, [0.6] * 10))
    assert result.verdict == "underfitting"
    assert result.best_epoch == 1
    assert result.gap_at_best == pytest.approx(0.1)


def test_constant_loss_without_validation():
    assert diagnose(history([0.5] * 10)).verdict == "no_validation"


def test_nan_validation_rows_are_skipped():
    # epochs added by partial_fit have no validation loss
    train, val = overfit_curves()
    val = val.copy()
    val[[5, 20, 39]] = np.nan
    result = diagnose(history(train, val))
    assert result.verdict == "overfitting"
    assert result.gap_at_last == pytest.approx(val[38] - train[38])


def test_single_bump_is_not_overfitting():
    train = noisy(decay(40, 0.7, 0.25), 0.01, seed=5)
    val = decay(40, 0.7, 0.30)
    bumped = val.copy()
    bumped[25] *= 1.6
    assert diagnose(history(train, bumped)).verdict == "good_fit"
    # a bump at the very end neither
    bumped = val.copy()
    bumped[-1] *= 1.6
    assert diagnose(history(train, bumped)).verdict == "good_fit"
    # nor a two-epoch bump two epochs before the end
    bumped = val.copy()
    bumped[-4:-2] *= 1.4
    assert diagnose(history(train, bumped)).verdict == "good_fit"


def test_short_rise_is_not_yet_overfitting():
    # the validation loss is above its minimum for two epochs only
    loss = [0.9, 0.7, 0.5, 0.4, 0.3, 0.25]
    val = [0.9, 0.7, 0.5, 0.45, 0.6, 0.7]
    assert diagnose(history(loss, val)).verdict != "overfitting"
    # a third epoch above it makes it sustained
    result = diagnose(history([*loss, 0.2], [*val, 0.8]))
    assert result.verdict == "overfitting"
    assert result.overfit_epoch == 4


def test_small_uptick_after_a_long_fall_is_good_fit():
    # what early stopping leaves: validation loss 20 % above its minimum,
    # but only a fifth of its fall given back
    loss = [1.0, 0.8, 0.6, 0.45, 0.4, 0.35, 0.32, 0.3, 0.28]
    val = [1.0, 0.8, 0.6, 0.5, 0.52, 0.54, 0.56, 0.58, 0.6]
    result = diagnose(history(loss, val))
    assert result.verdict == "good_fit"
    assert result.best_epoch == 4
    # a rise that gives back more than a quarter of the fall is overfitting
    result = diagnose(history([*loss, 0.26, 0.25], [*val, 0.63, 0.66]))
    assert result.verdict == "overfitting"


def test_a_good_fit_well_above_its_minimum_says_why_it_is_no_overfit():
    # the uptick above reads 20 % above the minimum; the message must not
    # call that "levelled off" without saying why it is not overfitting
    loss = [1.0, 0.8, 0.6, 0.45, 0.4, 0.35, 0.32, 0.3, 0.28]
    val = [1.0, 0.8, 0.6, 0.5, 0.52, 0.54, 0.56, 0.58, 0.6]
    result = diagnose(history(loss, val))
    assert result.verdict == "good_fit"
    assert "gives back only 20 % of its fall" in result.message
    assert "overfitting takes 25 %" in result.message
    assert "levelled off" not in result.message
    # a plateau a few percent above its minimum still reads levelled off
    plateau = diagnose(history(loss, [*val[:4], 0.51, 0.5, 0.51, 0.5, 0.51]))
    assert plateau.verdict == "good_fit"
    assert "levelled off, ending" in plateau.message


def test_rise_below_threshold_is_not_overfitting():
    loss = np.linspace(0.8, 0.2, 9)
    val = [0.7, 0.7, 0.7, 0.7, 0.71, 0.72, 0.73, 0.74, 0.75]
    assert (0.75 - 0.7) / 0.7 < OVERFIT_RISE
    assert diagnose(history(loss, val)).verdict != "overfitting"


def test_rising_validation_with_flat_training_is_not_overfitting():
    loss = [0.5] * 9
    val = [0.5, 0.5, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8]
    assert diagnose(history(loss, val)).verdict != "overfitting"


def test_every_verdict_is_known():
    cases = [
        history([0.5] * 10, [0.6] * 10),
        history([0.5, np.nan], [0.5, 0.4]),
        history([0.5, 0.4]),
        history(*overfit_curves()),
        history([0.8, 0.7, 0.62], [0.75, 0.68, 0.63]),
        history(decay(40, 0.7, 0.25), decay(40, 0.7, 0.3)),
        _Held(n_validation=34).fit(),
    ]
    assert {diagnose(case).verdict for case in cases} == set(VERDICTS)


def test_index_need_not_be_epochs():
    train, val = overfit_curves()
    frame = pd.DataFrame({"loss": train, "val_loss": val})  # index from 0
    result = diagnose(frame)
    assert result.best_epoch == 12


# ----------------------------------------------------------------------
# The Diagnosis object and the inputs
# ----------------------------------------------------------------------


def test_diagnosis_is_frozen_and_printable():
    result = diagnose(history(*overfit_curves()))
    assert isinstance(result, Diagnosis)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.verdict = "good_fit"
    assert isinstance(result.advice, tuple)
    assert all(isinstance(step, str) for step in result.advice)
    text = str(result)
    assert text.splitlines()[0] == result.message
    assert len(text.splitlines()) == 1 + len(result.advice)


class _Recorder(ClassifierMixin, BaseEstimator):
    """A stand-in estimator that records a fixed history."""

    def __init__(
        self,
        dropout=0.0,
        early_stopping=False,
        hidden_layer_sizes="auto",
        learning_rate=1e-3,
        flat=False,
    ):
        self.dropout = dropout
        self.early_stopping = early_stopping
        self.hidden_layer_sizes = hidden_layer_sizes
        self.learning_rate = learning_rate
        self.flat = flat

    def fit(self, X, y):
        train, val = ([0.69] * 9, [0.7] * 9) if self.flat else overfit_curves()
        # a schedule halved the rate: the advice quotes the parameter
        rates = np.full(len(train), self.learning_rate / 2)
        self.history_ = history(train, val, learning_rate=rates)
        sizes = self.hidden_layer_sizes
        self.hidden_layer_sizes_ = (64, 32) if sizes == "auto" else sizes
        self.best_epoch_ = 12
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_history_of_inputs():
    X, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    frame = history([0.5, 0.4])
    assert _history_of(frame) is frame
    est = _Recorder().fit(X, y)
    assert _history_of(est) is est.history_
    pipe = make_pipeline(StandardScaler(), _Recorder()).fit(X, y)
    assert _history_of(pipe) is pipe[-1].history_
    nested = make_pipeline(StandardScaler(), pipe).fit(X, y)
    assert _history_of(nested) is pipe[-1].history_
    search = GridSearchCV(pipe, {"_recorder__dropout": [0.0, 0.5]}, cv=2)
    search.fit(X, y)
    assert _history_of(search) is search.best_estimator_[-1].history_
    assert diagnose(search).verdict == "overfitting"


def test_history_of_rejects_other_estimators():
    X, y = np.random.default_rng(0).normal(size=(20, 2)), np.arange(20) % 2
    with pytest.raises(TypeError, match="LogisticRegression, which records no"):
        _history_of(LogisticRegression().fit(X, y))
    with pytest.raises(TypeError, match="last step of the Pipeline"):
        _history_of(make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y))
    with pytest.raises(TypeError, match="history DataFrame"):
        _history_of([0.5, 0.4])


def test_unfitted_estimator_raises_not_fitted():
    from skdnn._classifier import TaperedMLPClassifier

    with pytest.raises(NotFittedError, match="not fitted"):
        diagnose(TaperedMLPClassifier())
    with pytest.raises(NotFittedError):
        diagnose(make_pipeline(StandardScaler(), TaperedMLPClassifier()))


def test_cross_validation_with_a_failed_fold_names_it():
    # a fold trained on one class fails; cross_validate keeps its unfitted
    # clone (error_score=nan): the error names the fold, not "call 'fit'"
    from sklearn.model_selection import KFold, cross_validate

    X = np.arange(24, dtype=float).reshape(12, 2)
    y = np.r_[np.zeros(4, int), np.ones(8, int)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cv = cross_validate(
            TaperedMLPClassifier(epochs=3, random_state=0),
            X,
            y,
            cv=KFold(3),
            return_estimator=True,
        )
    assert np.isnan(cv["test_score"][0])
    with pytest.raises(
        NotFittedError, match=r"1 of the 3 fits pooled is not fitted \(fit 1\)"
    ):
        diagnose(cv)


def test_thin_hold_out_that_kept_an_early_epoch_says_so(capsys):
    # early stopping on a few validation rows often keeps epoch 1 of a
    # small table (credit, 40 rows: accuracy 0.45, the majority's 0.74)
    X, y = make_classification(n_samples=40, n_features=4, random_state=0)
    model = TaperedMLPClassifier(epochs=12, patience=30, random_state=0).fit(X, y)
    assert diagnose(model).verdict == "insufficient_evidence"
    assert "barely trained" not in diagnose(model).message
    model.best_epoch_ = 1  # as early stopping on 4 rows leaves it
    diagnosis = diagnose(model)
    assert "kept the weights of epoch 1 of 12" in diagnosis.message
    assert any("early_stopping=False" in step for step in diagnosis.advice)
    # the 4-row hold-out's table is too small for pooled curves to judge by:
    # the advice to train for the pooled best epoch says where to read it
    # (it named "that pooled diagnosis", which no advice had named)
    retrain = next(s for s in diagnosis.advice if "early_stopping=False" in s)
    assert "that pooled diagnosis" not in retrain
    assert "best_epoch of diagnose(cross_validate(" in retrain
    # the command line names the epochs the pooled folds read as best
    from skdnn._cli_outputs import _say_kept_too_early

    pooled = diagnose([model, model])
    _say_kept_too_early(model, diagnosis, pooled)
    line = capsys.readouterr().out
    assert "hold-out's 4 rows, kept the weights of epoch 1 of 12" in line
    assert f"--set epochs={pooled.best_epoch}." in line
    model.best_epoch_ = 5  # trained a while: no word
    _say_kept_too_early(model, diagnose(model), pooled)
    assert capsys.readouterr().out == ""


def test_bad_histories():
    with pytest.raises(ValueError, match="no 'loss' column"):
        diagnose(pd.DataFrame({"val_loss": [0.5]}))
    with pytest.raises(ValueError, match="empty"):
        diagnose(pd.DataFrame({"loss": []}))


def test_underfitting_advice_quotes_the_estimator():
    X, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    result = diagnose(_Recorder(flat=True, dropout=0.3).fit(X, y))
    assert result.verdict == "underfitting"
    advice = " ".join(result.advice)
    assert "first_units=128 (now 64)" in advice
    assert "lower dropout from 0.3" in advice
    assert "learning_rate=0.01" in advice
    result = diagnose(_Recorder(flat=True, hidden_layer_sizes=(32, 8)).fit(X, y))
    advice = " ".join(result.advice)
    assert "hidden_layer_sizes=(64, 8) (now (32, 8))" in advice
    assert "lower dropout" not in advice
    # the advice lowers dropout below what it is (0.1 was advised from 0.1)
    advice = " ".join(diagnose(_Recorder(flat=True, dropout=0.1).fit(X, y)).advice)
    assert "lower dropout from 0.1: dropout=0 " in advice + " "
    # scaling is advised only to an estimator that does not scale itself
    assert "scaled (StandardScaler)" in advice  # unknown: advised
    for scaling, advised in (("robust", False), ("standard", False), (None, True)):
        fitted = _ScalingRecorder(flat=True, numeric_scaling=scaling).fit(X, y)
        advice = " ".join(diagnose(fitted).advice)
        assert ("scaled (StandardScaler)" in advice) is advised


class _ScalingRecorder(_Recorder):
    """A recorder with skdnn's ``numeric_scaling`` parameter."""

    def __init__(self, flat=False, numeric_scaling="robust"):
        super().__init__(flat=flat)
        self.numeric_scaling = numeric_scaling


def test_divergence_advises_scaling_only_without_built_in_scaling():
    class Diverging(_ScalingRecorder):
        def fit(self, X, y):
            super().fit(X, y)
            self.history_ = history([0.7, 0.3, 0.2, 5.0, 9.0, 20.0])
            return self

    X, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    for scaling, advised in (("robust", False), (None, True)):
        result = diagnose(Diverging(numeric_scaling=scaling).fit(X, y))
        assert result.verdict == "diverged"
        assert ("StandardScaler" in " ".join(result.advice)) is advised


def test_advice_quotes_the_estimator():
    X, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    result = diagnose(make_pipeline(StandardScaler(), _Recorder()).fit(X, y))
    advice = " ".join(result.advice)
    # named as the Pipeline takes them (the stand-in has no epochs)
    assert "raise dropout from 0: _recorder__dropout=0.5" in advice
    assert "_recorder__early_stopping=True, or epochs=12" in advice
    result = diagnose(_Recorder(dropout=0.5, early_stopping=True).fit(X, y))
    advice = " ".join(result.advice)
    assert "raise dropout" not in advice
    assert "early stopping already kept the weights of epoch 12" in advice


# ----------------------------------------------------------------------
# Real fits
# ----------------------------------------------------------------------


@pytest.mark.slow
def test_large_net_on_noise_overfits():
    from skdnn._classifier import TaperedMLPClassifier

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 10)), rng.integers(0, 2, 200)
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(256, 256),
        dropout=0.0,
        early_stopping=False,
        validation_split=0.3,
        batch_size=32,
        epochs=150,
        random_state=0,
    ).fit(X, y)
    result = diagnose(clf)
    # 60 held-out rows: the shape reads overfitting, the evidence is thin
    assert result.verdict == "insufficient_evidence"
    assert result.curve_verdict == "overfitting"
    assert result.n_validation == 60
    assert result.best_epoch < 20
    assert "if more evidence reads the same: raise dropout from 0" in " ".join(
        result.advice
    )


def test_small_net_stopped_early_is_still_improving():
    from sklearn.datasets import make_classification

    from skdnn._classifier import TaperedMLPClassifier

    X, y = make_classification(300, n_features=10, n_informative=5, random_state=0)
    pipe = make_pipeline(
        StandardScaler(),
        TaperedMLPClassifier(hidden_layer_sizes=(8,), epochs=3, random_state=0),
    ).fit(X, y)
    result = diagnose(pipe)
    assert result.curve_verdict == "still_improving"
    assert result.verdict == "insufficient_evidence"  # 30 held-out rows
    assert result.best_epoch == 3
    assert result.n_epochs == 3


def test_real_fit_without_validation():
    from skdnn._classifier import TaperedMLPClassifier

    X, y = np.random.default_rng(1).normal(size=(100, 4)), np.arange(100) % 2
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(8,), epochs=4, validation_split=0.0, random_state=0
    ).fit(X, y)
    assert diagnose(clf).verdict == "no_validation"
    assert "validation_split=0.2" in diagnose(clf).advice[0]
    # partial_fit holds out no rows whatever validation_split says: the
    # advice to raise it would change nothing
    streamed = TaperedMLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    for start in range(0, 100, 25):
        streamed.partial_fit(X[start : start + 25], y[start : start + 25], [0, 1])
    (advice,) = diagnose(streamed).advice
    assert "partial_fit holds out none" in advice
    assert "validation_data=(X_val, y_val)" in advice
    # nor does a fit whose split leaves too few rows to train on (fit warns):
    # its advice blamed partial_fit, which the user never called
    with pytest.warns(UserWarning, match="leaves too few rows"):
        tiny = TaperedMLPClassifier(
            hidden_layer_sizes=(8,), epochs=4, validation_split=0.5, random_state=0
        ).fit(X[:3], [0, 1, 0])
    (advice,) = diagnose(tiny).advice
    assert "nor fit where the split leaves under 2 rows to train on" in advice


class _EarlyStopped(BaseEstimator):
    """A stand-in for a fit that early stopping ended at epoch 20 of 200."""

    def __init__(self, early_stopping=True, patience=5, epochs=200, monitor="val_loss"):
        self.early_stopping = early_stopping
        self.patience = patience
        self.epochs = epochs
        self.monitor = monitor

    def fit(self):
        train = decay(20, 0.8, 0.1, rate=0.05)
        val = decay(20, 0.8, 0.15, rate=0.05)
        self.history_ = history(train, val)
        self.best_epoch_ = 20
        return self


def test_still_improving_when_early_stopping_ended_the_run_advises_patience():
    result = diagnose(_EarlyStopped().fit())
    assert result.verdict == "still_improving"
    assert result.advice[0].startswith("raise patience: patience=10 (now 5)")
    assert "epoch 20 of 200" in result.advice[0]
    assert result.advice[0].endswith("while the validation loss was still falling")
    # early stopping that watched a score is named: the loss the verdict
    # reads still fell, but the score it stopped on had levelled off
    scored = diagnose(_EarlyStopped(monitor="val_roc_auc").fit())
    assert scored.advice[0].endswith(
        "(early stopping watched val_roc_auc, not the loss: monitor='val_loss' "
        "stops on the loss)"
    )
    # the same curves from a run that used all its epochs: train longer
    ran_out = diagnose(_EarlyStopped(epochs=20).fit())
    assert ran_out.advice[0].startswith("train longer: epochs=")
    no_early_stopping = diagnose(_EarlyStopped(early_stopping=False).fit())
    assert no_early_stopping.advice[0].startswith("train longer: epochs=")


def test_validation_loss_near_zero_is_a_good_fit_not_still_improving():
    # a hold-out learnt perfectly: the loss keeps falling, towards zero
    train = decay(200, 0.6, 1e-7, rate=0.08)
    val = decay(200, 0.6, 1e-6, rate=0.06)
    result = diagnose(history(train, val))
    assert result.verdict == "good_fit"
    assert "near zero" in result.message
    # the same fall, slower: still well above zero at the end, and falling
    slow_train = decay(200, 0.6, 1e-7, rate=0.025)
    slow_val = decay(200, 0.6, 1e-6, rate=0.02)
    result = diagnose(history(slow_train, slow_val))
    assert result.verdict == "still_improving"
    assert "fell from" in result.message


# ----------------------------------------------------------------------
# The evidence behind a verdict
# ----------------------------------------------------------------------


class _Held(BaseEstimator):
    """A fitted stand-in with a history and the rows behind its validation."""

    def __init__(self, n_validation=34, curves="good"):
        self.n_validation = n_validation
        self.curves = curves

    def fit(self):
        if self.curves == "good":
            train, val = decay(40, 0.7, 0.25), decay(40, 0.7, 0.30)
        elif self.curves == "overfit":
            train, val = overfit_curves()
        else:
            train, val = [0.7, np.nan], [0.7, 0.6]
        self.history_ = history(train, val)
        if self.n_validation is not None:
            self.n_validation_samples_ = self.n_validation
        return self


def test_a_thin_hold_out_is_insufficient_evidence():
    result = diagnose(_Held(n_validation=34).fit())
    assert result.verdict == "insufficient_evidence"
    assert result.curve_verdict == "good_fit"
    assert result.n_validation == 34
    assert result.message.startswith("insufficient evidence: the validation curve")
    assert f"34 rows, fewer than {MIN_VALIDATION_ROWS}" in result.message
    assert "the curves alone read: good fit" in result.message
    assert "cross_validate" in result.advice[0]
    assert "return_estimator=True" in result.advice[0]
    assert result.advice[2].startswith("if more evidence reads the same: keep")
    # the numbers of the shape reading are kept
    assert result.best_epoch == diagnose(_Held().fit().history_).best_epoch


@pytest.mark.parametrize(
    "split, advice",
    [
        (0.1, "validation_split=0.2 (now 0.1"),
        (0.2, "validation_split=0.3 (now 0.2"),
        (0.3, None),  # a larger hold-out is no advice: only folds add rows
    ],
)
def test_the_hold_out_advice_steps_up_from_the_fits_own_split(split, advice):
    held = _Held(n_validation=34).fit()
    held.validation_split = split
    result = diagnose(held)
    holds = [a for a in result.advice if "hold out more rows" in a]
    if advice is None:
        assert holds == []
    else:
        assert len(holds) == 1 and advice in holds[0]


def test_a_continued_fit_without_a_hold_out_keeps_the_rows_behind_its_curve():
    X, y = make_classification(300, 6, random_state=0)
    net = TaperedMLPClassifier(
        hidden_layer_sizes=(8,), epochs=4, validation_split=0.3, random_state=0
    ).fit(X, y)
    assert net.n_validation_samples_ == 90
    net.set_params(warm_start=True, validation_split=0.0).fit(X, y)
    assert net.n_validation_samples_ == 90
    assert "rests on 90 rows" in diagnose(net).message


def test_enough_rows_keep_the_verdict_and_state_the_evidence():
    result = diagnose(_Held(n_validation=MIN_VALIDATION_ROWS).fit())
    assert result.verdict == result.curve_verdict == "good_fit"
    assert result.message.endswith(f"; {MIN_VALIDATION_ROWS} validation rows")
    assert result.n_folds is None and result.fold_spread is None


def test_unknown_evidence_is_none_and_unstated():
    frame = _Held().fit().history_
    result = diagnose(frame)
    assert result.n_validation is None
    assert result.verdict == result.curve_verdict == "good_fit"
    assert "validation rows" not in result.message
    assert diagnose(_Held(n_validation=None).fit()).verdict == "good_fit"


def test_divergence_needs_no_validation_rows():
    result = diagnose(_Held(n_validation=5, curves="diverged").fit())
    assert result.verdict == result.curve_verdict == "diverged"


def test_real_fit_records_its_validation_rows():
    from skdnn._classifier import TaperedMLPClassifier

    X, y = np.random.default_rng(1).normal(size=(100, 4)), np.arange(100) % 2
    clf = TaperedMLPClassifier(hidden_layer_sizes=(4,), epochs=3, random_state=0)
    clf.fit(X, y)
    assert clf.n_validation_samples_ == 10
    assert diagnose(clf).n_validation == 10
    clf.set_params(validation_split=0.0).fit(X, y)
    assert clf.n_validation_samples_ == 0
    clf.fit(X[:80], y[:80], validation_data=(X[80:], y[80:]))
    assert clf.n_validation_samples_ == 20
    assert diagnose(clf).verdict == "insufficient_evidence"


# ----------------------------------------------------------------------
# Pooled folds
# ----------------------------------------------------------------------


def _fold_histories():
    """Three folds; early stopping ended them at epochs 30, 34 and 40."""
    folds = []
    for seed, n in enumerate((30, 34, 40)):
        train = noisy(decay(n, 0.7, 0.25), 0.01, seed=seed)
        val = noisy(decay(n, 0.7, 0.30 + 0.02 * seed), 0.01, seed=10 + seed)
        folds.append(history(train, val))
    return folds


def test_pooled_verdict_reads_the_mean_curve():
    folds = _fold_histories()
    result = diagnose(folds)
    # the mean at each epoch is over every fold, a stopped one held at its
    # last value, up to the last epoch two of the three reached (34)
    mean = pd.concat([f["val_loss"] for f in folds], axis=1).ffill().mean(axis=1)
    assert result.best_epoch == int(mean.loc[:34].idxmin())
    # a mean over the folds still training jumps as the first (here the
    # best) fold leaves it at epoch 30: the held mean does not
    running = pd.concat([f["val_loss"] for f in folds], axis=1).mean(axis=1)
    assert running.loc[31] - running.loc[30] > 0.01
    assert abs(mean.loc[31] - mean.loc[30]) < 0.01
    assert result.n_epochs == 34
    assert result.n_folds == 3
    # the spread at the best epoch is the band's: every fold, held
    held = [f["val_loss"].iloc[min(result.best_epoch, len(f)) - 1] for f in folds]
    assert result.fold_spread == pytest.approx(np.std(held))
    assert "mean curves of 3 folds" in result.message
    # histories alone carry no row counts
    assert result.n_validation is None
    assert result.verdict == "good_fit"


def test_pooled_regressors_are_judged_against_their_folds_mean_guess():
    # the mean curve was held against the first fold's constant guess: a
    # fold of narrow targets first, two of wide ones after, read as a
    # network that learnt nothing, though it beat every fold's own guess
    rng = np.random.default_rng(0)

    def rows(n, outliers):
        X = rng.normal(size=(n, 3))
        y = 2 * X[:, 0] + rng.normal(scale=0.5, size=n)
        wild = rng.random(n) < outliers
        return X, y + wild * rng.choice([-20.0, 20.0], size=n)

    X, y = rows(300, 0.0)
    params = {"hidden_layer_sizes": (16,), "epochs": 30, "random_state": 0}
    folds = []
    for outliers in (0.0, 0.1, 0.1):
        X_val, y_val = rows(200, outliers)
        folds.append(TaperedMLPRegressor(**params).fit(X, y, X_val=X_val, y_val=y_val))
    guesses = [fold._validation_guess_loss for fold in folds]
    best = [fold.history_["val_loss"].min() for fold in folds]
    assert all(b < 0.98 * g for b, g in zip(best, guesses, strict=True))
    assert np.mean(best) > guesses[0]  # the first fold's guess misreads them
    diagnosis = diagnose(folds)
    assert "learnt nothing" not in diagnosis.message


def test_a_regressor_on_narrow_validation_rows_is_not_said_to_diverge():
    # the training loss (about 1, standardised) was held against the
    # constant's loss on validation rows a third as spread: "jumped to 1.03,
    # 3.3 times the loss of predicting a constant", for a steady fit
    rng = np.random.default_rng(0)
    X, X_val = rng.normal(size=(300, 4)), rng.normal(size=(150, 4))
    y, y_val = rng.standard_t(2, 300) * 3, rng.normal(scale=0.5, size=150)
    reg = TaperedMLPRegressor(hidden_layer_sizes=(8,), epochs=8, random_state=0)
    reg.fit(X, y, X_val=X_val, y_val=y_val)
    assert reg.history_["loss"].max() > 2 * reg._validation_guess_loss
    diagnosis = diagnose(reg)
    assert diagnosis.verdict == "underfitting"
    assert "learnt nothing" in diagnosis.message


def test_pooled_curves_end_where_most_folds_stopped():
    def fold(n, floor):
        val = decay(n, 0.8, floor)
        return history(val - 0.05, val)

    # two folds of three stop at 12 epochs: past 12 the third alone runs,
    # so the pooled curve ends there, though the third falls much lower
    alone = diagnose([fold(12, 0.5), fold(12, 0.5), fold(40, 0.1)])
    assert alone.n_epochs == 12 and alone.best_epoch <= 12
    assert "across folds" in alone.message
    # three of five run to 40: the spread is over all five, the two that
    # stopped held at their last value, as the band HistoryDisplay draws
    folds = [fold(12, 0.5), fold(12, 0.5), fold(40, 0.1), fold(40, 0.12), fold(40, 0.2)]
    two = diagnose(folds)
    assert two.best_epoch > 12
    assert "across folds, 2 held at the last value they reached" in two.message
    held = [f["val_loss"].iloc[min(two.best_epoch, len(f)) - 1] for f in folds]
    assert two.fold_spread == pytest.approx(np.std(held))


def test_pooled_best_epoch_is_the_one_history_display_marks():
    pytest.importorskip("matplotlib")
    from types import SimpleNamespace

    from skdnn._plot import HistoryDisplay

    folds = _fold_histories()
    display = HistoryDisplay.from_cv_results(
        {"estimator": [SimpleNamespace(history_=f) for f in folds]}
    )
    marked = int(display.best_epoch_lines_[0].get_xdata()[0])
    assert diagnose(folds).best_epoch == marked


class _Fold(BaseEstimator):
    """A fitted stand-in; with ``best``, early stopping kept that epoch."""

    def __init__(
        self, frame=None, n_validation=60, dropout=0.1, best=None, early_stopping=None
    ):
        self.frame = frame
        self.n_validation = n_validation
        self.dropout = dropout
        self.best = best
        self.early_stopping = early_stopping

    def fit(self):
        self.history_ = self.frame
        self.n_validation_samples_ = self.n_validation
        if self.best is not None:
            self.best_epoch_ = self.best
        return self


class _StoppingFold(_Fold):
    def __init__(
        self, frame=None, n_validation=60, epochs=40, patience=10, early_stopping=True
    ):
        super().__init__(frame, n_validation, early_stopping=early_stopping)
        self.epochs = epochs
        self.patience = patience


def test_pooled_folds_still_improving_are_told_what_ended_each_run():
    # the pooled curve ends where half the folds had ended (epoch 30 here):
    # the advice read that as "early stopping ended the run at epoch 30 of
    # 40", though two folds ran all 40 epochs and wanted more of them
    lengths = (40, 40, 20, 30, 35)
    folds = [
        _StoppingFold(history(decay(n, 0.9, 0.2, 0.02), decay(n, 0.95, 0.3, 0.02)))
        for n in lengths
    ]
    result = diagnose([fold.fit() for fold in folds])
    assert result.verdict == "still_improving"
    assert result.advice[0].startswith("raise patience: patience=20 (now 10)")
    assert "ended 3 of the 5 folds' runs (at epoch 20 to 35 of 40)" in result.advice[0]
    assert result.advice[1] == (
        "train longer: epochs=80 (now 40); 2 of the 5 folds ran all 40 epochs"
    )
    # every fold stopped early: patience, or a smoother curve
    stopped = [_StoppingFold(folds[2].frame, epochs=80).fit() for _ in range(3)]
    advice = diagnose(stopped).advice
    assert "ended 3 of the 3 folds' runs (at epoch 20 of 80)" in advice[0]
    assert advice[1].startswith("or smooth the curve")
    # fits allowed different epochs are not read against the first's: one
    # that ran all of its 30 is not "ended by early stopping at 30 of 40"
    other = _StoppingFold(folds[3].frame, epochs=30).fit()
    with pytest.warns(UserWarning, match=r"differ in their design \(epochs: 40, 30\)"):
        mixed = diagnose([folds[0], other])
    assert mixed.verdict == "still_improving"
    assert "folds' runs" not in " ".join(mixed.advice)


def test_pooled_cv_results_sum_the_validation_rows():
    folds = [_Fold(frame).fit() for frame in _fold_histories()]
    for pooled in ({"estimator": folds, "test_score": [0.9] * 3}, folds, tuple(folds)):
        result = diagnose(pooled)
        assert result.n_validation == 180
        assert result.verdict == "good_fit"
        # the held mean's best epoch (33) is past the first fold's last (30)
        assert result.message.endswith(
            "180 validation rows in all (120 in the 2 folds that reached epoch 33)"
        )
    # 2 folds of 40 rows: thin, though each fold's curve looks fine
    thin = diagnose([_Fold(f, n_validation=40).fit() for f in _fold_histories()[:2]])
    assert thin.verdict == "insufficient_evidence"
    assert thin.curve_verdict == "good_fit"
    assert "the folds' validation curves rest on 80 rows" in thin.message
    # already pooled: the advice is more folds; k folds hold out k - 1
    # times what one of 2 folds holds (a fold's hold-out grows with its
    # training rows): 3 folds, 160 rows, reach 100
    assert thin.advice[0].startswith("pool more folds")
    assert "about 3 folds reach 100" in thin.advice[0]
    single = diagnose(_Fold(_fold_histories()[0], n_validation=40).fit())
    assert single.advice[0].startswith("pool cross-validated curves")
    # 3 folds of 4 rows (12) would need 18 (4 * 17 / 2 = 102 rows): no curve
    # can judge so small a table
    tiny = diagnose([_Fold(f, n_validation=4).fit() for f in _fold_histories()])
    assert tiny.advice[0].startswith("the rows are too few for curves to judge by")
    assert "(about 18 folds would reach 100 validation rows)" in tiny.advice[0]
    # but no number of folds the table cannot make: 41 were advised for a
    # table of 18 rows (5 folds holding out 0.1 of 14 or 15 rows each)
    small = [_Fold(f, n_validation=2).fit() for f in _fold_histories()]
    for fold in small:
        fold.validation_split = 0.1
    advice = diagnose(small).advice[0]
    assert "(no number of folds its rows make reaches 100 validation rows)" in advice
    assert "cross-validated scores" in tiny.advice[0]


def test_pooled_rows_say_which_folds_reached_the_best_epoch():
    # a fold that stopped at epoch 12 is not behind the curve at epoch ~40:
    # the message counts its rows in all, and apart
    lengths = (12, 40, 40)
    frames = [history(decay(n, 0.7, 0.25), decay(n, 0.7, 0.3)) for n in lengths]
    result = diagnose([_Fold(frame, n_validation=60).fit() for frame in frames])
    assert result.best_epoch > 12
    assert result.message.endswith(
        f"180 validation rows in all (120 in the 2 folds that reached epoch "
        f"{result.best_epoch})"
    )


def test_pooled_pipelines_and_overfitting_folds():
    pipes = []
    for _ in range(3):
        pipe = make_pipeline(StandardScaler(), _Fold(history(*overfit_curves())))
        pipe[-1].fit()
        pipes.append(pipe)
    result = diagnose(pipes)
    assert result.verdict == "overfitting"
    assert result.best_epoch == 12
    assert result.fold_spread == pytest.approx(0.0)
    # one fold is enough to be a pool of one
    assert diagnose(pipes[:1]).n_folds == 1
    # a numpy array of the fits (cross_validate's estimators, indexed) pools
    # as the list does: it was averaged, then reported as one fit's curve
    fits = np.empty(len(pipes), dtype=object)
    for i, pipe in enumerate(pipes):
        fits[i] = pipe
    as_array = diagnose(fits)
    assert as_array.n_folds == 3 and as_array.message == result.message
    # a column of pd.DataFrame(cross_validate(...)) pools as well
    as_series = diagnose(pd.Series(pipes))
    assert as_series.n_folds == 3 and as_series.message == result.message
    # numpy unpacked Pipelines into a table of their steps: said so
    with pytest.raises(TypeError, match=r"must be 1d.*got shape \(3, 2\)"):
        diagnose(np.array(pipes, dtype=object))


def test_pooled_inputs_are_checked():
    with pytest.raises(ValueError, match="'estimator' entry"):
        diagnose({"test_score": [0.9, 0.8]})
    with pytest.raises(ValueError, match="list of folds is empty"):
        diagnose([])
    with pytest.raises(TypeError, match="records no learning curves"):
        diagnose([LogisticRegression()])
    # an array of numbers is no list of fits (its first number was named)
    with pytest.raises(TypeError, match="numpy array of float64, which records no"):
        diagnose(np.array([0.7, 0.5, 0.4]))


def test_pooled_classifiers_and_regressors_are_refused():
    X, y = make_classification(n_samples=80, n_features=4, random_state=0)
    params = {"hidden_layer_sizes": (4,), "epochs": 2, "random_state": 0}
    clf = TaperedMLPClassifier(**params).fit(X, y)
    reg = TaperedMLPRegressor(**params).fit(X, y.astype(float))
    with pytest.raises(ValueError, match="mix classifiers and regressors"):
        diagnose([clf, reg])


def test_pooled_fits_of_objects_without_sklearn_tags_are_read():
    # any object recording a history_ is a fit; the check of the fits' kinds
    # raised scikit-learn's AttributeError on one without tags
    class Recorded:
        def __init__(self, frame):
            self.history_ = frame

    frames = _fold_histories()
    result = diagnose([Recorded(frame) for frame in frames])
    assert result.verdict == diagnose(frames).verdict


def test_pooled_message_counts_the_folds_behind_the_validation_curve():
    with_validation = history(decay(20, 0.7, 0.3), decay(20, 0.7, 0.35))
    without = history(decay(20, 0.7, 0.3))
    message = diagnose([with_validation, without, without]).message
    assert "mean curves of 3 folds (the validation curve of 1)" in message
    assert "validation curve of" not in diagnose([with_validation] * 3).message


def test_pooled_fits_with_and_without_validation_do_not_diverge():
    # a fit without a validation curve beside one with: the pooled curves end
    # where both columns do, with no gap read as a NaN training loss
    long = history(decay(20, 0.7, 0.3), decay(20, 0.7, 0.35))
    short = history(decay(10, 0.7, 0.3))
    for fits in ([long, short], [short, long]):
        result = diagnose(fits)
        assert result.verdict != "diverged"
        assert result.n_epochs <= 10


def test_a_pooled_fold_whose_loss_became_nan_diverges():
    # a NaN training loss is a divergence, not an early stop: pooled with two
    # sound folds, the mean curve diverges with it
    sound = [history(decay(20, 0.7, 0.3), decay(20, 0.7, 0.35)) for _ in range(2)]
    broken = history(decay(20, 0.7, 0.3), decay(20, 0.7, 0.35))
    broken.loc[6:, ["loss", "val_loss"]] = np.nan
    assert diagnose(broken).verdict == "diverged"
    result = diagnose([*sound, broken])
    assert result.verdict == "diverged"
    assert "inf" in result.message


@pytest.mark.parametrize(
    ("estimator", "guess"),
    [
        (lambda: TaperedMLPClassifier(epochs=1), np.log(2)),
        (lambda: TaperedMLPRegressor(epochs=1), 1.0),
    ],
)
def test_guess_loss_of_skdnn_networks(estimator, guess):
    from sklearn.datasets import make_classification

    from skdnn._curves import guess_loss

    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    fitted = estimator().fit(X, y)
    assert guess_loss(fitted) == pytest.approx(guess)
    assert guess_loss(make_pipeline(StandardScaler(), fitted)) == pytest.approx(guess)
    assert guess_loss(None) is None
    assert guess_loss(LogisticRegression().fit(X, y)) is None


def test_a_first_epoch_explosion_is_diverged_not_a_good_fit():
    # A learning rate of 1e6 blows the loss up to ~1e20 in the first epoch;
    # it then falls, so neither the jump from epoch 1 nor the climb back
    # fires. Its cross-entropy stays far above a constant guess's (log 2).
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    net = TaperedMLPClassifier(
        hidden_layer_sizes=(16,),
        learning_rate=1e6,
        epochs=4,
        dropout=0.0,
        early_stopping=False,
        random_state=0,
    ).fit(StandardScaler().fit_transform(X), y)
    assert net.history_["loss"].min() > 100 * np.log(2)
    result = diagnose(net)
    assert result.verdict == "diverged"
    assert "constant guess" in result.message
    # the same curves without the estimator: no guess to compare with
    assert diagnose(net.history_).verdict != "diverged"


def test_an_explosion_that_fell_back_to_a_constant_guess_is_diverged():
    # learning_rate=1 explodes the first epoch (loss ~760), then the network
    # collapses to one constant: the validation loss sits flat at log 2,
    # which read "good fit ... levelled off, keep this design"
    X, y = make_classification(400, 10, n_informative=3, random_state=1)
    net = TaperedMLPClassifier(
        learning_rate=1.0, epochs=30, validation_split=0.3, early_stopping=False,
        random_state=0,
    ).fit(X, y)  # fmt: skip
    history_ = net.history_
    assert history_["loss"].iloc[0] > 100 * np.log(2)
    assert history_["val_loss"].min() > 0.99 * np.log(2)  # at chance
    result = diagnose(net)
    assert result.verdict == "diverged"
    assert "exploded to" in result.message and "at epoch 1" in result.message
    assert "learning_rate=0.1" in result.advice[0]


def test_a_heavy_l2_penalty_falling_steadily_is_no_explosion():
    # the loss includes the penalty: l2=1 starts it at ~210, 300 times a
    # constant guess's, but it falls steadily: not diverged
    X, y = make_classification(600, 10, n_informative=5, random_state=0)
    net = TaperedMLPClassifier(epochs=15, l2=1.0, random_state=0).fit(X, y)
    assert net.history_["loss"].iloc[0] > 100 * np.log(2)
    result = diagnose(net)
    assert result.curve_verdict != "diverged"


def test_both_losses_climbing_for_good_is_diverged_not_a_good_fit():
    # both fall to epoch 6, then climb: the training loss ends below its
    # first value, but it gave back most of its fall
    train = [2.0, 1.0, 0.6, 0.4, 0.3, 0.25, *np.linspace(0.3, 0.95, 14)]
    val = [2.0, 1.0, 0.6, 0.4, 0.3, 0.28, *np.linspace(0.4, 1.7, 14)]
    result = diagnose(history(train, val))
    assert result.verdict == "diverged"
    assert "of its fall" in result.message
    # a training loss near zero bouncing to twice its minimum is no divergence
    tiny = [1.0, 0.1, 1e-3, 1e-5, 1e-6, 1e-6, 2e-6, 3e-6, 3e-6, 3e-6]
    assert diagnose(history(tiny, [1.0, 0.5, *[0.3] * 8])).verdict != "diverged"


def test_one_noisy_epoch_does_not_decide_still_improving():
    rng = np.random.default_rng(0)
    epochs = np.arange(1, 61)
    train = np.exp(-epochs / 40) + rng.normal(0, 0.003, 60)
    val = 1.05 * np.exp(-epochs / 40) + rng.normal(0, 0.003, 60)
    assert diagnose(history(train, val)).verdict == "still_improving"
    for epoch, delta in ((55, -0.03), (55, 0.03), (58, 0.03), (58, -0.03)):
        spiked = val.copy()
        spiked[epoch - 1] += delta
        result = diagnose(history(train, spiked))
        assert result.verdict == "still_improving", (epoch, delta)
        # the message quotes the smoothed tail, which falls
        start, end = map(
            float, result.message.split("fell from ")[1].split(" over")[0].split(" to ")
        )
        assert end < start


def test_a_steady_fall_to_the_last_epoch_is_still_improving():
    # the running median, cut short at the end, flattened the tail of a
    # loss falling at every epoch: 1.3 % over the last 5 epochs read 0.7 %,
    # "levelled off" (a regressor at learning_rate=1e-5)
    epochs = np.arange(1, 31)
    train = 1.0 - 0.0035 * epochs + np.random.default_rng(0).normal(0, 0.02, 30)
    for noise in (0.0, 0.0003):
        rng = np.random.default_rng(1)
        val = 0.745 - 0.0022 * (epochs - 1) + rng.normal(0, noise, 30)
        assert diagnose(history(train, val)).verdict == "still_improving", noise
    # a fall that has levelled off is not
    val = 0.68 + 0.065 * np.exp(-epochs / 4)
    assert diagnose(history(train, val)).verdict == "good_fit"


def test_a_rise_from_the_first_epoch_is_not_called_a_small_give_back():
    # the minimum at epoch 1: any rise gives back all of a fall of 0, so the
    # reason it is no overfit is the epochs above, not the give-back
    train = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.4, 0.35]
    result = diagnose(history(train, [1.0] * 7 + [1.5, 1.5]))
    assert result.verdict == "good_fit"
    assert "gives back" not in result.message
    assert "for fewer than 3 epochs" in result.message


def test_a_good_fit_whose_loss_never_fell_says_so():
    result = diagnose(history([0.7, 0.6, 0.5, 0.45, 0.42], [0.69, 0.7, 0.71, 0.7, 0.7]))
    assert result.verdict == "good_fit"
    assert "never fell below its first value, 0.69 (epoch 1)" in result.message


def test_a_transformed_target_regressor_is_read_through_its_regressor():
    from sklearn.compose import TransformedTargetRegressor

    X, y = make_classification(n_samples=80, n_features=4, random_state=0)
    params = {"hidden_layer_sizes": (4,), "epochs": 3, "random_state": 0}
    ttr = TransformedTargetRegressor(
        TaperedMLPRegressor(**params), func=np.log1p, inverse_func=np.expm1
    ).fit(X, y + 1.0)
    wrapped, inner = diagnose(ttr), diagnose(ttr.regressor_)
    # the same diagnosis, its settings named as the wrapper's set_params takes them
    assert dataclasses.replace(wrapped, advice=inner.advice) == inner
    assert tuple(a.replace("regressor__", "") for a in wrapped.advice) == inner.advice


def test_threshold_and_calibration_wrappers_are_read_through_their_model():
    # the wrappers the evaluation guide recommends were refused as
    # "records no learning curves"
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import (
        FixedThresholdClassifier,
        TunedThresholdClassifierCV,
    )

    X, y = make_classification(n_samples=90, n_features=4, random_state=0)
    params = {"hidden_layer_sizes": (4,), "epochs": 3, "random_state": 0}
    clf = TaperedMLPClassifier(**params).fit(X, y)
    tuned = TunedThresholdClassifierCV(
        TaperedMLPClassifier(**params), cv=2, scoring="balanced_accuracy"
    ).fit(X, y)
    wrapped, inner = diagnose(tuned), diagnose(tuned.estimator_)
    assert dataclasses.replace(wrapped, advice=inner.advice) == inner
    assert tuple(a.replace("estimator__", "") for a in wrapped.advice) == inner.advice
    fixed = FixedThresholdClassifier(FrozenEstimator(clf), threshold=0.3).fit(X, y)
    calibrated = CalibratedClassifierCV(FrozenEstimator(clf)).fit(X, y)
    for wrapper in (fixed, calibrated):
        assert diagnose(wrapper) == diagnose(clf)
    # a calibration over folds holds several fits: refused, as before
    several = CalibratedClassifierCV(TaperedMLPClassifier(**params), cv=2).fit(X, y)
    with pytest.raises(TypeError, match="records no learning curves"):
        diagnose(several)


def test_pooled_fits_are_not_said_to_keep_one_epoch():
    # each fold kept its own best epoch: the advice named the mean curve's
    # as if one model had kept it
    train, val = overfit_curves()
    folds = [
        _Fold(history(train, val), n_validation=200, best=b, early_stopping=True).fit()
        for b in (10, 12, 14)
    ]
    one = diagnose(folds[0])
    assert "early stopping already kept the weights of epoch 10" in one.advice[0]
    pooled = diagnose(folds)
    assert pooled.verdict == "overfitting"
    assert pooled.advice[0].startswith("early stopping already kept each fit's best")
    assert f"best epoch is {pooled.best_epoch}" in pooled.advice[0]


def test_a_classifier_no_better_than_the_class_frequencies_is_not_a_good_fit():
    # learning_rate=1.0 settled the network at the frequencies (one
    # probability for every row, validation loss log 2) after a first-epoch
    # jump, and the fall from that jump read "good fit: keep this design"
    X, y = make_classification(n_samples=300, n_features=4, random_state=0)
    y = np.where(np.arange(300) < 75, 1, 0)  # a quarter of positives
    clf = TaperedMLPClassifier(hidden_layer_sizes=(4,), epochs=3, random_state=0)
    clf.fit(X, y)
    clf.n_validation_samples_ = 500  # evidence enough to read the curves
    clf._validation_mix = np.array([3.0, 1.0])  # the training rows' mix
    prior = -(0.25 * np.log(0.25) + 0.75 * np.log(0.75))
    jumped = history([1.9, 0.7, 0.6, 0.57, 0.563, 0.562], [0.75] + [prior + 1e-4] * 5)
    clf.history_ = jumped
    result = diagnose(clf)
    assert result.verdict == "diverged"
    assert "the loss of predicting the class frequencies (0.562)" in result.message
    assert result.advice[0].startswith("lower the learning rate")
    # without the jump: the features told it nothing
    clf.history_ = history([0.58, 0.57, 0.565, 0.563, 0.562], [prior] * 5)
    result = diagnose(clf)
    assert result.verdict == "underfitting"
    assert "DummyClassifier" in result.advice[-1]
    # a loss 1 % below the frequencies' is learning: the other rules judge
    clf.history_ = history(
        [0.6, 0.58, 0.56, 0.55, 0.55, 0.55], [0.6, 0.58, 0.56] + [0.99 * prior] * 3
    )
    assert "class frequencies" not in diagnose(clf).message
    # under class_weight="balanced" the classes weigh alike: log 2
    clf.class_weight = "balanced"
    clf.history_ = history([0.7] * 5, [np.log(2)] * 5)
    assert "(0.693)" in diagnose(clf).message


def test_the_frequencies_loss_is_read_on_the_validation_rows_mix():
    # validation_data of balanced classes beside training rows of 90/10: the
    # training frequencies' entropy (0.46) is no loss of this validation set
    # (0.97), and a network that learnt well read "learnt nothing"

    rng = np.random.default_rng(1)
    X = rng.normal(size=(900, 5))
    y = (rng.random(900) < 1 / (1 + np.exp(-(2 * X[:, 0] - np.log(9))))).astype(int)
    train, val = slice(0, 600), slice(600, None)
    ones, zeros = np.flatnonzero(y[val] == 1)[:40], np.flatnonzero(y[val] == 0)[:40]
    rows = 600 + np.r_[ones, zeros]
    clf = TaperedMLPClassifier(hidden_layer_sizes=(8,), epochs=3, random_state=0)
    clf.fit(X[train], y[train], validation_data=(X[rows], y[rows]))
    share = np.bincount(y[train]) / 600
    assert prior_loss(clf) == pytest.approx(-np.log(share).mean(), rel=1e-6)
    held_out = TaperedMLPClassifier(hidden_layer_sizes=(8,), epochs=3, random_state=0)
    held_out.fit(X[train], y[train])
    assert prior_loss(held_out) < 0.6  # about the entropy of 90/10


def _rare_yes(class_weight):
    """A classifier fitted on 1,000 rows, 13 % of them "yes" and the features
    weak: with ``class_weight=None`` it decides "no" on every row."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 4))
    y = np.where(X[:, 0] + 2.5 * rng.normal(size=1000) > 3.0, "yes", "no")
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(8,), class_weight=class_weight, random_state=0
    ).fit(X, y)
    return clf, X, y


@pytest.mark.parametrize("class_weight", [None, "balanced_logits"])
def test_a_fit_deciding_the_commonest_class_everywhere_is_said(class_weight):
    # "good fit ... keep this design" of a network that decided the majority
    # class on every row (class_weight=None, 13 % positives): its validation
    # accuracy was exactly that class's share
    clf, X, y = _rare_yes(class_weight)
    diagnosis = diagnose(clf)
    everywhere = set(clf.predict(X)) == {"no"}
    assert everywhere == (class_weight is None)
    note = "is the share of the class 'no': it may decide 'no' on every row"
    assert (note in diagnosis.message) == everywhere
    assert diagnosis.advice[0].startswith("judge its recall per class") == everywhere
    # nor said of a good fit whose decisions are not all one class, nor
    # missed when sample_weight weighs the rows (the class mix it held the
    # accuracy against was the weighted one)
    if class_weight is None:
        noise = np.random.default_rng(2).normal(size=len(y))
        balanced = diagnose(clf.fit(X, np.where(X[:, 0] + noise > 0, "yes", "no")))
        assert balanced.verdict == "good_fit"
        assert "may decide" not in balanced.message
        weights = np.random.default_rng(1).uniform(0.5, 1.5, size=len(y))
        weighted = diagnose(clf.fit(X, y, sample_weight=weights))
        assert note in weighted.message


def test_a_diagnosis_shows_in_a_notebook_as_it_prints():
    # a notebook showed the one-line dataclass repr of every field
    from types import SimpleNamespace

    diagnosis = diagnose(
        pd.DataFrame(
            {"loss": [0.7, 0.5, 0.4, 0.35], "val_loss": [0.72, 0.6, 0.52, 0.47]}
        )
    )
    shown = []
    diagnosis._repr_pretty_(SimpleNamespace(text=shown.append), cycle=False)
    assert shown == [str(diagnosis)]
    assert shown[0].startswith(diagnosis.message) and "\n- " in shown[0]


def _binary_stand_in(early_stopping=False):
    """A fitted classifier of two balanced classes on 1,100 random rows (its
    prior loss about log 2, 110 validation rows), to put curves in."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(1100, 6)), rng.integers(0, 2, 1100)
    return TaperedMLPClassifier(
        hidden_layer_sizes=(8,), early_stopping=early_stopping, epochs=2, random_state=0
    ).fit(X, y)


def test_a_network_that_memorised_its_rows_reads_overfitting_not_underfitting():
    # an oversized network on a weak table: its training loss fell 15 %
    # below the class frequencies' while its validation loss never beat
    # them (the folds' rises averaging under 10 %), and the verdict read
    # "underfitting, learnt nothing", with advice (and the design search's
    # one move) to raise the learning rate. A fitted classifier (its prior
    # loss, 110 validation rows) with these curves put in its history
    clf = _binary_stand_in()
    epochs = pd.RangeIndex(1, 41, name="epoch")
    val = 0.70 + 0.0015 * np.arange(40)  # never below the prior, rising 8 %
    for train, verdict in ((np.linspace(0.69, 0.58, 40), "overfitting"),
                           (np.linspace(0.70, 0.68, 40), "underfitting")):  # fmt: skip
        clf.history_ = pd.DataFrame({"loss": train, "val_loss": val}, index=epochs)
        diagnosis = diagnose(clf)
        assert diagnosis.verdict == verdict
        memorised = "the network learnt its training rows, and nothing of them held"
        assert (memorised in diagnosis.message) == (verdict == "overfitting")
        assert ("learnt nothing" in diagnosis.message) == (verdict == "underfitting")
        assert diagnosis.advice[0].startswith(
            "stop at epoch" if verdict == "overfitting" else "raise the learning rate"
        )
        assert diagnosis.advice[-1].startswith("check that the features tell")


def test_a_rate_too_high_to_learn_the_training_rows_reads_diverged():
    # breast cancer at learning_rate=0.3: the first epoch's loss stood at
    # 74 times the class frequencies', the training loss never came below
    # 0.99 times theirs (smoothed), and the validation loss, 0.135 at its
    # best, rose after it: read "overfitting from epoch 1 ... while
    # training loss kept falling", advice to regularise. The curves, in a
    # fitted classifier (its prior loss, about log 2, 110 validation rows)
    clf = _binary_stand_in()
    epochs = pd.RangeIndex(1, 13, name="epoch")
    val = [0.9, 0.14, 0.2, 0.3, 0.45, 0.5, 0.58, 0.6, 0.62, 0.64, 0.65, 0.66]
    jumped = [24.8, 0.9, 0.8, 0.74, 0.72, 0.7, 0.71, 0.69, 0.7, 0.7, 0.69, 0.7]
    learnt = [24.8, 0.6, 0.4, 0.3, 0.25, 0.2, 0.17, 0.15, 0.12, 0.1, 0.09, 0.08]
    for train, verdict in ((jumped, "diverged"), (learnt, "overfitting")):
        clf.history_ = pd.DataFrame({"loss": train, "val_loss": val}, index=epochs)
        diagnosis = diagnose(clf)
        assert diagnosis.verdict == verdict
        assert ("learnt little of its training rows" in diagnosis.message) == (
            verdict == "diverged"
        )
    clf.history_ = pd.DataFrame({"loss": jumped, "val_loss": val}, index=epochs)
    diagnosis = diagnose(clf)
    assert "jumped to 24.8 at epoch 1" in diagnosis.message
    assert diagnosis.advice[0].startswith("lower the learning rate")
    # a validation loss that ends well below the frequencies': a network that
    # learnt, its training loss held up by heavy dropout (0.7 on a regressor
    # jumped to 2.55 times a constant's in its first epoch, and was read as
    # a rate too high to learn; the search then cut a good rate)
    settled = [0.9, 0.5, 0.4, 0.35, 0.33, 0.32, 0.31, 0.31, 0.3, 0.3, 0.31, 0.3]
    clf.history_ = pd.DataFrame({"loss": jumped, "val_loss": settled}, index=epochs)
    assert "learnt little" not in diagnose(clf).message
    # no jump: a loss held near the frequencies' by dropout on a weak table
    steady = [0.71, 0.7, 0.7, 0.69, 0.69, 0.69, 0.68, 0.68, 0.68, 0.68, 0.68, 0.68]
    clf.history_ = pd.DataFrame({"loss": steady, "val_loss": val}, index=epochs)
    assert "learnt little" not in diagnose(clf).message
    # an l2 penalty, which the loss includes, stands above the guess's
    clf.history_ = pd.DataFrame({"loss": jumped, "val_loss": val}, index=epochs)
    clf.set_params(l2=0.1)
    assert "learnt little" not in diagnose(clf).message


def test_a_fit_at_a_rate_too_high_to_learn_warns_and_reads_diverged():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    clf = TaperedMLPClassifier(learning_rate=0.3, epochs=30, random_state=0)
    with pytest.warns(ConvergenceWarning, match="learnt little of its training"):
        clf.fit(X, y)
    diagnosis = diagnose(clf)
    assert diagnosis.verdict == "diverged"
    assert diagnosis.advice[0].startswith("lower the learning rate")


def test_at_a_rate_high_for_its_optimizer_a_network_at_the_guess_diverged():
    # learning_rate=0.1 with Adam (100 times its usual rate): on OJ the
    # training loss sat at the class frequencies' from epoch 2 on (no jump),
    # the validation loss had dipped at epoch 1 and rose back to theirs,
    # and the curves read "overfitting from epoch 1" with advice to
    # regularise; hmda's read "underfitting ... raise the learning rate:
    # learning_rate=1". The same curves at the usual rate are no divergence
    clf = _binary_stand_in()
    epochs = pd.RangeIndex(1, 12, name="epoch")
    train = [0.79, 0.64, 0.70, 0.68, 0.67, 0.67, 0.67, 0.67, 0.67, 0.67, 0.68]
    val = [0.50, 0.52, 0.66, 0.67, 0.67, 0.67, 0.67, 0.67, 0.67, 0.67, 0.67]
    clf.history_ = pd.DataFrame({"loss": train, "val_loss": val}, index=epochs)
    clf.set_params(learning_rate=0.1)
    diagnosis = diagnose(clf)
    assert diagnosis.verdict == "diverged"
    assert "at learning_rate=0.1, 100 times adam's usual rate" in diagnosis.message
    assert "learnt little of its training rows" in diagnosis.message
    assert diagnosis.advice[0] == "lower the learning rate: learning_rate=0.01"
    for rate in (1e-3, 0.01):  # the usual rate, and ten times it
        clf.set_params(learning_rate=rate)
        assert diagnose(clf).verdict != "diverged"
    clf.set_params(learning_rate=0.1, optimizer="sgd")  # ten times SGD's
    assert diagnose(clf).verdict != "diverged"


def test_a_network_short_of_a_heavily_weighted_prior_did_not_jump():
    # classes weighted 400 to 1 put the frequencies' loss at 0.0175; two
    # epochs left the training loss at 0.045, 2.6 times it, and the fit was
    # read (and warned) as a jump that never learnt: a network that had not
    # yet reached the prior, below any explosion
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] > 0).astype(int)
    weights = np.where(y == 1, 20.0, 0.05)
    clf = TaperedMLPClassifier(hidden_layer_sizes=(4,), epochs=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y, sample_weight=weights)
    base = prior_loss(clf)
    assert base < 0.05
    epochs = pd.RangeIndex(1, 6, name="epoch")
    train = [2.6 * base, 2.55 * base, 2.5 * base, 2.5 * base, 2.5 * base]
    clf.history_ = pd.DataFrame({"loss": train, "val_loss": [base] * 5}, index=epochs)
    assert "learnt little" not in diagnose(clf).message
    clf.history_ = clf.history_.assign(loss=[1.5, 0.9, 0.9, 0.9, 0.9])  # above log 2
    assert diagnose(clf).verdict == "diverged"


def test_the_rate_advice_stops_at_ten_times_the_optimizers_usual_rate():
    from skdnn._advice import _raise_the_rate
    from skdnn._curves import _Knobs

    def advice(rate, optimizer="adam"):
        knobs = _Knobs(rate, None, None, None, None, None, None, optimizer=optimizer)
        return _raise_the_rate(knobs)

    assert advice(1e-3) == "raise the learning rate: learning_rate=0.01"
    assert advice(3e-3) == "raise the learning rate: learning_rate=0.01"
    assert advice(0.01).startswith(
        "lower the learning rate rather than raise it: learning_rate=0.001 "
        "(0.01 is 10 times adam's usual 0.001"
    )
    assert advice(0.01, "sgd") == "raise the learning rate: learning_rate=0.1"
    assert advice(0.1, None) == "raise the learning rate: learning_rate=1"


def test_most_folds_diverged_reads_diverged_whatever_their_mean_reads():
    # a regressor at learning_rate=0.1 on concrete: 2 of 3 folds diverged
    # (R² -0.008 and -0.007), each read so and warned, while their mean
    # curve, dominated by the third fold's fall, read "still improving":
    # the design search tried more patience and kept a broken network
    n = 30
    good = pd.DataFrame(
        {"loss": np.linspace(10, 1, n), "val_loss": np.linspace(10, 1.2, n)}
    )
    jump = np.r_[1.0, 0.9, 0.8, 0.9, np.full(n - 4, 2.5)]
    bad = pd.DataFrame({"loss": jump, "val_loss": jump + 0.1})
    assert diagnose(bad).verdict == "diverged"
    assert diagnose([good, good.copy()]).verdict != "diverged"
    pooled = diagnose([good, bad, bad.copy()])
    assert pooled.verdict == "diverged"
    assert "2 of the 3 folds diverged each" in pooled.message
    assert pooled.advice[0].startswith("lower the learning rate")
    # one diverged fold of three keeps the mean's verdict
    assert diagnose([good, good.copy(), bad]).verdict != "diverged"


def test_an_l2_penalty_that_held_every_weight_at_zero_learnt_nothing():
    # l2=0.1 on credit: balanced accuracy 0.5 on every fold, a validation
    # loss of exactly the frequencies' (the penalty, which the loss
    # includes, least with every kernel near 0), read "good fit" with advice
    # to keep the design: rule 5 was skipped whenever l2 was set
    clf = _binary_stand_in()
    prior = prior_loss(clf)
    epochs = pd.RangeIndex(1, 21, name="epoch")
    # the starting kernels' penalty stands far above the guess's, 100 times
    # it on resume_names's wide network: no jump, no explosion
    train = np.r_[72.0, 41.0, 24.0, 14.0, 8.6, 5.2, 3.2, 2.0, 1.3, 0.85, 0.6]
    train = np.r_[train, np.full(9, prior * 1.002)]
    flat = np.r_[3.0, 1.2, 0.8, np.full(17, prior)]
    clf.history_ = pd.DataFrame({"loss": train, "val_loss": flat}, index=epochs)
    clf.set_params(l2=0.1)
    diagnosis = diagnose(clf)
    assert diagnosis.verdict == "underfitting"
    assert "learnt nothing" in diagnosis.message and "l2 penalty" in diagnosis.message
    assert diagnosis.advice[0] == "lower the l2 penalty: l2=0.01 (now 0.1)"
    # above the frequencies' loss, the penalty or a thin hold-out may stand
    # (swiss_labor's folds at l2=1e-3 scored 0.62 to 0.69, their pooled
    # validation loss 4 % above the guess's): no reading of a network held
    # at the guess
    above = np.r_[3.0, 1.2, 0.8, np.full(17, 1.04 * prior)]
    clf.history_ = pd.DataFrame({"loss": train, "val_loss": above}, index=epochs)
    assert "learnt nothing" not in diagnose(clf).message
    # a network that learnt, penalty and all, below the frequencies' loss
    learnt = np.r_[3.0, 1.2, 0.8, np.full(17, 0.9 * prior)]
    clf.history_ = pd.DataFrame({"loss": train, "val_loss": learnt}, index=epochs)
    assert "learnt nothing" not in diagnose(clf).message


def test_the_advice_reads_the_rate_against_its_optimizers_usual_one():
    from skdnn._advice import _converge_faster, _overfit_advice
    from skdnn._curves import _Knobs

    def knobs(rate, optimizer="adam", **more):
        return _Knobs(rate, 0.1, None, None, True, None, 7, optimizer=optimizer, **more)

    # at 30 times Adam's rate, raising dropout as advised lowered the
    # held-out score on 5 of 5 tables: a lower rate comes first
    high = _overfit_advice(knobs(0.03), best_epoch=7)
    assert high[0].startswith(
        "lower the learning rate: learning_rate=0.003 (0.03 is 30 times "
        "adam's usual rate"
    )
    assert not _overfit_advice(knobs(1e-3), best_epoch=7)[0].startswith("lower")
    assert not _overfit_advice(knobs(0.03, "sgd"), best_epoch=7)[0].startswith("lower")
    # 1e-5 took four steps of three to reach Adam's usual rate
    assert _converge_faster(knobs(1e-5)) == (
        "or converge faster at adam's usual rate: learning_rate=0.001 "
        "(now 1e-05, 100 times lower)"
    )
    assert _converge_faster(knobs(1e-4)) == "or converge faster: learning_rate=0.0003"
    assert (
        _converge_faster(knobs(1e-5, None)) == "or converge faster: learning_rate=3e-05"
    )


def test_a_good_fit_far_from_the_usual_rate_is_compared_with_another_first():
    clf = _binary_stand_in(early_stopping=True)
    epochs = pd.RangeIndex(1, 21, name="epoch")
    train = np.linspace(0.6, 0.3, 20)
    val = np.r_[np.linspace(0.6, 0.4, 10), np.full(10, 0.4)]
    clf.history_ = pd.DataFrame({"loss": train, "val_loss": val}, index=epochs)
    for rate in (1e-4, 1e-3, 3e-3):  # near the usual rate
        advice = diagnose(clf.set_params(learning_rate=rate)).advice
        assert advice[0].startswith("keep this design")
    # attrition at learning_rate=0.03: "good fit, keep this design" at a
    # balanced accuracy of 0.60 (0.77 at the usual rate), one class on
    # every row with another seed
    diagnosis = diagnose(clf.set_params(learning_rate=0.03))
    assert diagnosis.verdict == "good_fit"
    assert diagnosis.advice[0].startswith(
        "before keeping it, compare a lower rate: learning_rate=0.003 (0.03 is "
        "30 times adam's usual rate"
    )
    # attrition at learning_rate=1e-5: pooled folds read "good fit, keep
    # this design" with their best epoch the last of 200, a curve falling
    # too slowly per epoch to read as a fall
    diagnosis = diagnose(clf.set_params(learning_rate=1e-5))
    assert diagnosis.verdict == "good_fit"
    assert diagnosis.advice[0] == (
        "before keeping it, compare adam's usual rate: learning_rate=0.001 "
        "(1e-05 is 100 times lower; a curve this slow can look level while "
        "the network is still learning)"
    )
    assert diagnosis.advice[1].startswith("keep this design")
    # SGD's usual rate is 1e-2: 1e-4 is 100 times below it
    diagnosis = diagnose(clf.set_params(learning_rate=1e-4, optimizer="sgd"))
    assert diagnosis.advice[0].startswith(
        "before keeping it, compare sgd's usual rate: learning_rate=0.01"
    )


def test_a_good_fit_best_at_its_last_epoch_is_not_told_to_stop_there():
    # 100 rows of breast cancer, 100 epochs without early stopping, best at
    # the last: "keep the weights of epoch 100: early_stopping=True, or
    # epochs=100", a change that changes nothing
    clf = _binary_stand_in(early_stopping=False)
    epochs = pd.RangeIndex(1, 21, name="epoch")
    train = np.linspace(0.6, 0.3, 20)
    val = np.r_[np.linspace(0.6, 0.4, 10), np.full(9, 0.4), 0.3999]
    clf.history_ = pd.DataFrame({"loss": train, "val_loss": val}, index=epochs)
    diagnosis = diagnose(clf)
    assert (diagnosis.verdict, diagnosis.best_epoch) == ("good_fit", 20)
    assert not any("keep the weights" in line for line in diagnosis.advice)
    # best before the last epoch: keeping its weights is a change
    clf.history_ = clf.history_.assign(val_loss=np.r_[val[:-1], 0.4001])
    diagnosis = diagnose(clf)
    assert diagnosis.best_epoch < 20
    assert diagnosis.advice[-1] == (
        f"keep the weights of epoch {diagnosis.best_epoch}: early_stopping=True, "
        f"or epochs={diagnosis.best_epoch}"
    )


def test_a_noisy_plateau_is_not_still_improving():
    # computers (1,500 rows), loss="huber", random_state=0: the validation
    # loss flat at 0.0701-0.0725 from epoch 38 on (best epoch 47, stopped at
    # 57) read "still improving ... raise patience": the spread of the
    # 6-epoch tail about its own line was near 0 by chance, an ordinary
    # epoch was taken for a spike and the line through the rest "fell
    # significantly" (10 % of pure-noise 5-epoch tails at the 2.5 % level)
    train = np.array(
        (
            "0.35914 0.21078 0.18537 0.16324 0.15046 0.13249 0.12526 0.11918 0.11351 "
            "0.11606 0.11289 0.10924 0.10634 0.10582 0.10604 0.10257 0.09478 0.09957 "
            "0.09514 0.09785 0.0949 0.09589 0.09127 0.08922 0.08834 0.08892 0.08539 "
            "0.08661 0.08419 0.08579 0.08921 0.08721 0.08736 0.08618 0.08379 0.08654 "
            "0.08287 0.08444 0.08917 0.08995 0.08529 0.08141 0.08423 0.08273 0.08318 "
            "0.08433 0.08109 0.08254 0.08413 0.07541 0.08143 0.08276 0.07974 0.08372 "
            "0.08264 0.07944 0.08064 "
        ).split(),
        float,
    )
    val = np.array(
        (
            "0.170655 0.136665 0.119217 0.108026 0.101107 0.096942 0.092679 0.091428 "
            "0.089132 0.087042 0.085152 0.084231 0.082736 0.08298 0.082418 0.081628 "
            "0.080514 0.079349 0.079083 0.078199 0.076342 0.076076 0.076317 0.075824 "
            "0.074695 0.074709 0.074463 0.074462 0.074126 0.073245 0.073947 0.073657 "
            "0.073155 0.07301 0.072847 0.072307 0.072421 0.07149 0.071932 0.071728 "
            "0.071221 0.071889 0.072008 0.072119 0.071837 0.071043 0.070115 0.07094 "
            "0.071848 0.071597 0.072206 0.072129 0.071618 0.070983 0.071415 0.072513 "
            "0.070844 "
        ).split(),
        float,
    )
    assert diagnose(history(train, val)).verdict == "good_fit"


def test_levelled_off_noise_reads_still_improving_at_about_its_test_level():
    # the tail's one-sided t-test runs at 2.5 %; the spikes it sets aside
    # were judged by a spread read from those 5 or 6 epochs, near 0 by
    # chance, and 6 % of levelled-off noisy curves read "still improving"
    rng = np.random.default_rng(1)
    verdicts = []
    for _ in range(400):
        n = int(rng.integers(30, 80))
        t = np.arange(n)
        val = 0.07 + 0.3 * np.exp(-t / 4) + 0.0008 * rng.standard_normal(n)
        train = 0.08 + 0.3 * np.exp(-t / 4) + 0.003 * rng.standard_normal(n)
        verdicts.append(diagnose(history(train, val)).verdict)
    assert np.mean(np.array(verdicts) == "still_improving") < 0.045


@pytest.mark.parametrize("loss", ["huber", "squared_error"])
def test_a_validation_loss_ruled_by_a_few_targets_is_no_evidence_of_underfitting(loss):
    # 2 % of ames's prices mistyped a hundred-fold: with the robust losses
    # a clean test R² of 0.84 to 0.93, read "learnt nothing from the
    # features", the validation loss (87 % of a constant guess's from those
    # rows) never 2 % below the guess's
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1100, 3))
    clean = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=1100)
    wrong = clean.copy()
    wrong[rng.choice(1100, 55, replace=False)] *= 1000
    verdicts = {}
    for name, y in (("clean", clean), ("wrong", wrong)):
        reg = TaperedMLPRegressor(
            hidden_layer_sizes=(4,), epochs=2, loss=loss, random_state=0
        ).fit(X, y)
        guess = reg._validation_guess_loss  # curves that never beat it
        reg.history_ = history(np.full(20, 1.0), guess * np.linspace(1.0, 0.995, 20))
        verdicts[name] = diagnose(reg)
    assert reg._validation_ruled_by is not None
    assert verdicts["clean"].verdict == "underfitting"
    ruled = verdicts["wrong"]
    assert (ruled.verdict, ruled.curve_verdict) == (
        "insufficient_evidence",
        "underfitting",
    )
    assert ruled.message.startswith(
        f"insufficient evidence: {reg._validation_ruled_by[0]} of the 110 validation "
        "rows, whose targets a constant guess misses most, carry"
    )
    assert ruled.advice[1].startswith("check those targets")
    huber = any("loss='huber'" in step for step in ruled.advice)
    assert huber == (loss == "squared_error")
    assert all(
        step.startswith("if the other rows read the same: ")
        for step in ruled.advice[2 + huber :]
    )


def test_an_overfitting_fit_deciding_the_commonest_class_is_said_too():
    # class_weight=None on lending_club and caravan: 5 of 6 fits decided the
    # majority class on every row and read "overfitting", whose advice
    # (dropout, l2) left them so; the one-class note came only with a good fit
    clf, X, y = _rare_yes(None)
    assert set(clf.predict(X)) == {"no"}
    share = clf._validation_counts.max() / clf._validation_counts.sum()
    # the curves of an overfitting run, the accuracy at the kept epoch the
    # commonest class's share, as the fits above recorded them
    val = [0.40, 0.36, 0.35, 0.37, 0.40, 0.44, 0.48, 0.52, 0.56, 0.60]
    clf.history_ = pd.DataFrame(
        {
            "loss": np.linspace(0.42, 0.10, 10),
            "accuracy": share,
            "val_loss": val,
            "val_accuracy": share,
        },
        index=pd.RangeIndex(1, 11, name="epoch"),
    )
    clf.best_epoch_ = 3
    diagnosis = diagnose(clf)
    assert diagnosis.verdict == "overfitting"
    assert "it may decide 'no' on every row" in diagnosis.message
    assert diagnosis.advice[0].startswith("judge its recall per class")
    assert any("dropout" in step or "l2" in step for step in diagnosis.advice[1:])
    # not said of the default's shifted decisions
    curves = clf.history_
    clf.set_params(class_weight="balanced_logits").fit(X, y)
    clf.history_, clf.best_epoch_ = curves, 3
    assert "may decide" not in diagnose(clf).message


def test_a_regressor_whose_l2_penalty_lifts_its_loss_to_the_guess_learnt():
    # an oversized (512, 512, 256) network at l2=1e-3 on wage: fold R² of
    # 0.24 to 0.35, its validation loss (which includes the penalty, about
    # 0.4 there) at the constant guess's, read "underfitting ... learnt
    # nothing from the features" in the search's path
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1100, 4))
    y = X[:, 0] + rng.normal(size=1100)
    reg = TaperedMLPRegressor(hidden_layer_sizes=(8,), epochs=2, random_state=0)
    reg.fit(X, y).set_params(l2=1e-3)
    prior = prior_loss(reg)
    epochs = pd.RangeIndex(1, 31, name="epoch")
    train = np.linspace(1.6, 1.0, 30) * prior
    val = np.linspace(1.3, 1.0, 30) * prior  # at the guess's at its best
    for r2, reads_nothing in ((np.linspace(0.05, 0.3, 30), False),
                              (np.linspace(-0.05, 0.01, 30), True)):  # fmt: skip
        reg.history_ = pd.DataFrame(
            {"loss": train, "val_loss": val, "val_r2": r2}, index=epochs
        )
        diagnosis = diagnose(reg)
        assert ("learnt nothing" in diagnosis.message) is reads_nothing
        assert (diagnosis.verdict == "underfitting") is reads_nothing


def _overfitting_stand_in():
    """The binary stand-in with 40 epochs of curves overfitting from epoch 10."""
    clf = _binary_stand_in()
    clf.history_ = pd.DataFrame(
        {"loss": np.linspace(0.69, 0.2, 40),
         "val_loss": np.r_[np.linspace(0.69, 0.5, 10), np.linspace(0.5, 0.9, 30)]},
        index=pd.RangeIndex(1, 41, name="epoch"),
    )  # fmt: skip
    return clf


def test_the_advice_on_a_pipeline_names_the_parameters_it_takes():
    # "validation_split=0.2" on a Pipeline: set_params refused the name
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    clf = _overfitting_stand_in()
    bare = diagnose(clf)
    inner = Pipeline([("net", clf)])
    piped = diagnose(Pipeline([("scale", StandardScaler()), ("model", inner)]))
    assert bare.verdict == piped.verdict == "overfitting"
    assert "early_stopping=True, or epochs=10" in bare.advice[0]
    assert piped.advice[0] == bare.advice[0].replace(
        "early_stopping=True, or epochs=10",
        "model__net__early_stopping=True, or model__net__epochs=10",
    )
    pipe = Pipeline([("scale", StandardScaler()), ("model", inner)])
    for line in piped.advice:  # each quoted setting is one set_params takes
        for name in re.findall(r"(\b[\w]+)=", line):
            assert name in pipe.get_params(), line


def test_the_advice_through_a_wrapper_names_the_parameters_it_takes():
    # diagnose(GridSearchCV(Pipeline)) quoted "early_stopping=True", which
    # neither the search's Pipeline nor its best_estimator_ takes; through a
    # TransformedTargetRegressor or TunedThresholdClassifierCV it quoted
    # "dropout=0.5", which their set_params refused
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.model_selection import GridSearchCV, TunedThresholdClassifierCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    clf = _overfitting_stand_in()
    pipe = Pipeline([("scale", StandardScaler()), ("net", clf)])
    search = GridSearchCV(pipe, {"net__batch_size": [32]})
    search.best_estimator_ = pipe  # as a fitted search holds it
    tuned = TunedThresholdClassifierCV(clf)
    tuned.estimator_ = clf
    rng = np.random.default_rng(0)
    reg = TaperedMLPRegressor(hidden_layer_sizes=(8,), epochs=2, random_state=0)
    reg.fit(rng.normal(size=(1100, 4)), rng.normal(size=1100))
    reg.history_ = clf.history_
    ttr = TransformedTargetRegressor(regressor=reg)
    ttr.regressor_ = reg
    for wrapper, settable, prefix in (
        (search, pipe, "net__"),
        (tuned, tuned, "estimator__"),
        (ttr, ttr, "regressor__"),
    ):
        diagnosis = diagnose(wrapper)
        quoted = [n for line in diagnosis.advice for n in re.findall(r"(\b\w+)=", line)]
        assert quoted and all(n.startswith(prefix) for n in quoted), diagnosis.advice
        assert all(n in settable.get_params() for n in quoted), quoted


def test_pooling_fits_of_different_designs_warns():
    # the outer folds of a nested DesignSearchCV kept different designs:
    # their mean curve read "good fit ... keep this design", no one design,
    # and the advice quoted whichever fit came first
    def fit(dropout, seed):
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(200, 4))
        y = (X[:, 0] > 0).astype(int)
        params = {"hidden_layer_sizes": (4,), "epochs": 3, "random_state": seed}
        return TaperedMLPClassifier(**params, dropout=dropout).fit(X, y)

    with pytest.warns(
        UserWarning, match=r"differ in their design \(dropout: 0.0, 0.2\)"
    ):
        diagnose([fit(0.0, 0), fit(0.2, 1)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # seeds differ, designs not
        diagnose([fit(0.1, 0), fit(0.1, 1)])
