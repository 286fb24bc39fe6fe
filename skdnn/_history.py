"""Reading a verdict from learning curves: :func:`diagnose` and its rules.

Everything here works on the plain ``history_`` DataFrame (one row per
epoch, index ``epoch`` from 1, columns ``loss`` and, with a validation
hold-out, ``val_loss``), so it neither needs nor imports Keras.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from skdnn._advice import (
    _compare_another_rate,
    _lower_the_rate,
    _majority_note,
    _overfit_advice,
    _raise_the_rate,
    _train_longer,
    _widen_first_layer,
    _with_majority_note,
)
from skdnn._curves import (  # GUESS_RATIO: a rule's, kept beside the guess
    GUESS_RATIO,
    _Curves,
    _exploded,
    _fits_of,
    _is_pooled,
    _Knobs,
    _num,
    _percent,
    _pooled_history,
)
from skdnn._diagnosis import Diagnosis
from skdnn._trend import despiked, falls_significantly

__all__ = ["Diagnosis", "diagnose"]

VERDICTS = (
    "good_fit",
    "overfitting",
    "still_improving",
    "underfitting",
    "diverged",
    "no_validation",
    "insufficient_evidence",
)

# The verdict rules, in the order they are tried. Their meaning is spelled
# out in the Notes of `diagnose`; the tests pin each of them.

#: What a verdict of a network that did not beat a constant guess says
#: (DesignSearchCV reads it: such a network's advice is a higher learning
#: rate, not more width).
NOTHING_LEARNT = "the network learnt nothing from the features"
#: Curves shorter than this many epochs with a validation loss are not judged.
MIN_EPOCHS = 3
#: Below this many epochs, a validation loss at its lowest at the last epoch
#: (however little it fell), or a training loss at its lowest that fell by
#: ``1 - UNDERFIT_RATIO`` or more, is taken as still improving.
SHORT_RUN = 5
#: Widest window of the centred running median that smooths both curves.
MAX_SMOOTHING_WINDOW = 7
#: "diverged" when a training loss after epoch 1 exceeds this multiple of the
#: epoch-1 training loss, or when the smoothed training loss ends above its
#: first value and above this multiple of its minimum.
DIVERGENCE_RATIO = 2.0
#: A classifier (regressor) whose best validation loss stays within this
#: share of the loss of predicting the class frequencies (a constant) has
#: learnt nothing from the features: "underfitting", or "diverged" when its
#: training loss first jumped above ``PRIOR_JUMP`` times that loss (a
#: learning rate so high that the network settles at the frequencies); a
#: regressor's training loss, in its standardised targets' units, is held
#: against a constant's loss there (1 for squared error), not on the
#: validation rows, whose spread may be a fraction of the training rows'.
PRIOR_MARGIN = 0.005
#: ... and a regressor's within this share of a constant's: an R² of 0.02
#: relative to the constant, which a network drifting about the mean of
#: pure noise reaches by chance (0.007 on 300 rows).
PRIOR_MARGIN_REGRESSION = 0.02
#: A regressor with an ``l2`` penalty whose validation R² reached this
#: learnt from its features, whatever its loss: the penalty, which the loss
#: includes, may lift a network that learnt to the constant's loss (an
#: oversized one at l2=1e-3 scored R² 0.24 to 0.35 there, and read "learnt
#: nothing"). Several times the R² a network drifting about the mean of pure
#: noise reaches by chance.
LEARNT_R2 = 0.05
PRIOR_JUMP = 2.0
#: ... or when the smoothed training loss ends above this multiple of its
#: minimum having given back at least this share of its fall from its first
#: value (both curves climbing for good is instability, not overfitting).
DIVERGENCE_GIVE_BACK = 0.5
#: "overfitting" needs the smoothed validation loss to end at least this far
#: (relative) above its minimum ...
OVERFIT_RISE = 0.10
#: ... to have climbed back at least this fraction of its fall from its
#: highest point before the minimum to the minimum ...
OVERFIT_GIVE_BACK = 0.25
#: ... and to have stayed more than this far (relative) above the minimum ...
OVERFIT_TOLERANCE = 0.02
#: ... for at least this many epochs.
OVERFIT_MIN_EPOCHS = 3
#: "still_improving" looks at the last ``max(IMPROVING_MIN_TAIL, ceil(n *
#: IMPROVING_TAIL))`` epochs ...
IMPROVING_TAIL = 0.1
IMPROVING_MIN_TAIL = 5
#: ... where the least-squares line through the validation loss (spikes
#: taken out) must fall by at least this fraction of its level ...
IMPROVING_DROP = 0.01
#: ... the smoothed validation loss must end within this fraction of its
#: minimum ...
IMPROVING_TOLERANCE = 0.01
#: ... and the fall of the raw validation loss must be significant at this
#: one-sided level (a t-test on the least-squares slope).
IMPROVING_SIGNIFICANCE = 0.025
#: ... unless the smoothed validation loss already ends below this value:
#: a cross-entropy this close to zero leaves nothing to gain on the hold-out.
NEGLIGIBLE_LOSS = 1e-3
#: The tail's line and t-test read an epoch further than this many robust
#: spreads of the curve's noise (read from its steps over four tails) from
#: the tail's robust (Theil-Sen) line as on it: a spike (see _trend.despiked).
SPIKE_SPREADS = 4.0
#: Verdicts that also say a fit may decide its commonest class on every row
#: (5 of 6 such fits read "overfitting": dropout and l2 left them so).
MAJORITY_NOTED = ("overfitting", "still_improving", "underfitting")
#: "underfitting" when both smoothed losses never fell below this fraction of
#: their first-epoch value (less than a 10 % improvement).
UNDERFIT_RATIO = 0.9
#: Most folds the insufficient-evidence advice suggests pooling; a table
#: that would need more is too small for its curves to judge by.
MAX_ADVISED_FOLDS = 10
#: Fewest validation rows (summed over pooled folds) behind a verdict that
#: is read from the shape of the validation curve. A hold-out of ``n`` rows
#: that the model gets all right is still consistent, at 95 %, with an error
#: rate up to ``3 / n`` (the rule of three): 9 % for the 34 rows of a 10 %
#: hold-out of 341 training rows, 3 % at 100 rows. And the standard error
#: of an accuracy near 0.9 measured on ``n`` rows is ``0.3 / sqrt(n)``:
#: 0.05 at 34 rows, 0.03 at 100, the size of the differences between designs
#: worth telling apart. Below 100 rows, a falling or flat curve says little.
MIN_VALIDATION_ROWS = 100


def diagnose(estimator_or_history) -> Diagnosis:
    """Read a verdict from the learning curves of a fit.

    The training and validation loss curves are smoothed, then checked in
    turn for divergence, a missing validation curve, overfitting, a
    validation loss still falling, and underfitting; a run that shows none
    of these is a good fit. The exact rules are in the Notes.

    Parameters
    ----------
    estimator_or_history : estimator, Pipeline, DataFrame, dict or list
        A fitted :class:`~skdnn.TaperedMLPClassifier`, a fitted Pipeline
        whose last step is one (or a fitted search over either, read through
        its ``best_estimator_``; a fitted :class:`~skdnn.DesignSearchCV`
        gives its ``best_diagnosis_``, the pooled verdict on its accepted
        design's folds), or a history DataFrame with a ``loss``
        column and optionally ``val_loss`` (the layout of ``history_``).
        With an estimator, the advice quotes its parameters as its
        ``set_params`` takes them (``net__dropout=0.5`` in a Pipeline,
        ``regressor__`` or ``estimator__`` through a wrapper, a search's as
        its estimator does) and the verdict weighs its ``n_validation_samples_``.

        The folds of a cross-validation are pooled into one verdict: pass
        the dict returned by :func:`sklearn.model_selection.cross_validate`
        with ``return_estimator=True``, or a list of fitted estimators,
        Pipelines or history DataFrames (a UserWarning names the settings
        of estimators whose designs differ).

    Returns
    -------
    diagnosis : Diagnosis
        The verdict, a one-sentence explanation, advice, and the numbers
        behind them.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.
    TypeError
        If the input is neither a history DataFrame nor an estimator that
        records one.
    ValueError
        If the history is empty or has no ``loss`` column, or if the fits
        pooled mix classifiers and regressors.

    See Also
    --------
    skdnn.HistoryDisplay : Plot the same curves.

    Notes
    -----
    Evidence. A verdict read from the shape of the validation curve is only
    as good as the rows behind it. When the estimator records them
    (``n_validation_samples_``), the message states how many, and below
    ``MIN_VALIDATION_ROWS`` (100) rows the verdict is
    ``"insufficient_evidence"``: a 34-row hold-out scored perfectly cannot
    tell a good fit from overfitting. Its advice is to pool the curves of
    cross-validated fits (as many as add up to 100 rows, 5 at least), or,
    for a table so small that more than ``MAX_ADVISED_FOLDS`` (10) folds
    would be needed, to compare designs by their cross-validated scores;
    ``curve_verdict`` keeps what the shape alone reads. ``"diverged"`` and
    ``"no_validation"`` need no validation rows and are never overruled. An
    ``"underfitting"`` regressor whose 5 % of validation rows carry 60 % of
    a constant guess's loss reads ``"insufficient_evidence"`` too.

    Pooling folds. The folds' curves are aligned by epoch and averaged at
    each epoch over every fold, one that has stopped held at its last value
    (early stopping ends folds at different epochs), up to the last epoch
    more than half of the folds reached (past it the few that ran on are no
    mean), exactly as :meth:`HistoryDisplay.from_cv_results` draws their
    mean; the rules below read that mean curve. ``n_validation`` is the sum
    of the folds' rows (None if any fold does not record them) and
    ``fold_spread`` the standard deviation of the folds' validation losses at
    the best epoch. Where more than half of the folds each read
    ``"diverged"`` (rule 1, or rule 5's divergence), so does the pool,
    whatever the mean curve reads: a fold that trained dominates the mean
    of folds that predict noise.

    Smoothing. A curve of ``m`` epochs is smoothed by a centred running
    median over ``w = min(MAX_SMOOTHING_WINDOW, 2 * (m // 10) + 1)`` epochs
    (1, that is none, below 10 epochs; 3 from 10; 5 from 20; 7 from 30),
    the window truncated at both ends (the last epoch's value is the median
    of the last ``(w + 1) / 2`` epochs). A median passes over an isolated
    spike on a level stretch; where the window is cut (two epochs at the
    ends of a curve of 10 to 19 epochs: their mean), on a steep stretch,
    and in curves too short to smooth, one noisy epoch still moves the
    smoothed curve, and near a rule's threshold it can move the verdict.
    Rule 1 reads the
    whole training curve; the other rules read both curves at the ``n``
    epochs that have a finite validation loss (epochs added by
    ``partial_fit`` have none).

    The rules, tried in this order (the first that holds wins):

    1. ``"diverged"``: a training loss is NaN or infinite, or a validation
       loss is infinite; or a training loss after epoch 1 exceeds
       ``DIVERGENCE_RATIO`` (2) times the epoch-1 training loss; or the
       smoothed training loss ends above ``DIVERGENCE_RATIO`` times its own
       minimum and either above its own first value or having given back
       ``DIVERGENCE_GIVE_BACK`` (half) of its fall from it; or, for a
       fitted skdnn estimator, the training loss never came below
       ``GUESS_RATIO`` (100) times the loss of a constant guess (``log K``
       for ``K`` classes, ``log 2`` per label, 1 for a regressor's
       standardised targets), or exceeded it and then fell a hundredfold: a
       run that exploded, often in its first epoch, whether it stayed there
       or fell back to a constant guess (not read with an ``l2`` penalty,
       which the loss includes: at ``l2=0.1`` a wide network's starting
       kernels cost 100 times the guess's loss, and fall steadily from
       there); or, for a fitted skdnn
       classifier of one label per row or regressor without ``l2``, the
       smoothed training loss never came ``OVERFIT_RISE`` (10 %) below the
       loss of a guess that ignores the features (rule 5's), where the
       training loss jumped above ``PRIOR_JUMP`` (2) times that loss and
       the constant guess's, or the learning rate is ``HIGH_RATE_FACTOR``
       (30) times its optimizer's usual one or more (Keras's default: 1e-3,
       1e-2 for SGD), and the smoothed validation loss ends no 10 % below
       the guess's either: the network learnt little of its training rows,
       whatever its validation loss did before.
    2. ``"no_validation"``: there is no ``val_loss`` column, or it holds no
       finite value.
    3. ``"still_improving"`` when ``n < MIN_EPOCHS`` (3): too few epochs to
       read a trend; the advice is to train longer.
    4. ``"overfitting"``: the smoothed validation loss ends at least
       ``OVERFIT_RISE`` (10 %) above its minimum; it has climbed back at
       least ``OVERFIT_GIVE_BACK`` (a quarter) of its fall, the drop from
       its highest point before the minimum down to the minimum (so a
       small uptick after a long fall, as when early stopping ends a run,
       is not overfitting, while a rise from the first epochs on always
       counts); it has stayed more than ``OVERFIT_TOLERANCE`` (2 %) above
       the minimum for at least ``OVERFIT_MIN_EPOCHS`` (3) epochs
       (``overfit_epoch`` is the last epoch within that tolerance); and the
       smoothed training loss ends below its value at the validation
       minimum.
    5. For a fitted skdnn classifier of one label per row, or regressor,
       when the lowest validation loss is not ``PRIOR_MARGIN`` (0.5 %)
       below the loss of predicting the class frequencies (the entropy of
       the classes' weights in the loss), or ``PRIOR_MARGIN_REGRESSION``
       (2 %) below the loss of a constant (the training targets' mean, or
       their median for the absolute and Huber losses): ``"diverged"`` if
       the training loss jumped above ``PRIOR_JUMP`` (2) times that loss
       and no ``l2`` penalty is set (a learning rate so high that the
       network settled at the frequencies; the penalty, which the loss
       includes, stands that high at the start); ``"overfitting"`` for a
       classifier whose smoothed training loss fell ``OVERFIT_RISE`` (10 %)
       or more below that loss (it learnt its training rows, and nothing of
       them held); ``"underfitting"`` otherwise (the features told the
       network nothing, it did not train, or an ``l2`` penalty, least with
       every weight near 0, held it at the guess: the advice then lowers
       ``l2`` first). With an ``l2`` penalty only a lowest validation loss
       within the margin of the guess's, on either side, is read so, and
       never of a regressor whose validation R² reached ``LEARNT_R2``
       (0.05): the penalty lifted a network that learnt. A
       regressor whose every training target was constant reads
       ``"good_fit"``, with nothing to learn.
    6. ``"still_improving"`` when ``n < SHORT_RUN`` (5) and the last
       validation loss is strictly the lowest so far, or the last training
       loss is strictly the lowest so far and at least 10 % (``1 -
       UNDERFIT_RATIO``) below the first: too short a run to tell a plateau
       from progress.
    7. ``"still_improving"``: over the last ``max(IMPROVING_MIN_TAIL,
       ceil(IMPROVING_TAIL * n))`` epochs (the last 10 %, at least 5; all of
       them in shorter runs), the least-squares line through the raw
       validation loss falls by at least ``IMPROVING_DROP`` (1 %) of its
       mean level (an epoch further than ``SPIKE_SPREADS`` (4) spreads of
       the noise from the tail's Theil-Sen line counts as on it: a spike; the
       running median, cut short at the curve's end, would flatten a steady
       fall there); the smoothed validation loss ends within
       ``IMPROVING_TOLERANCE`` (1 %) of its minimum; and, when that tail
       holds 5 epochs or more, the slope is negative and significant at the
       one-sided ``IMPROVING_SIGNIFICANCE`` (2.5 %) level of a t-test, so
       that a noisy plateau is not taken for progress; and the smoothed
       validation loss ends at or above ``NEGLIGIBLE_LOSS`` (1e-3): below
       it, the loss is near zero and the run is a good fit with nothing
       left to gain on the hold-out.
    8. ``"underfitting"``: neither smoothed loss ever fell below
       ``UNDERFIT_RATIO`` (90 %) of its first-epoch value, i.e. both improved
       by less than 10 % (a constant loss included).
    9. ``"good_fit"`` otherwise: the validation loss levelled off without a
       sustained rise, or fell near zero.

    ``best_epoch`` is the epoch of the lowest raw validation loss. The
    gaps are validation minus training loss; the training loss is measured
    with dropout on, so a negative gap is common with strong dropout.

    Examples
    --------
    >>> import pandas as pd
    >>> from skdnn._history import diagnose
    >>> train = [0.69, 0.5, 0.38, 0.3, 0.24, 0.19, 0.15, 0.12, 0.1, 0.08]
    >>> val = [0.70, 0.55, 0.47, 0.46, 0.5, 0.55, 0.6, 0.66, 0.72, 0.79]
    >>> diagnosis = diagnose(pd.DataFrame({"loss": train, "val_loss": val}))
    >>> diagnosis.verdict
    'overfitting'
    >>> diagnosis.best_epoch, diagnosis.overfit_epoch
    (4, 4)
    >>> print(diagnosis.message)
    overfitting from epoch 4: validation loss rose 61 % above its minimum
    while training loss kept falling (0.38 -> 0.09, smoothed)
    """
    from skdnn._search import DesignSearchCV

    if isinstance(estimator_or_history, DesignSearchCV):
        # its accepted design's folds, pooled (not the one refit's curve)
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(estimator_or_history, "best_diagnosis_")
        return estimator_or_history.best_diagnosis_
    fits = _fits_of(estimator_or_history)
    for history, _ in fits:
        if "loss" not in history.columns:
            raise ValueError(
                "The history has no 'loss' column; got columns "
                f"{list(history.columns)}."
            )
        if len(history) == 0:
            raise ValueError("The history is empty: no epoch was recorded.")
    estimator = fits[0][1]
    pooled = _pooled_history([history for history, _ in fits])
    curves = _Curves.from_history(pooled)
    knobs = _Knobs.read(
        estimator,
        pooled,
        pooled=len(fits) > 1,
        folds=[fit for _, fit in fits],
        runs=[len(history) for history, _ in fits],
    )
    diagnosis = next(
        (d for d in (rule(curves, knobs) for rule in _RULES) if d is not None),
        None,
    )
    if diagnosis is None:
        diagnosis = _good_fit(curves, knobs)
    elif diagnosis.verdict in MAJORITY_NOTED:  # (a good fit says it itself)
        diagnosis = _with_majority_note(diagnosis, knobs)
    if len(fits) > 1 and diagnosis.verdict != "diverged":
        diagnosis = _folds_diverged(fits, curves, knobs) or diagnosis
    from skdnn._advice import with_pipeline_names
    from skdnn._evidence import weigh_evidence

    pooled_input = _is_pooled(estimator_or_history)
    diagnosis = weigh_evidence(diagnosis, fits, pooled_input=pooled_input)
    return with_pipeline_names(diagnosis, estimator_or_history)


# ----------------------------------------------------------------------
# The curves and the knobs the advice talks about
# ----------------------------------------------------------------------


def _smooth(values: np.ndarray) -> np.ndarray:
    """Centred running median; see the Notes of `diagnose` for the window."""
    n = len(values)
    window = min(MAX_SMOOTHING_WINDOW, 2 * (n // 10) + 1)
    if window == 1:
        return values.astype(float)
    series = pd.Series(values, dtype=float)
    return series.rolling(window, center=True, min_periods=1).median().to_numpy()


# ----------------------------------------------------------------------
# The rules, in the order `diagnose` tries them
# ----------------------------------------------------------------------


def _diverged(curves: _Curves, knobs: _Knobs) -> Diagnosis | None:
    train, epochs = curves.train, curves.epochs
    message = None
    bad = ~np.isfinite(train)
    if bad.any():
        i = int(np.argmax(bad))
        message = f"diverged at epoch {epochs[i]}: the training loss became {train[i]}"
    elif curves.val_has_inf:
        message = "diverged: the validation loss became infinite"
    else:
        first = train[0]
        jumps = np.flatnonzero(train[1:] > DIVERGENCE_RATIO * first) + 1
        smooth = _smooth(train)
        if len(jumps) and first > 0:
            i = int(jumps[np.argmax(train[jumps])])
            message = (
                f"diverged: the training loss jumped to {_num(train[i])} at epoch "
                f"{epochs[i]}, {train[i] / first:.1f} times its epoch-1 value"
            )
        elif smooth[-1] > DIVERGENCE_RATIO * smooth.min() and (
            smooth[-1] > smooth[0]
            or smooth[-1] - smooth.min()
            >= DIVERGENCE_GIVE_BACK * (smooth[0] - smooth.min())
        ):
            low = smooth.min()
            message = (
                f"diverged: the training loss climbed back to {_num(smooth[-1])} "
                f"by epoch {epochs[-1]}, {smooth[-1] / low:.1f} times its minimum "
                + (
                    f"and above its first value {_num(smooth[0])}"
                    if smooth[-1] > smooth[0] or smooth[0] <= low
                    else f"({_num(low)}): it gave back "
                    f"{_percent((smooth[-1] - low) / (smooth[0] - low))} of its fall"
                )
            )
        elif knobs.guess_loss and not knobs.l2 and _exploded(train, knobs.guess_loss):
            guess = knobs.guess_loss
            if train.min() > GUESS_RATIO * guess:
                message = (
                    f"diverged: the training loss never came below "
                    f"{_num(train.min())}, {train.min() / guess:.3g} times the loss "
                    f"of a constant guess ({_num(guess)})"
                )
            else:  # exploded, then fell back, often to the guess itself
                i = int(np.argmax(train))
                message = (
                    f"diverged: the training loss exploded to {_num(train[i])} at "
                    f"epoch {epochs[i]}, {train[i] / guess:.3g} times the loss of "
                    f"a constant guess ({_num(guess)}); the validation loss ended "
                    f"at {_num(curves.val[-1])}"
                    if len(curves.val)
                    else f"diverged: the training loss exploded to {_num(train[i])} "
                    f"at epoch {epochs[i]}, {train[i] / guess:.3g} times the loss "
                    f"of a constant guess ({_num(guess)})"
                )
        elif (
            not knobs.l2  # which the loss includes, standing above the guess's
            and (base := _featureless_loss(knobs))
            and _never_learnt(curves, base, knobs)
        ):
            message = _never_learnt_message(train, epochs, base, knobs)
    if message is None:
        return None
    advice = [_lower_the_rate(knobs)]
    if not knobs.scales_inputs:
        advice.append("scale the features, e.g. StandardScaler in a Pipeline")
    if not knobs.batch_norm:
        advice.append("add batch_norm=True to keep activations in a trainable range")
    return _with_gaps(curves, "diverged", message, advice)


def _folds_diverged(fits, curves: _Curves, knobs: _Knobs) -> Diagnosis | None:
    """A "diverged" verdict when most of the pooled folds diverged each.

    The mean curve of folds that diverged beside one that trained reads the
    trained fold's fall (a "good fit", "still improving"), while the
    diverged folds predict noise: a majority of them is the verdict.
    """
    reads = []
    for history, estimator in fits:
        fold_curves = _Curves.from_history(history)
        fold_knobs = _Knobs.read(
            estimator, history, pooled=False, folds=[estimator], runs=[len(history)]
        )
        reads.append(
            _diverged(fold_curves, fold_knobs)
            or _no_better_than_the_prior(fold_curves, fold_knobs)
        )
    diverged = [d for d in reads if d is not None and d.verdict == "diverged"]
    if 2 * len(diverged) <= len(fits):
        return None
    first = diverged[0].message.split("diverged: ", 1)[-1].split(";")[0]
    message = (
        f"diverged: {len(diverged)} of the {len(fits)} folds diverged each "
        f"(the first: {first}); their mean curve, which the others' fall "
        "dominates, reads otherwise"
    )
    return _with_gaps(curves, "diverged", message, diverged[0].advice)


def _featureless_loss(knobs: _Knobs) -> float | None:
    """The training loss of a guess that ignores the features: a
    classifier's of the class frequencies (one label per row), a
    regressor's of a constant in its standardised targets; None where not
    known."""
    return knobs.guess_loss if knobs.regression else knobs.prior_loss


def _never_learnt(curves: _Curves, base: float, knobs: _Knobs) -> bool:
    """A training loss that, smoothed, never came ``OVERFIT_RISE`` below a
    featureless guess's, where it jumped (see _jumped) or the learning rate
    is high for its optimizer, and a validation loss that ends (smoothed)
    no ``OVERFIT_RISE`` below the guess's either: a rate so high that the
    network never learnt its training rows and ends at the guess, whatever
    its validation loss did before (at an epoch before the network settled,
    it may sit below the guess's and read as a fall and a rise). A
    validation loss that ends well below the guess's is a network that
    learnt, whose training loss heavy dropout holds up (0.7 on a regressor
    jumped to 2.55 times a constant's in its first epoch)."""
    train = curves.train
    if not len(curves.val):
        return False
    ends = float(_smooth(curves.val)[-1])
    return bool(
        (_jumped(train, base, knobs) or knobs.rate_is_high)
        and _smooth(train).min() >= (1 - OVERFIT_RISE) * base
        and ends >= (1 - OVERFIT_RISE) * (knobs.prior_loss or base)
    )


def _jumped(train: np.ndarray, base: float, knobs: _Knobs) -> bool:
    """A training loss above ``PRIOR_JUMP`` times the featureless guess's and
    a constant guess's (see guess_loss): a frequencies' loss near 0, of
    heavily weighted classes, is a bar an untrained network stands above."""
    return bool(train.max() > PRIOR_JUMP * max(base, knobs.guess_loss or 0.0))


def _never_learnt_message(train, epochs, base: float, knobs: _Knobs) -> str:
    what = "a constant" if knobs.regression else "the class frequencies"
    guess = f"the loss of predicting {what} ({_num(base)})"
    i = int(np.argmax(train))
    if _jumped(train, base, knobs):
        cause = (
            f"the training loss jumped to {_num(train[i])} at epoch {epochs[i]}, "
            f"{train[i] / base:.3g} times {guess}, and never came "
            f"{_percent(OVERFIT_RISE)} below that loss"
        )
    else:
        cause = (
            f"at learning_rate={knobs.learning_rate:g}, {knobs.rate_ratio:.3g} "
            f"times {knobs.optimizer}'s usual rate, the training loss never came "
            f"{_percent(OVERFIT_RISE)} below {guess}"
        )
    return (
        f"diverged: {cause} (its lowest, smoothed, {_num(_smooth(train).min())}): "
        "the network learnt little of its training rows"
    )


def _no_validation(curves: _Curves, knobs: _Knobs) -> Diagnosis | None:
    if len(curves.val):
        return None
    train = curves.train
    message = (
        f"no validation curve: the training loss went from {_num(train[0])} to "
        f"{_num(train[-1])} over {curves.n_epochs} epochs, which alone cannot "
        "tell overfitting from a good fit"
    )
    advice = (
        "hold out a validation set: validation_split=0.2 (a fifth of the rows)",
        "then call diagnose again on the new fit",
    )
    if knobs.validation_split:  # asked for, none kept: partial_fit, or too few rows
        advice = (
            "no row was held out: partial_fit holds out none, nor fit where the "
            "split leaves under 2 rows to train on; pass validation_data=(X_val, "
            "y_val) to fit, or score rows kept aside (evaluation_report)",
        )
    return Diagnosis("no_validation", message, advice, n_epochs=curves.n_epochs)


def _too_short(curves: _Curves, knobs: _Knobs) -> Diagnosis | None:
    n = len(curves.val)
    if n >= MIN_EPOCHS:
        return None
    epochs = "1 epoch" if n == 1 else f"{n} epochs"
    message = (
        f"still improving as far as can be told: only {epochs} with a "
        f"validation loss (last {_num(curves.val[-1])}), too few to read a trend"
    )
    return _with_gaps(curves, "still_improving", message, _train_longer(curves, knobs))


def _short_run(curves: _Curves, knobs: _Knobs) -> Diagnosis | None:
    n = len(curves.val)
    if n >= SHORT_RUN:
        return None
    for name, loss in (("validation", curves.val), ("training", curves.val_train)):
        fall = 1 - loss[-1] / loss[0] if loss[0] > 0 else 0.0
        at_lowest = loss[-1] < loss[:-1].min()
        if at_lowest and (name == "validation" or fall >= 1 - UNDERFIT_RATIO):
            message = (
                f"still improving at epoch {curves.val_epochs[-1]}: {name} loss "
                f"fell {_percent(fall)} since epoch {curves.val_epochs[0]}, to "
                f"its lowest ({_num(loss[-1])}), and {n} epochs are too few to "
                "see it level off"
            )
            advice = _train_longer(curves, knobs)
            return _with_gaps(curves, "still_improving", message, advice)
    return None


@dataclass(frozen=True)
class _OverfitTests:
    """The conditions of rule 4 on the smoothed curves, one field each."""

    low: int  # index of the validation minimum
    onset: int  # the last index within OVERFIT_TOLERANCE of it
    rise: float  # how far the validation loss ends above its minimum
    climbed: float  # the same, as a loss
    fall: float  # its drop from the highest point before the minimum
    gives_back: bool
    long_enough: bool
    train_falls: bool

    @classmethod
    def read(cls, val: np.ndarray, train: np.ndarray) -> _OverfitTests:
        low = int(np.argmin(val))
        minimum = max(float(val[low]), np.finfo(float).tiny)
        fall = float(val[: low + 1].max()) - minimum
        climbed = float(val[-1]) - minimum
        onset = int(np.flatnonzero(val <= minimum * (1 + OVERFIT_TOLERANCE))[-1])
        return cls(
            low=low,
            onset=onset,
            rise=float(val[-1]) / minimum - 1,
            climbed=climbed,
            fall=fall,
            # (no fall, a minimum at the first epoch: any rise gives it back)
            gives_back=climbed >= OVERFIT_GIVE_BACK * fall,
            long_enough=len(val) - 1 - onset >= OVERFIT_MIN_EPOCHS,
            train_falls=bool(train[-1] < train[low]),
        )

    @property
    def overfitting(self) -> bool:
        return (
            self.rise >= OVERFIT_RISE
            and self.gives_back
            and self.long_enough
            and self.train_falls
        )


def _overfitting(curves: _Curves, knobs: _Knobs) -> Diagnosis | None:
    val, train = _smooth(curves.val), _smooth(curves.val_train)
    tests = _OverfitTests.read(val, train)
    if not tests.overfitting:
        return None
    low, onset, rise = tests.low, tests.onset, tests.rise
    overfit_epoch = int(curves.val_epochs[onset])
    best_epoch = curves.best()[0]
    message = (
        f"overfitting from epoch {overfit_epoch}: validation loss rose "
        f"{_percent(rise)} above its minimum while training loss kept falling "
        f"({_num(train[low])} -> {_num(train[-1])}, smoothed)"
    )
    return _with_gaps(
        curves,
        "overfitting",
        message,
        _overfit_advice(knobs, best_epoch),
        overfit_epoch=overfit_epoch,
        val_rise=rise,
    )


def _still_improving(curves: _Curves, knobs: _Knobs) -> Diagnosis | None:
    val = _smooth(curves.val)
    n = len(val)
    tail = min(n, max(IMPROVING_MIN_TAIL, math.ceil(IMPROVING_TAIL * n)))
    x = np.arange(tail, dtype=float)
    # the line through the raw tail, spikes out (the running median, cut short
    # at the curve's end, flattened a 1.3 % fall to 0.7 %: "levelled off")
    raw = np.asarray(curves.val, dtype=float)
    recent = despiked(x, raw[-tail:], SPIKE_SPREADS, reference=raw[-4 * tail :])
    slope = np.polyfit(x, recent, 1)[0]
    drop = -slope * (tail - 1) / max(float(np.mean(recent)), np.finfo(float).tiny)
    ends_lowest = val[-1] <= val.min() * (1 + IMPROVING_TOLERANCE)
    if not (drop >= IMPROVING_DROP and ends_lowest) or val[-1] < NEGLIGIBLE_LOSS:
        return None
    if tail >= IMPROVING_MIN_TAIL and not falls_significantly(
        x, recent, IMPROVING_SIGNIFICANCE
    ):
        return None
    message = (
        f"still improving at epoch {curves.val_epochs[-1]}: validation loss fell "
        f"from {_num(val[-tail])} to {_num(val[-1])} over the last {tail} epochs "
        "(smoothed) and has not levelled off"
    )
    return _with_gaps(curves, "still_improving", message, _train_longer(curves, knobs))


def _underfitting(curves: _Curves, knobs: _Knobs) -> Diagnosis | None:
    train, val = _smooth(curves.val_train), _smooth(curves.val)
    train_ratio = train.min() / train[0] if train[0] > 0 else 1.0
    val_ratio = val.min() / val[0] if val[0] > 0 else 1.0
    if not (train_ratio >= UNDERFIT_RATIO and val_ratio >= UNDERFIT_RATIO):
        return None
    message = (
        f"underfitting: over {len(val)} epochs the training loss fell only "
        f"{_percent(1 - train_ratio)} ({_num(train[0])} -> {_num(train.min())}) "
        f"and the validation loss only {_percent(1 - val_ratio)} "
        f"({_num(val[0])} -> {_num(val.min())})"
    )
    advice = [_widen_first_layer(knobs)]
    if knobs.dropout:
        lower = 0.1 if knobs.dropout > 0.1 else 0.0
        advice.append(f"lower dropout from {knobs.dropout:g}: dropout={lower:g}")
    advice.append(_raise_the_rate(knobs))
    if not knobs.batch_norm:
        advice.append("add batch_norm=True")
    if not knobs.scales_inputs:
        advice.append("check that the features are scaled (StandardScaler)")
    return _with_gaps(curves, "underfitting", message, advice)


def _no_better_than_the_prior(curves: _Curves, knobs: _Knobs) -> Diagnosis | None:
    prior = knobs.prior_loss
    if prior is None or not len(curves.val):
        return None
    if knobs.regression and knobs.constant_target:  # nothing to learn
        message = (
            "good fit: the target is constant (a constant guess's validation "
            "loss is 0), so there is nothing to learn; the estimator predicts it"
        )
        return _with_gaps(curves, "good_fit", message, ())
    best_epoch, best_val, _ = curves.best()
    margin = PRIOR_MARGIN_REGRESSION if knobs.regression else PRIOR_MARGIN
    if best_val < (1 - margin) * prior:
        return None
    if knobs.l2 and knobs.regression and (knobs.best_val_r2 or 0.0) >= LEARNT_R2:
        return None  # the penalty lifted a network that learnt (see LEARNT_R2)
    if knobs.l2 and best_val > (1 + margin) * prior:
        # with a penalty (in the loss), only a validation loss at the guess's
        # is a network held there (every kernel near 0); above it, the penalty
        # or a thin hold-out may stand (swiss_labor's folds at l2=1e-3 scored
        # 0.62 to 0.69, one fold's loss 1.21 times its guess's)
        return None
    train, epochs = curves.train, curves.epochs
    guess = "a constant" if knobs.regression else "the class frequencies"
    frequencies = f"the loss of predicting {guess} ({_num(prior)})"
    nothing = NOTHING_LEARNT
    # (a regressor's training loss against a constant's on its own rows)
    base, what = _featureless_loss(knobs) or prior, frequencies
    if knobs.regression and knobs.guess_loss:
        what = f"the training loss of predicting a constant ({_num(base)})"
    # (with an l2 penalty in the loss, the start's stands far above the guess's,
    # while a network held at the guess, every kernel near 0, learnt nothing)
    if train.max() > PRIOR_JUMP * base and not knobs.l2:
        i = int(np.argmax(train))
        message = (
            f"diverged: the training loss jumped to {_num(train[i])} at epoch "
            f"{epochs[i]}, {train[i] / base:.3g} times {what}, and the "
            f"validation loss never came below {_num(best_val)} (epoch "
            f"{best_epoch}): {nothing}"
        )
        return _with_gaps(curves, "diverged", message, [_lower_the_rate(knobs)])
    check = (
        "check that the features tell the target: score a linear model or "
        f"sklearn.dummy.Dummy{'Regressor' if knobs.regression else 'Classifier'} "
        "on the same rows"
    )
    learnt = float(_smooth(curves.train).min())
    # (a classifier's: a regressor's constant guess of a robust loss scores
    # below the bound held here, so a noise target's read as learnt)
    if not knobs.regression and learnt < (1 - OVERFIT_RISE) * base:
        # the training rows were learnt, well below a constant guess, and
        # nothing of it held: an oversized network on a weak table read
        # "underfitting, learnt nothing", and was told to train harder
        message = (
            f"overfitting: the validation loss never came {100 * margin:g} % "
            f"below {frequencies}; its lowest was {_num(best_val)} (epoch "
            f"{best_epoch}), while the training loss fell to {_num(learnt)}, "
            f"{_percent(1 - learnt / base)} below "
            f"{'it' if what == frequencies else what}: the network learnt "
            "its training rows, and nothing of them held on the validation rows"
        )
        advice = [*_overfit_advice(knobs, best_epoch), check]
        return _with_gaps(curves, "overfitting", message, advice)
    penalty = (
        f" (its l2 penalty, which the loss includes, is least with every "
        f"weight near 0, where the network predicts {guess})"
        if knobs.l2
        else ""
    )
    message = (
        f"underfitting: the validation loss never came {100 * margin:g} % "
        f"below {frequencies}; its lowest was {_num(best_val)} (epoch "
        f"{best_epoch}): {nothing}{penalty}"
    )
    advice = [_raise_the_rate(knobs), check]
    if knobs.l2:
        advice.insert(
            0, f"lower the l2 penalty: l2={knobs.l2 / 10:g} (now {knobs.l2:g})"
        )
    return _with_gaps(curves, "underfitting", message, advice)


def _good_fit(curves: _Curves, knobs: _Knobs) -> Diagnosis:
    val = _smooth(curves.val)
    rise = float(val[-1] / val.min() - 1) if val.min() > 0 else 0.0
    best_epoch, best_val, _ = curves.best()
    gap_best, _ = curves.gaps()
    if val[-1] < NEGLIGIBLE_LOSS:
        ending = f"ending near zero (below {NEGLIGIBLE_LOSS:g}): little is left to gain"
    elif rise >= OVERFIT_RISE:
        ending = _why_not_overfitting(val, _smooth(curves.val_train), rise)
    else:
        ending = f"levelled off, ending {_percent(rise)} above its minimum (smoothed)"
    fell = (
        f"fell from {_num(curves.val[0])} to {_num(best_val)} (best epoch {best_epoch})"
        if best_epoch != curves.val_epochs[0]
        else f"never fell below its first value, {_num(best_val)} (epoch {best_epoch})"
    )
    message = (
        f"good fit: validation loss {fell}, {ending}; the gap to the training "
        f"loss at the best epoch is {gap_best:+.3g}"
    )
    first = "r2 and the errors" if knobs.regression else "recall first"
    advice = [
        "keep this design and judge it on held-out data with evaluation_report, "
        + first
    ]
    if (note := _majority_note(knobs, "before keeping it")) is not None:
        message, advice = message + note[0], [note[1], *advice[1:]]
    if not knobs.early_stopping and best_epoch < int(curves.val_epochs[-1]):
        # best at the last epoch: epochs=<the last epoch> would change nothing
        advice.append(
            f"keep the weights of epoch {best_epoch}: early_stopping=True, or "
            f"epochs={best_epoch}"
        )
    if (other := _compare_another_rate(knobs)) is not None:
        advice.insert(0, other)
    return _with_gaps(curves, "good_fit", message, advice, val_rise=rise)


def _why_not_overfitting(val: np.ndarray, train: np.ndarray, rise: float) -> str:
    """Why a validation loss that ended well above its minimum is no overfit:
    the first condition of rule 4 it fails."""
    tests = _OverfitTests.read(val, train)
    ending = f"ending {_percent(rise)} above its minimum (smoothed)"
    if not tests.gives_back:  # so the fall is above 0
        return (
            f"{ending}, but that gives back only "
            f"{_percent(tests.climbed / tests.fall)} of its fall "
            f"(overfitting takes {_percent(OVERFIT_GIVE_BACK)})"
        )
    if not tests.train_falls:
        return f"{ending}, but the training loss rose with it"
    return f"{ending}, but for fewer than {OVERFIT_MIN_EPOCHS} epochs"


_RULES = (
    _diverged,
    _no_validation,
    _too_short,
    _overfitting,
    _no_better_than_the_prior,
    _short_run,
    _still_improving,
    _underfitting,
)


def _with_gaps(
    curves: _Curves, verdict: str, message: str, advice, **fields
) -> Diagnosis:
    """A Diagnosis with the best epoch and the gaps filled in when known."""
    if len(curves.val):
        best_epoch = curves.best()[0]
        gap_best, gap_last = curves.gaps()
        fields = {
            "best_epoch": best_epoch,
            "gap_at_best": gap_best,
            "gap_at_last": gap_last,
            **fields,
        }
    return Diagnosis(
        verdict, message, tuple(advice), n_epochs=curves.n_epochs, **fields
    )
