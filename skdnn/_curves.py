"""Where learning curves come from: estimators, pipelines, searches, folds.

:func:`~skdnn.diagnose`, :class:`~skdnn.HistoryDisplay` and the design search
read curves from many kinds of input: a ``history_`` DataFrame, a fitted
estimator, a Pipeline or a search ending in one, a list of fits, or a
``cross_validate(..., return_estimator=True)`` result. This module turns
each into plain DataFrames, and pools several fits' curves by epoch. It
also reads what the diagnosis weighs the curves by: the estimator's
settings the advice quotes (``_Knobs``), and the losses of a constant guess
and of predicting the class frequencies.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline


def _final_step(obj):
    """The estimator at the end of a (possibly nested) Pipeline.

    A fitted hyper-parameter search stands for its ``best_estimator_``, a
    fitted ``TransformedTargetRegressor`` for its ``regressor_``, a fitted
    threshold wrapper (``TunedThresholdClassifierCV``,
    ``FixedThresholdClassifier``) or ``SelfTrainingClassifier`` for its
    ``estimator_``, a ``FrozenEstimator`` for its ``estimator``, and a
    ``CalibratedClassifierCV`` of one fit (``cv="prefit"`` or a frozen
    model) for that fit.
    """
    return _final_step_named(obj)[0]


def _final_step_named(obj) -> tuple[object, str]:
    """:func:`_final_step` of ``obj``, and the prefix its parameters take in
    ``obj.set_params`` (``net__`` in a Pipeline, ``regressor__`` through a
    ``TransformedTargetRegressor``, ``estimator__`` through a wrapper; none
    through a search, whose ``estimator`` takes them as they are, nor from
    a frozen or prefit fit on, whose settings are its own)."""
    prefix = ""
    while True:
        kind = type(obj).__name__
        if isinstance(obj, Pipeline):
            name, obj = obj.steps[-1]
            prefix += f"{name}__"
        elif hasattr(obj, "best_estimator_"):
            obj = obj.best_estimator_
        elif kind == "TransformedTargetRegressor" and hasattr(obj, "regressor_"):
            obj = obj.regressor_
            prefix += "regressor__"
        elif kind in _FITTED_WRAPPERS and hasattr(obj, "estimator_"):
            obj = obj.estimator_
            prefix += "estimator__"
        elif kind == "FrozenEstimator":
            # a frozen fit's settings are its own, set before it was frozen
            obj, prefix = obj.estimator, ""
        elif kind == "CalibratedClassifierCV" and (
            len(getattr(obj, "calibrated_classifiers_", ())) == 1
        ):
            obj, prefix = obj.calibrated_classifiers_[0].estimator, ""
        else:
            return obj, prefix


#: scikit-learn's wrappers whose ``estimator_`` is the one model they fit.
_FITTED_WRAPPERS = frozenset(
    {"TunedThresholdClassifierCV", "FixedThresholdClassifier", "SelfTrainingClassifier"}
)


def _is_pooled(obj) -> bool:
    """Whether ``obj`` holds several fits (as :func:`_fits_of` reads them):
    a ``cross_validate`` result, a list, or a numpy array of objects."""
    return isinstance(obj, Mapping | np.ndarray | pd.Series) or (
        isinstance(obj, Sequence) and not isinstance(obj, str)
    )


def _fits_of(obj) -> list[tuple[pd.DataFrame, object]]:
    """The (history, final estimator or None) of each fit ``obj`` stands for."""
    if isinstance(obj, Mapping):
        if "estimator" not in obj:
            raise ValueError(
                "A dict passed to diagnose must be the result of "
                "sklearn.model_selection.cross_validate(..., "
                "return_estimator=True), with an 'estimator' entry; got keys "
                f"{sorted(obj)}."
            )
        obj = obj["estimator"]
    if isinstance(obj, pd.Series):  # pd.DataFrame(cv_results)["estimator"]
        obj = obj.tolist()
    if isinstance(obj, np.ndarray) and obj.dtype == object and obj.ndim != 1:
        raise TypeError(
            f"A numpy array of fits must be 1d, one fit an entry; got shape "
            f"{obj.shape} (numpy unpacks a list of Pipelines into their steps: "
            "pass the list itself)."
        )
    if isinstance(obj, np.ndarray) and obj.dtype != object:
        raise TypeError(
            f"The input is a numpy array of {obj.dtype}, which records no "
            "learning curves. Pass a fitted TaperedMLPClassifier or "
            "TaperedMLPRegressor, a Pipeline ending in one, a list of them, or a "
            "history DataFrame (columns 'loss' and optionally 'val_loss')."
        )
    if isinstance(obj, Sequence | np.ndarray) and not isinstance(obj, str):
        if len(obj) == 0:
            raise ValueError("No fit to diagnose: the list of folds is empty.")
        fits, failed = [], []
        for i, item in enumerate(obj, start=1):
            try:
                fits.append(_fit_of(item))
            except NotFittedError:
                failed.append(i)
        if failed:
            # cross_validate keeps the unfitted clone of a fold whose fit
            # failed (error_score=nan): no "call 'fit'" for a fit that was
            # called and failed
            raise NotFittedError(
                f"{len(failed)} of the {len(obj)} fits pooled "
                f"{'is' if len(failed) == 1 else 'are'} not fitted (fit "
                f"{', '.join(map(str, failed))}): cross_validate keeps the "
                "unfitted estimator of a fold whose fit failed, its test_score "
                "NaN. Rerun it with error_score='raise' to see why, or pool the "
                "folds that fit: diagnose([e for e, s in zip(cv['estimator'], "
                "cv['test_score']) if s == s])."
            )
        _check_one_kind([estimator for _, estimator in fits])
        _warn_mixed_designs([estimator for _, estimator in fits])
        return fits
    return [_fit_of(obj)]


def _warn_mixed_designs(estimators) -> None:
    """UserWarning when the fits pooled differ in their design: their mean
    curve is no one design's, and the advice quotes the first fit's settings
    (each outer fold of a nested search may keep its own design)."""
    from skdnn._moves import DESIGN_PARAMS
    from skdnn._user_warnings import user_stacklevel

    if any(not hasattr(e, "get_params") for e in estimators):
        return  # history frames: no design to compare
    designs = [
        {k: repr(v) for k, v in e.get_params(deep=False).items() if k in DESIGN_PARAMS}
        for e in estimators
    ]
    differ = [k for k in designs[0] if any(d.get(k) != designs[0][k] for d in designs)]
    if differ:
        values = "; ".join(
            f"{k}: {', '.join(d.get(k, '-') for d in designs)}" for k in differ
        )
        warnings.warn(
            f"The {len(designs)} fits pooled differ in their design ({values}): "
            "their mean curve is no one design's, and the advice quotes the "
            "first fit's settings. Diagnose each fit, or pool folds of one design.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )


def _check_one_kind(estimators) -> None:
    """ValueError for folds of classifiers and regressors together: their
    losses (cross-entropy, squared error) have no mean."""
    kinds = {_estimator_kind(estimator) for estimator in estimators} - {None}
    if len(kinds) > 1:
        raise ValueError(
            "The fits pooled mix classifiers and regressors, whose losses "
            "cannot be averaged; pool the folds of one estimator."
        )


def _fit_of(obj) -> tuple[pd.DataFrame, object]:
    history = _history_of(obj)
    return history, None if isinstance(obj, pd.DataFrame) else _final_step(obj)


def majority_of(n_folds: int) -> int:
    """The fewest folds that are more than half of ``n_folds``: an epoch
    that many folds reached (or scored) has a mean of the folds.

    Examples
    --------
    >>> majority_of(5), majority_of(4)
    (3, 3)
    """
    return n_folds // 2 + 1


def fold_curves(curves: list[pd.Series]) -> pd.DataFrame:
    """Several folds' curves side by side, aligned by epoch, up to the last
    epoch a majority of them reached, a stopped fold held at its last value.

    Early stopping ends folds at different epochs. Past the epoch most of
    them stopped at, the "mean" would be the curve of the few that ran on,
    which ran on because their own curve still improved: their minimum is
    no mean of the folds. So the frame ends where more than half of the
    folds still have a value. Before that, a fold that stopped keeps its
    last value: a mean over the folds still running would fall as the worst
    folds, which stop first, leave it. An epoch a fold left unscored within
    its run (a scorer's NaN) stays NaN: that epoch's mean is over the folds
    that scored it.

    Parameters
    ----------
    curves : list of pandas.Series
        One curve per fold, indexed by epoch.

    Returns
    -------
    pandas.DataFrame
        One column per fold, one row per epoch up to that limit.

    Examples
    --------
    >>> import pandas as pd
    >>> from skdnn._curves import fold_curves
    >>> folds = [pd.Series([3.0, 2.0], index=[1, 2]),
    ...          pd.Series([3.0, 2.0, 1.0], index=[1, 2, 3]),
    ...          pd.Series([3.0, 2.0, 1.5, 0.1], index=[1, 2, 3, 4])]
    >>> fold_curves(folds).mean(axis=1).tolist()
    [3.0, 2.0, 1.5]
    """
    frame = pd.concat(curves, axis=1, ignore_index=True).sort_index()
    reached = frame.notna().sum(axis=1)
    last = reached[reached >= majority_of(len(curves))].index.max()
    frame = frame if pd.isna(last) else frame.loc[:last].copy()
    # held after it stopped, not across a gap within its run (held there,
    # the gap read as the value before it)
    for column in frame.columns:
        end = frame[column].last_valid_index()
        if end is not None:
            frame.loc[frame.index > end, column] = frame.at[end, column]
    return frame


def _pooled_history(histories: list[pd.DataFrame]) -> pd.DataFrame:
    """The mean curves of several fits, aligned by epoch.

    At each epoch the mean is over every fit, one that stopped held at its
    last value, up to the last epoch a majority of them reached
    (:func:`fold_curves`), as
    ``HistoryDisplay`` draws the mean of folds. One fit is returned as is.

    A training loss that became NaN (a fit that diverged) counts as an
    infinite one: the fold is not taken for one that stopped early, and the
    mean diverges with it. The pooled curves end at the last epoch every
    pooled column reaches, so that fits with and without a validation curve
    (whose columns end at different epochs) leave no gap in the others.
    """
    if len(histories) == 1:
        return histories[0]
    columns = {}
    for column in ("loss", "val_loss", "learning_rate"):
        series = [
            _series(h, column, diverged=column == "loss")
            for h in histories
            if column in h.columns
        ]
        series = [curve for curve in series if len(curve)]
        if series:
            columns[column] = fold_curves(series).mean(axis=1)
    last = min((curve.index.max() for curve in columns.values()), default=None)
    pooled = pd.DataFrame(columns).sort_index()
    if last is not None:
        pooled = pooled.loc[:last]
    pooled.index = pd.Index(pooled.index.astype(np.int64), name="epoch")
    return pooled


def _series(history: pd.DataFrame, column: str, *, diverged=False) -> pd.Series:
    """One column as a float Series indexed by epoch, its NaN rows dropped.

    With ``diverged``, a NaN after the first finite value is kept as
    infinite instead (a loss that became NaN), and only the leading NaN
    rows are dropped.
    """
    values = pd.to_numeric(history[column], errors="coerce").to_numpy(float)
    series = pd.Series(values, index=_epoch_numbers(history))
    missing = np.isnan(values)
    if diverged and (~missing).any():
        after = np.arange(len(values)) > np.argmax(~missing)
        series[missing & after] = np.inf
        missing = missing & ~after
    return series[~missing]


def _history_of(obj) -> pd.DataFrame:
    """The history DataFrame of ``obj``.

    ``obj`` is a history DataFrame, a fitted estimator with a ``history_``
    DataFrame (such as :class:`~skdnn.TaperedMLPClassifier`) or a Pipeline
    ending in one.
    """
    if isinstance(obj, pd.DataFrame):
        return obj
    step = _final_step(obj)
    history = getattr(step, "history_", None)
    if isinstance(history, pd.DataFrame):
        return history
    from skdnn._base import BaseTaperedMLP

    if isinstance(step, BaseTaperedMLP):
        raise NotFittedError(
            f"This {type(step).__name__} instance is not fitted yet: call 'fit' "
            "before reading its learning curves."
        )
    where = "The last step of the Pipeline" if step is not obj else "The input"
    raise TypeError(
        f"{where} is a {type(step).__name__}, which records no learning curves. "
        "Pass a fitted TaperedMLPClassifier or TaperedMLPRegressor, a Pipeline "
        "ending in one, or a "
        "history DataFrame (columns 'loss' and optionally 'val_loss')."
    )


def _epoch_numbers(history: pd.DataFrame) -> np.ndarray:
    """The epoch numbers: an integer index named "epoch", else 1, 2, ..."""
    index = history.index
    if index.name == "epoch" and pd.api.types.is_integer_dtype(index.dtype):
        return index.to_numpy(dtype=np.int64)
    return np.arange(1, len(history) + 1)


def guess_loss(estimator) -> float | None:
    """The training loss of a constant guess, for a fitted skdnn network.

    A classifier's cross-entropy of the uniform guess: ``log(K)`` for ``K``
    classes, ``log(2)`` per label of a multilabel target. A regressor's loss
    of predicting the mean of its standardised targets: at most 1 (squared
    error 1, absolute error and Huber less). None for anything else.
    """
    from sklearn.base import is_regressor

    from skdnn._base import BaseTaperedMLP

    step = _final_step(estimator) if estimator is not None else None
    if not isinstance(step, BaseTaperedMLP):
        return None
    if is_regressor(step):
        return 1.0
    classes = getattr(step, "classes_", None)
    if classes is None:
        return None
    if getattr(step, "_target_kind", None) == "multilabel":  # a sigmoid a label
        return math.log(2.0)
    return math.log(max(len(classes), 2))


#: Keras's default learning rate of each optimizer skdnn offers: the scale a
#: rate is read against (SGD's is ten times the adaptive optimizers').
USUAL_RATES = {
    "adam": 1e-3,
    "adamw": 1e-3,
    "nadam": 1e-3,
    "adamax": 1e-3,
    "rmsprop": 1e-3,
    "sgd": 1e-2,
    "adagrad": 1e-3,
    "lion": 1e-3,
}
#: A rate this many times its optimizer's usual one is high: at 100 times
#: Adam's, most of the benchmark's real tables' networks settled at the class
#: frequencies; at 10 times, none did.
HIGH_RATE_FACTOR = 30.0
#: The advice (and the design search) raises a rate no higher than this many
#: times its optimizer's usual one.
MAX_RAISED_RATE_FACTOR = HIGH_RATE_FACTOR / 3


def usual_rate(optimizer) -> float | None:
    """Keras's default learning rate of ``optimizer``, a name of
    ``USUAL_RATES``; None for any other."""
    return USUAL_RATES.get(optimizer) if isinstance(optimizer, str) else None


def rate_ratio(rate, optimizer) -> float | None:
    """``rate`` over ``optimizer``'s usual one; None where either is not known."""
    usual = usual_rate(optimizer)
    if not (usual and isinstance(rate, numbers.Real) and rate > 0):
        return None
    return float(rate) / usual


def rate_far_below_usual(ratio: float | None) -> bool:
    """A rate ``ratio`` times its optimizer's usual one is ``HIGH_RATE_FACTOR``
    times below it or more: its curves fall so slowly that they look level
    long before the network is done (1e-5 for Adam read "good fit" with its
    best epoch the last of 200)."""
    return ratio is not None and ratio * HIGH_RATE_FACTOR <= 1 + 1e-9


def rate_far_above_usual(ratio: float | None) -> bool:
    """A rate ``ratio`` times its optimizer's usual one is
    ``MAX_RAISED_RATE_FACTOR`` times it or more: no rate the advice (or the
    design search) raises to, and one a good fit is compared below."""
    return ratio is not None and ratio >= MAX_RAISED_RATE_FACTOR * (1 - 1e-9)


#: ... or when the training loss never came below this many times the loss
#: of a constant guess (an explosion in the first epoch, which the ratios to
#: the curve's own first value and minimum cannot see).
GUESS_RATIO = 100.0


def prior_loss(estimator) -> float | None:
    """The validation loss of predicting the class frequencies, for a fitted
    skdnn classifier of one label per row: the cross-entropy, over the
    classes' weights in the validation loss, of the frequencies the
    training loss weighs them by (their counts, times a ``class_weight``
    dict's weights; equal under ``"balanced"``), the entropy of those
    frequencies on a stratified hold-out. For a fitted skdnn regressor, the
    validation loss of predicting a constant (the training targets' mean,
    or their median for the absolute and Huber losses). None for anything
    else."""
    from skdnn._base import BaseTaperedMLP

    step = _final_step(estimator) if estimator is not None else None
    guess = getattr(step, "_validation_guess_loss", None)
    if isinstance(step, BaseTaperedMLP) and guess is not None:
        return float(guess)  # a regressor's: its constant guess's
    counts = getattr(step, "class_count_", None)
    if not isinstance(step, BaseTaperedMLP) or counts is None:
        return None
    weight = step.class_weight
    if weight == "balanced":
        totals = np.ones(len(counts))
    elif isinstance(weight, dict):
        totals = counts * np.array([weight.get(c, 1.0) for c in step.classes_])
    else:  # None, "balanced_logits": the rows as they are
        totals = np.asarray(counts, dtype=float)
    if np.count_nonzero(totals) < 2:
        return None
    share = totals / totals.sum()
    mix = getattr(step, "_validation_mix", None)  # (before it was kept)
    mix = share if mix is None or len(mix) != len(share) else mix / mix.sum()
    if np.any((mix > 0) & (share == 0)):
        return None
    present = mix > 0
    return float(-(mix[present] * np.log(share[present])).sum())


@dataclass(frozen=True)
class _Curves:
    """The raw loss curves with their epoch numbers."""

    epochs: np.ndarray  # every epoch
    train: np.ndarray  # raw training loss, every epoch
    val_epochs: np.ndarray  # the epochs with a finite validation loss
    val_train: np.ndarray  # raw training loss at those epochs
    val: np.ndarray  # raw validation loss at those epochs
    val_has_inf: bool

    @classmethod
    def from_history(cls, history: pd.DataFrame) -> _Curves:
        train = pd.to_numeric(history["loss"], errors="coerce").to_numpy(float)
        epochs = _epoch_numbers(history)
        if "val_loss" in history.columns:
            val = pd.to_numeric(history["val_loss"], errors="coerce")
            val = val.to_numpy(float)
        else:
            val = np.full(len(history), np.nan)
        keep = np.isfinite(val) & np.isfinite(train)
        return cls(
            epochs=epochs,
            train=train,
            val_epochs=epochs[keep],
            val_train=train[keep],
            val=val[keep],
            val_has_inf=bool(np.isinf(val).any()),
        )

    @property
    def n_epochs(self) -> int:
        return len(self.epochs)

    def best(self) -> tuple[int, float, float]:
        """Epoch, validation and training loss at the lowest validation loss."""
        i = int(np.argmin(self.val))
        return int(self.val_epochs[i]), float(self.val[i]), float(self.val_train[i])

    def gaps(self) -> tuple[float, float]:
        _, val_best, train_best = self.best()
        return val_best - train_best, float(self.val[-1] - self.val_train[-1])


# ----------------------------------------------------------------------
# Small readers and formatters of the diagnosis
# ----------------------------------------------------------------------


def _estimator_kind(estimator) -> str | None:
    """``"classifier"``, ``"regressor"``, or None (for None, and for an
    object without scikit-learn's tags that records a ``history_``)."""
    from sklearn.base import is_classifier, is_regressor

    if estimator is None:
        return None
    try:
        if is_classifier(estimator):
            return "classifier"
        return "regressor" if is_regressor(estimator) else None
    except Exception:  # an object without scikit-learn's tags
        return None


def _is_regressor(estimator) -> bool:
    return _estimator_kind(estimator) == "regressor"


def _float_or_none(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _num(value: float) -> str:
    """A loss as it reads in a sentence: three significant digits."""
    return f"{value:.3g}"


def _percent(fraction: float) -> str:
    return f"{100 * fraction:.0f} %"


# ----------------------------------------------------------------------
# The knobs the advice talks about, and the guesses the losses are weighed by
# ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Knobs:
    """The settings the advice quotes; None where they are not known."""

    learning_rate: float | None
    dropout: float | None
    first_units: int | None  # width of the fitted first hidden layer
    layer_sizes: tuple | None  # hidden_layer_sizes when set explicitly
    early_stopping: bool | None
    batch_norm: bool | None
    kept_epoch: int | None  # the fitted estimator's best_epoch_
    patience: int | None = None
    max_epochs: int | None = None  # the ``epochs`` the fit was allowed
    regression: bool = False  # a regressor's curves: judged by its errors
    # whether the estimator scales its numeric inputs itself (skdnn's
    # ``numeric_scaling``); None where not known
    scales_inputs: bool | None = None
    # the training loss of a constant guess (see guess_loss); None where
    # the estimator is not known
    guess_loss: float | None = None
    # the validation loss of predicting the class frequencies (see
    # prior_loss); None where not known
    prior_loss: float | None = None
    l2: float | None = None
    # the estimator's validation_split: above 0 without a validation curve,
    # it was trained by partial_fit, which holds out no rows
    validation_split: float | None = None
    # pooled folds: (epochs run, epochs allowed) of each fold's run (the
    # pooled curve is cut where half of them ended, no fold's own end)
    fold_epochs: tuple = ()
    # a regressor whose every target was constant on the training rows
    # (not one whose validation rows happen to equal the constant guess)
    constant_target: bool = False
    # a single fit's (label, share) when its validation accuracy at the kept
    # epoch is the share of its validation rows' commonest class and its
    # decisions are its network's own (see _majority_decisions)
    majority: tuple | None = None
    # the column early stopping watched (the estimator's ``monitor``)
    monitor: str | None = None
    # the estimator's optimizer, by its name (see USUAL_RATES)
    optimizer: str | None = None
    # a regressor's highest validation R² over the epochs (the pooled
    # curve's), None where the history has none
    best_val_r2: float | None = None

    @property
    def rate_ratio(self) -> float | None:
        """The learning rate over its optimizer's usual one; None where
        either is not known."""
        return rate_ratio(self.learning_rate, self.optimizer)

    @property
    def rate_is_high(self) -> bool:
        """The learning rate is ``HIGH_RATE_FACTOR`` times its optimizer's
        usual one or more."""
        ratio = self.rate_ratio
        return ratio is not None and ratio >= HIGH_RATE_FACTOR * (1 - 1e-9)

    @classmethod
    def read(
        cls, estimator, history: pd.DataFrame, *, pooled=False, folds=(), runs=()
    ) -> _Knobs:
        """The knobs of ``estimator`` (the first fold's, when ``pooled``);
        ``folds``, every fold's estimator, whose constant guesses are
        averaged as their curves are, and ``runs`` the epochs of each."""
        params = {}
        if estimator is not None and hasattr(estimator, "get_params"):
            params = estimator.get_params(deep=False)
        learning_rate = params.get("learning_rate")
        if learning_rate is None and "learning_rate" in history.columns:
            # the rate the fit started with, before any schedule
            rates = pd.to_numeric(history["learning_rate"], errors="coerce")
            rates = rates.dropna()
            if len(rates):
                learning_rate = float(rates.iloc[0])
        dropout = params.get("dropout")
        if dropout is not None and not isinstance(dropout, int | float):
            # one rate per layer (or a 0-d array, one rate)
            rates = np.ravel(np.asarray(dropout, dtype=float))
            dropout = float(rates.max()) if rates.size else None
        sizes = getattr(estimator, "hidden_layer_sizes_", None)
        explicit = params.get("hidden_layer_sizes")
        return cls(
            learning_rate=_float_or_none(learning_rate),
            dropout=_float_or_none(dropout),
            first_units=int(sizes[0]) if sizes else None,
            layer_sizes=None if isinstance(explicit, str) else explicit,
            early_stopping=params.get("early_stopping"),
            batch_norm=params.get("batch_norm"),
            # the folds kept different epochs: the advice quotes the pooled one
            kept_epoch=None if pooled else getattr(estimator, "best_epoch_", None),
            patience=params.get("patience"),
            max_epochs=params.get("epochs"),
            regression=_is_regressor(estimator) or "val_r2" in history.columns,
            scales_inputs=(
                params["numeric_scaling"] is not None
                if "numeric_scaling" in params
                else None
            ),
            guess_loss=guess_loss(estimator),
            # pooled folds: the mean of theirs, as the pooled curve is the
            # mean of theirs (a regressor's constant guess scores as its
            # fold's targets spread: 0.78 to 1.53 over three folds of one
            # table, and the first fold's alone read a network that beat
            # each fold's guess as one that learnt nothing)
            prior_loss=_mean_prior_loss(folds or [estimator]),
            l2=_float_or_none(params.get("l2")),
            validation_split=_float_or_none(params.get("validation_split")),
            fold_epochs=tuple(
                (int(n), getattr(_final_step(fold), "epochs", None))
                for n, fold in zip(runs, folds, strict=False)
            )
            if pooled
            else (),
            constant_target=all(
                getattr(_final_step(fold), "_varying_share", None) == 0.0
                for fold in (folds or [estimator])
            ),
            majority=None if pooled else _majority_decisions(estimator, history),
            monitor=params.get("monitor"),
            optimizer=params.get("optimizer"),
            best_val_r2=_highest(history, "val_r2"),
        )


def _highest(history: pd.DataFrame, column: str) -> float | None:
    """The highest finite value of a history's ``column``, or None."""
    if column not in history.columns:
        return None
    values = pd.to_numeric(history[column], errors="coerce").to_numpy(float)
    values = values[np.isfinite(values)]
    return float(values.max()) if values.size else None


def _majority_decisions(estimator, history: pd.DataFrame) -> tuple | None:
    """``(label, share)`` when a classifier's validation accuracy at the kept
    epoch equals the share of the commonest class among its validation rows
    and it decides by its network's own output (not shifted by
    ``class_weight="balanced_logits"``): the accuracy of a network that may
    decide that class on every row, which a good loss curve hides. None
    otherwise, or where the rows are too few to tell."""
    fitted = _final_step(estimator)
    mix = getattr(fitted, "_validation_counts", None)  # rows, as the accuracy
    kept = getattr(fitted, "best_epoch_", None)
    if (
        mix is None
        or "val_accuracy" not in history.columns
        or kept not in history.index
        or getattr(fitted, "n_validation_samples_", 0) < 10
        or vars(fitted).get("_output_shifted", True)
    ):
        return None
    share = float(mix.max() / mix.sum())
    if abs(float(history.loc[kept, "val_accuracy"]) - share) > 1e-6:
        return None
    label = fitted.classes_[int(mix.argmax())]
    return (label.item() if isinstance(label, np.generic) else label), share


def _mean_prior_loss(estimators) -> float | None:
    """The mean of the estimators' :func:`prior_loss`; None unless each has one."""
    losses = [prior_loss(estimator) for estimator in estimators]
    if not losses or any(loss is None for loss in losses):
        return None
    return float(np.mean(losses))


def warn_if_exploded(estimator) -> None:
    """ConvergenceWarning when the training loss of the epoch a fitted skdnn
    network kept stands above ``GUESS_RATIO`` times a constant guess's: a
    run that exploded without overflowing (its predictions are noise, and
    only :func:`diagnose` said so); when it exploded so at an epoch and
    fell back (early stopping then keeps an epoch of the wreck: a fold of
    a cross-validation scored below the majority class, without a word);
    and when :func:`diagnose` reads the curves as diverged otherwise."""
    guess = guess_loss(estimator)
    losses = estimator.history_["loss"]
    # an l2 penalty, which the loss includes, may stand that high itself
    if not guess or not len(losses) or estimator.l2:
        return
    kept = estimator.best_epoch_ if estimator.best_epoch_ in losses.index else None
    loss = float(losses.iloc[-1] if kept is None else losses.loc[kept])
    train = losses.to_numpy(dtype=float)
    if loss > GUESS_RATIO * guess:
        what = (
            f"The training loss of the epoch kept is {_num(loss)}, "
            f"{loss / guess:.3g} times the loss of a constant guess "
            f"({_num(guess)}): training exploded, and the predictions are noise."
        )
    elif _exploded(train, guess):
        peak = int(np.argmax(train))
        what = (
            f"The training loss exploded to {_num(train[peak])} at epoch "
            f"{losses.index[peak]}, {train[peak] / guess:.3g} times the loss of "
            f"a constant guess ({_num(guess)}), and the epoch kept trains at "
            f"{_num(loss)}: diagnose reads the run as diverged, and the "
            "network may have learnt little."
        )
    else:
        # the other ways diagnose reads a run as diverged (a classifier's
        # loss saturates near ten times the prior's, below that bar: at
        # learning_rate 0.3 it scored the majority class, without a word)
        from skdnn._history import diagnose

        try:
            read = diagnose(estimator)
        except Exception:  # a reading it cannot give fails no fit that trained
            return
        if "diverged" not in (read.verdict, read.curve_verdict):
            return
        reason = read.message.split("diverged: ", 1)[-1].split(";")[0]
        what = f"The learning curves read as diverged: {reason}."
    from sklearn.exceptions import ConvergenceWarning

    from skdnn._epochs import divergence_advice
    from skdnn._user_warnings import user_stacklevel

    warnings.warn(
        f"{what} {divergence_advice(estimator)}",
        ConvergenceWarning,
        stacklevel=user_stacklevel(),
    )


def _exploded(train: np.ndarray, guess: float) -> bool:
    """A training loss that never came below ``GUESS_RATIO`` times a constant
    guess's, or that exceeded it and then fell ``GUESS_RATIO``-fold: an
    explosion, not the steady fall of a loss a heavy L2 penalty inflates."""
    if train.min() > GUESS_RATIO * guess:
        return True
    peak = int(np.argmax(train))
    return bool(
        train[peak] > GUESS_RATIO * guess
        and peak + 1 < len(train)
        and train[peak + 1 :].min() < train[peak] / GUESS_RATIO
    )
