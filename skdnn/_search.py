"""DesignSearchCV: a design search driven by the learning curves.

A practitioner tunes a dense network by reading its learning curves and
changing the design where they point: more dropout when the validation loss
climbs back, a wider network when neither loss falls, more epochs when the
validation loss is still falling. This module automates that loop on
cross-validated curves. Each round pools the folds' curves of the current
design into one :func:`~skdnn.diagnose` verdict, turns the verdict into a
few moves from a fixed table (:data:`MOVES`), scores them on the same folds
and keeps the best one only when its gain exceeds the noise of the folds.

Everything else (folds, scorers, parallel fits, the layout of
``cv_results_``) is scikit-learn's own machinery.
"""

from __future__ import annotations

import numbers
import warnings
from copy import deepcopy
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.base import (
    BaseEstimator,
    MetaEstimatorMixin,
    _fit_context,
    clone,
    is_classifier,
    is_regressor,
)
from sklearn.exceptions import FitFailedWarning, NotFittedError
from sklearn.metrics import get_scorer_names
from sklearn.model_selection import KFold, StratifiedKFold, check_cv
from sklearn.utils import check_random_state, indexable
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils._tags import get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _num_samples, check_is_fitted

from skdnn._history import Diagnosis, diagnose
from skdnn._moves import (
    DESIGN_PARAMS,
    MOVES,
    MOVES_PER_ROUND,
    _beats_noise,
    _combination,
    _design_key,
    _moves_for,
    _real_changes,
    _State,
    repairs_divergence,
)
from skdnn._progress import Progress, write_line
from skdnn._scorers import try_scorers
from skdnn._search_folds import (
    _describe,
    _final_step_and_prefix,
    _listed,
    _with_tried_moves,
    check_row_weights,
    check_targets,
    fit_fold,
    raised_as,
    refit,
    routed_params,
    search_scorer,
    searched_network,
    short_repr,
)
from skdnn._shared_api import DocLinkMixin
from skdnn._user_warnings import relay_warnings, user_stacklevel

__all__ = ["MOVES", "DesignSearchCV"]

# ----------------------------------------------------------------------
# The search
# ----------------------------------------------------------------------


@dataclass
class _Candidate:
    """One design tried: its parameters, fold scores and pooled verdict."""

    round: int
    move: str
    design: dict  # the final step's design parameters
    changes: dict  # what the move changed, old -> new
    scores: np.ndarray = field(default=None)
    fit_times: np.ndarray = field(default=None)
    score_times: np.ndarray = field(default=None)
    diagnosis: Diagnosis | None = None
    widths: tuple | None = None
    histories: list | None = None
    gain: float = np.nan
    noise: float = np.nan
    accepted: bool = False

    @property
    def score(self) -> float:
        return float(np.mean(self.scores))


def _search_estimator_has(attr):
    """Delegate ``attr`` to the refitted design, as scikit-learn's searches do."""

    def check(self):
        if not self.refit:
            raise AttributeError(
                f"This {type(self).__name__} instance was built with refit=False; "
                f"{attr} is available only after refitting the best design."
            )
        if hasattr(self, "best_estimator_"):
            getattr(self.best_estimator_, attr)
        else:
            getattr(self.estimator, attr)
        return True

    return check


class DesignSearchCV(DocLinkMixin, MetaEstimatorMixin, BaseEstimator):
    """Search a network design by reading its cross-validated learning curves.

    Round 0 cross-validates the given design, keeping every fold's learning
    curves. Each round then pools the folds' curves of the current design
    into one :func:`~skdnn.diagnose` verdict, turns it into a few candidate
    moves from the table :data:`MOVES` (overfitting: raise dropout, narrow
    the layers, ...), cross-validates them on the same folds and accepts the
    best only if it beats the current design by more than the fold noise
    (or, from a design whose curves diverge, if it trains and scores
    higher). A round that accepts nothing is followed by one of the
    verdict's moves not tried yet; the search stops when none is left, or
    after ``max_rounds`` rounds.

    Parameters
    ----------
    estimator : estimator
        The starting design: a :class:`~skdnn.TaperedMLPClassifier` (or any
        network with the same design parameters, such as a regressor), or a
        Pipeline ending in one. It is cloned, never modified.
    scoring : str, callable or None, default=None
        Score to maximise on the held-out folds, a scikit-learn scorer name
        or callable. None scores classifiers by ``"balanced_accuracy"``
        (the mean recall of the classes: recall first, but not won by
        predicting one class everywhere) and other estimators, or
        multilabel targets, by their ``score`` method. With metadata
        routing, the default takes ``sample_weight`` when the estimator's
        ``score`` requests it (``set_score_request``).
    cv : int, cross-validation generator or iterable, default=5
        Folds, as in :class:`~sklearn.model_selection.GridSearchCV`. An int
        makes that many shuffled folds, stratified for classifiers, seeded
        by ``random_state``. Every candidate is scored on the same folds.
    max_rounds : int, default=8
        Most rounds of moves after round 0. 0 only cross-validates the
        starting design.
    n_jobs : int or None, default=None
        Fits run in parallel with joblib: the folds of all the candidates of
        a round at once. None means 1 unless in a
        :func:`joblib.parallel_config` context (a Dask backend included).
    refit : bool, default=True
        Refit the accepted design on all the rows, as ``best_estimator_``,
        to make ``predict``, ``predict_proba`` and ``score`` available.
    random_state : int, RandomState instance or None, default=None
        Seeds the folds (when ``cv`` is an int) and, when the estimator's own
        ``random_state`` is None, the one seed every candidate's fits share,
        so that fold scores differ by the design only. None draws them
        from fresh entropy (numpy's global generator is never read).
    verbose : int, default=0
        1 shows each round, its candidates and their verdicts, with a live
        line counting the round's fits; 2 also prints a line per fit when
        the output is not a terminal.

    Attributes
    ----------
    best_params_ : dict
        Parameters of the accepted design that differ from the starting one,
        named as ``estimator.set_params`` takes them (prefixed with the step
        name for a Pipeline). Empty when no move was accepted.
    best_score_ : float
        Mean cross-validated score of the accepted design.
    best_index_ : int
        Index of the accepted design in ``cv_results_``.
    best_estimator_ : estimator
        The accepted design refitted on all the rows (``refit=True`` only).
    best_diagnosis_ : Diagnosis
        Pooled verdict on the folds' curves of the accepted design. When
        the search tried moves from that design, its first line of
        ``advice`` names them with their gains and noise: none beat the
        design. A line of the curves' own advice that suggests a setting
        one of them made ends with a note saying so and what it gained.
    best_histories_ : list of pandas.DataFrame
        The folds' learning curves of the accepted design.
    cv_results_ : dict of ndarray
        Every candidate tried, in the layout of ``GridSearchCV.cv_results_``:
        ``params`` (as ``best_params_``), ``param_<name>`` (masked where a
        candidate keeps the starting value), ``split<k>_test_score``,
        ``mean_test_score``, ``std_test_score``, ``rank_test_score``,
        ``mean_fit_time``, ``std_fit_time``, ``mean_score_time`` and
        ``std_score_time``.
    path_ : pandas.DataFrame
        One row per candidate: ``round``, ``move``, ``changes`` (old -> new
        values), ``verdict`` and ``diagnosis`` (its pooled curves' verdict
        and message), ``score``, ``score_std``, ``gain`` (mean paired gain
        over the design it challenged), ``noise`` (the standard error of
        that gain), ``accepted``.
    stop_reason_ : str
        Why the search stopped.
    n_fits_ : int
        Cross-validation fits run (the refit not counted).
    scorer_ : callable
        The scorer used on the held-out folds and by :meth:`score`.
    n_splits_ : int
        Number of folds.
    refit_time_ : float
        Seconds spent refitting the accepted design.
    classes_ : ndarray
        Class labels of ``best_estimator_`` (classifiers only).
    n_features_in_ : int
        Number of features seen during fit (``refit=True`` only).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit, when ``X`` has column names
        that are all strings (``refit=True`` only).

    See Also
    --------
    sklearn.model_selection.GridSearchCV : Try every combination, blind to
        the curves.
    skdnn.diagnose : The verdict each round acts on.
    skdnn.DesignSearchDisplay : Draw the path and the accepted curves.

    Notes
    -----
    The move table (:data:`MOVES`), verdict by verdict, most promising
    first; each round tries the first ``MOVES_PER_ROUND`` (3) moves that
    apply to the current design and lead to one not tried yet, placing last
    the moves rejected in the round before and those that lost by more than
    the fold noise earlier on the path:

    - ``overfitting``: turn early stopping on; raise ``dropout`` one step
      along 0, 0.1, 0.3, 0.5; slow down (a third of the learning rate,
      down to 1e-4, with twice the epochs and, with early stopping, twice
      the patience); halve every hidden width; drop the last hidden layer;
      raise ``l2`` one step along 0, 1e-3, 1e-2 (rungs far enough apart
      for a step to show above the fold noise); raise ``validation_split``
      one step along 0.1, 0.2, 0.3, so early stopping reads a steadier
      curve (with early stopping off, it would only take training rows:
      not tried).
    - ``underfitting``: double every hidden width; add a layer narrower by
      ``taper``; lower ``dropout`` one step; lower ``l2`` one step; triple
      ``learning_rate``, up to ten times its usual rate (only the last two
      when the network learnt nothing from the features, its curves no
      better than a constant guess).
    - ``still_improving``: double ``epochs``, early stopping on (when the
      run used them all); double ``patience`` (when early stopping ended it);
      triple ``learning_rate`` (from 30 times below its usual rate: to it).
    - ``diverged``: cut ``learning_rate`` ten-fold; add ``batch_norm``;
      cut ``learning_rate`` a hundred-fold.
    - ``good_fit``: turn early stopping on (the diagnosis advises keeping
      the best epoch's weights); then the finer moves: repeat the move
      accepted last; slow down; double ``patience`` (when early stopping
      ended the run); raise ``l2``, ``validation_split`` and ``dropout``
      one step; first step back a setting beyond those ladders, or a
      learning rate 10 times above or 30 times below its usual one.
    - ``no_validation``: hold out ``validation_split=0.1`` with early
      stopping, so the next round has curves to read.
    - ``insufficient_evidence``: raise ``validation_split`` (0.1, 0.2, 0.3;
      with early stopping only), then the moves of what the thin curves'
      shape reads.

    A round none of whose candidates beats the current design is followed by
    one that tries the verdict's moves not tried yet from that design, and
    first the ``combine`` candidate: the moves rejected from that design
    whose gain was still positive, made together (merged by gain, best
    first, one change per parameter; at least two), since changes that each
    gain less than the fold noise may add up to one that gains more. The
    search stops when no untried move or combination is left (nothing beats
    the current design), or after ``max_rounds`` rounds.

    Width moves write explicit ``hidden_layer_sizes`` derived from the
    fitted widths, so ``best_params_`` reads as the layers it builds.

    Acceptance. For a candidate and the current design, the paired
    differences ``d_k`` of their scores on fold ``k`` remove what the folds
    share (an easy fold is easy for both). The candidate's gain is the mean
    of ``d_k`` and the fold noise its standard error, ``std(d, ddof=1) /
    sqrt(n_splits)``. Among the candidates whose gain is positive and
    exceeds ``ACCEPT_SE`` (1) times the noise, the one with the highest mean
    score is accepted; ties go to the candidate tried first in its round
    (the combination, then the table's moves, those rejected in the previous
    round last), so nothing is left to chance. A candidate with a failed fit
    (its score NaN) is never accepted. One exception: a current design
    whose pooled curves diverge predicts noise, so a candidate whose curves
    do not diverge replaces it when it scores higher, by any margin.
    ``best_score_`` is thus that of the last accepted design, which a
    rejected candidate may top by less than the noise: ``best_index_`` is
    that design's row of ``cv_results_``, whose ``rank_test_score`` need
    not be 1.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skdnn import DesignSearchCV, TaperedMLPClassifier
    >>> X, y = make_classification(n_samples=200, n_features=8, random_state=0)
    >>> search = DesignSearchCV(
    ...     TaperedMLPClassifier(hidden_layer_sizes=(16,), epochs=5),
    ...     cv=3,
    ...     max_rounds=1,
    ...     random_state=0,
    ... ).fit(X, y)
    >>> list(search.path_.columns[:3])
    ['round', 'move', 'changes']
    >>> int(search.path_["round"].max())
    1
    >>> search.n_fits_ == 3 * len(search.path_)
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "get_params", "set_params"])],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "cv": ["cv_object"],
        "max_rounds": [Interval(numbers.Integral, 0, None, closed="left")],
        "n_jobs": [numbers.Integral, None],
        "refit": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator,
        *,
        scoring=None,
        cv=5,
        max_rounds=8,
        n_jobs=None,
        refit=True,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.scoring = scoring
        self.cv = cv
        self.max_rounds = max_rounds
        self.n_jobs = n_jobs
        self.refit = refit
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, *, groups=None, **fit_params):
        """Run the search, then refit the accepted design on all the rows.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        groups : array-like of shape (n_samples,), default=None
            Group labels, for a group-aware ``cv`` splitter.
        **fit_params : dict
            Passed to the estimator's ``fit``; arrays with one value per row
            (such as ``sample_weight``) are split with the folds.

        Returns
        -------
        self : DesignSearchCV
            The fitted search.
        """
        final, prefix = searched_network(self.estimator)
        check_targets(final, y)
        X, y, groups = indexable(X, y, groups)
        check_row_weights(fit_params, _num_samples(X))
        routed = routed_params(self, fit_params, groups)
        fit_params = routed.estimator.fit
        # what each fold's fit and score take
        params = fit_params, routed.get("scorer", {"score": {}})["score"]
        # None: fresh entropy, never numpy's global generator
        rng = check_random_state(
            self.random_state
            if self.random_state is not None
            else int(np.random.SeedSequence().generate_state(1)[0] >> 1)
        )
        splits = self._splits(X, y, routed.splitter.split, rng)
        if len(splits) < 2:
            raise ValueError(
                "DesignSearchCV needs at least 2 cross-validation splits to "
                "measure the fold noise its moves must beat; the cv, "
                f"{short_repr(self.cv)}, gives {len(splits)}."
            )
        self.n_splits_ = len(splits)
        base = clone(self.estimator)
        base_final, _ = _final_step_and_prefix(base)
        if "random_state" in base_final.get_params(deep=False) and (
            base_final.get_params(deep=False)["random_state"] is None
        ):
            base.set_params(**{f"{prefix}random_state": int(rng.randint(2**31 - 1))})
        self.scorer_ = search_scorer(base, self.scoring, y)
        if self.scoring is not None:
            # a scorer of probabilities for a regressor, or recall's
            # pos_label=1 for labels "no" and "yes", refused before a round
            # of fits (then it read as a starting design that failed)
            name = self.scoring if isinstance(self.scoring, str) else "score"
            classes, target = None, type_of_target(y) if is_classifier(base) else None
            if target in ("binary", "multiclass"):
                classes = np.unique(np.asarray(y))
            elif target == "multilabel-indicator":  # the network's classes_
                classes = np.arange(np.shape(y)[1])
            if is_regressor(base) or classes is not None:
                try_scorers(base, {name: self.scorer_}, y, classes=classes, one=True)
        self._prefix = prefix
        final_params = base_final.get_params(deep=False)
        start_design = {k: v for k, v in final_params.items() if k in DESIGN_PARAMS}
        optimizer = final_params.get("optimizer")

        self.n_fits_ = 0
        self._warned = set()  # the folds' warnings shown once a search
        tried: list[_Candidate] = []
        seen = {_design_key(start_design)}
        current = _Candidate(0, "start", dict(start_design), {})
        current.accepted = True
        self._evaluate([current], base, X, y, splits, params, "round 0")
        if not np.all(np.isfinite(current.scores)):
            if self._first_error is not None:
                # a TypeError (a value of the wrong type) stays one, and a
                # parameter scikit-learn refused an InvalidParameterError
                kind, text = self._first_error
                raise raised_as(
                    kind,
                    "The starting design failed on some folds (fit or scoring); "
                    f"fix it before searching from it. First error: {text}",
                )
            folds = np.flatnonzero(~np.isfinite(current.scores)).tolist()
            raise ValueError(
                f"The scorer returned NaN for the starting design on fold(s) "
                f"{folds} (its fits succeeded): a score such as r2 is undefined "
                "on a test fold of one row, or of one target value. Give folds "
                "the scorer can score, or another scoring."
            )
        tried.append(current)
        self._say(
            f"round 0: start design scores {current.score:.4g} ± "
            f"{np.std(current.scores):.2g}; {current.diagnosis.verdict}"
        )
        last_move, rejected, lost, stalled = None, set(), set(), False
        # the moves rejected from the current design that still gained
        promising: list[_Candidate] = []
        for round_ in range(1, self.max_rounds + 1):
            state = _State(
                current.design, current.widths, current.diagnosis, last_move, optimizer
            )
            candidates = []
            combined = _combination(promising, current.design)
            if combined is not None and _design_key(combined[0]) not in seen:
                seen.add(_design_key(combined[0]))
                candidates.append(_Candidate(round_, "combine", *combined))
            for name, changes in _moves_for(state, rejected | lost):
                changes = _real_changes(changes, current.design)
                if not changes:
                    continue
                design = {**current.design, **changes}
                key = _design_key(design)
                if key in seen:
                    continue
                seen.add(key)
                diff = {k: (current.design.get(k), v) for k, v in changes.items()}
                candidates.append(_Candidate(round_, name, design, diff))
                if len(candidates) == MOVES_PER_ROUND:
                    break
            if not candidates:
                self.stop_reason_ = (
                    f"after round {round_ - 1}: no untried move left for the verdict "
                    f"{current.diagnosis.verdict!r}"
                )
                if stalled:
                    self.stop_reason_ = (
                        f"after round {round_ - 1}: no move beat the current design by "
                        "more than the fold noise, and no untried move is left "
                        f"for the verdict {current.diagnosis.verdict!r}"
                    )
                break
            self._say(
                f"round {round_}: {current.diagnosis.verdict} -> trying "
                + _listed(candidates, self._prefix)
            )
            self._evaluate(candidates, base, X, y, splits, params, f"round {round_}")
            for candidate in candidates:
                diffs = candidate.scores - current.scores
                candidate.gain = float(np.mean(diffs))
                candidate.noise = float(np.std(diffs, ddof=1) / np.sqrt(len(diffs)))
                verdict = candidate.diagnosis.verdict if candidate.diagnosis else None
                self._say(
                    f"  {candidate.move}: {candidate.score:.4g}, gain "
                    f"{candidate.gain:+.3g} (noise {candidate.noise:.3g}); "
                    f"{verdict or 'failed'}"
                )
            tried.extend(candidates)
            lost |= {c.move for c in candidates if c.gain < -c.noise}
            passing = [
                c
                for c in candidates
                if _beats_noise(c.gain, c.noise)
                or repairs_divergence(current.diagnosis, c.diagnosis, c.gain)
            ]
            if not passing:
                self._say("  none accepted: no gain above the fold noise")
                # the same design again: the next round tries the verdict's
                # moves not tried yet, and the search stops when none is left
                stalled = True
                promising += [
                    c
                    for c in candidates
                    if c.move != "combine" and np.isfinite(c.gain) and c.gain > 0
                ]
                continue
            stalled, promising = False, []
            best = max(passing, key=lambda c: c.score)  # first wins ties
            best.accepted = True
            rejected = {c.move for c in candidates if c is not best}
            current, last_move = best, best.move
            self._say(
                f"  accepted {best.move}: {_describe(best.changes, self._prefix)}"
                + (
                    ""
                    if _beats_noise(best.gain, best.noise)
                    else " (within the fold noise, but its curves no longer diverge)"
                )
            )
        else:
            self.stop_reason_ = f"max_rounds={self.max_rounds} reached"
        self._say(f"stopped: {self.stop_reason_}")

        self._record(tried, current, start_design)
        for stale in (
            "best_estimator_",
            "refit_time_",
            "n_features_in_",
            "feature_names_in_",
        ):
            self.__dict__.pop(stale, None)  # from an earlier fit
        if self.refit:
            estimator = clone(base).set_params(**self._prefixed(current.design))
            self.refit_time_ = refit(estimator, X, y, fit_params, self._warned)
            self.best_estimator_ = estimator
        del self._warned  # (a warning class defined in a function: no pickle)
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(getattr(self, "best_estimator_", None), name):
                setattr(self, name, getattr(self.best_estimator_, name))
        return self

    # ------------------------------------------------------------------
    # Delegation, as GridSearchCV does
    # ------------------------------------------------------------------

    @available_if(_search_estimator_has("predict"))
    def predict(self, X):
        """Predict with the refitted accepted design.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray
            Predictions of ``best_estimator_``.
        """
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict(X)

    @available_if(_search_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the refitted accepted design.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities of ``best_estimator_``.
        """
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict_proba(X)

    @available_if(_search_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities from the refitted accepted design.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log probabilities of ``best_estimator_``.
        """
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict_log_proba(X)

    def score(self, X, y=None, **params):
        """Score the refitted accepted design with ``scorer_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.
        y : array-like of shape (n_samples,)
            True targets.
        **params : dict
            With metadata routing enabled, what the scorer requests (such as
            ``sample_weight``), as :meth:`GridSearchCV.score
            <sklearn.model_selection.GridSearchCV.score>` takes it.

        Returns
        -------
        score : float
            The search's score (balanced accuracy for a classifier by
            default) of ``best_estimator_`` on ``(X, y)``.
        """
        _search_estimator_has("score")(self)
        check_is_fitted(self, "best_estimator_")
        _raise_for_params(params, self, "score")
        score_params = (
            process_routing(self, "score", **params).scorer["score"]
            if _routing_enabled()
            else {}
        )
        return float(self.scorer_(self.best_estimator_, X, y, **score_params))

    @property
    def classes_(self):
        """Class labels of the refitted accepted design."""
        _search_estimator_has("classes_")(self)
        if not hasattr(self, "best_estimator_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet."
            )
        return self.best_estimator_.classes_

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _splits(self, X, y, split_params, rng) -> list:
        cv = self.cv
        classifier = is_classifier(self.estimator)
        if isinstance(cv, numbers.Integral):
            seed = int(rng.randint(2**31 - 1))
            stratify = classifier and type_of_target(y) in ("binary", "multiclass")
            splitter = StratifiedKFold if stratify else KFold
            cv = splitter(int(cv), shuffle=True, random_state=seed)
        cv = check_cv(cv, y, classifier=classifier)
        return list(cv.split(X, y, **split_params))

    def _validate_params(self):
        if isinstance(self.scoring, (list, tuple, set, dict)):
            raise ValueError(
                f"DesignSearchCV scores with one scorer, the one its moves must "
                f"improve; got scoring={self.scoring!r}. Pass one, e.g. "
                "scoring='balanced_accuracy', then score the best design with "
                "the others (cross_validate(search.best_estimator_, ...))."
            )
        refit = self.refit
        if isinstance(refit, str) or callable(refit):
            raise ValueError(
                f"DesignSearchCV's refit is True or False; got refit={refit!r}. "
                "GridSearchCV's refit names the metric of several, or picks "
                "the best with a callable: here the one scoring decides, and "
                "the best design is the last one accepted (best_params_)."
            )
        super()._validate_params()

    def _prefixed(self, design: dict) -> dict:
        return {f"{self._prefix}{k}": v for k, v in design.items()}

    def _say(self, line: str) -> None:
        if self.verbose:
            write_line(line)

    def _evaluate(self, candidates, base, X, y, splits, params, desc):
        """Cross-validate the candidates on the folds, all fits in parallel;
        ``params``: what each fold's fit and its scorer take."""
        tasks = [
            (c, clone(base).set_params(**self._prefixed(c.design)), train, test)
            for c in candidates
            for train, test in splits
        ]
        # results stream in (to count them live) where the backend can
        try:
            parallel = Parallel(n_jobs=self.n_jobs, return_as="generator")
        except ValueError:  # e.g. joblib's multiprocessing backend
            parallel = Parallel(n_jobs=self.n_jobs)
        results = parallel(
            delayed(fit_fold)(est, X, y, train, test, self.scorer_, *params)
            for _, est, train, test in tasks
        )
        per_candidate = {id(c): [] for c in candidates}
        self._first_error = None
        with Progress(len(tasks), self.verbose, desc=desc) as progress:
            for (candidate, *_), result in zip(tasks, results, strict=True):
                per_candidate[id(candidate)].append(result)
                progress.update(1, score=result["score"])
        relay_warnings(
            (w for r in per_candidate.values() for f in r for w in f["warnings"]),
            self._warned,
        )
        self.n_fits_ += len(tasks)
        for candidate in candidates:
            results = per_candidate[id(candidate)]
            candidate.scores = np.array([r["score"] for r in results])
            candidate.fit_times = np.array([r["fit_time"] for r in results])
            candidate.score_times = np.array([r["score_time"] for r in results])
            failed = [r for r in results if r["error"]]
            if failed:
                first = failed[0]
                self._first_error = self._first_error or (first["kind"], first["error"])
                if candidate.round:
                    warnings.warn(
                        f"{len(failed)} of {len(results)} folds of the move "
                        f"{candidate.move!r} failed (fit or scoring); it is not "
                        f"accepted. First error: {first['error']}",
                        FitFailedWarning,
                        stacklevel=user_stacklevel(),
                    )
                continue
            unscored = int(np.sum(~np.isfinite(candidate.scores)))
            if unscored and candidate.round:
                warnings.warn(
                    f"The scorer returned NaN on {unscored} of {len(results)} "
                    f"folds of the move {candidate.move!r} (its fits "
                    "succeeded); it is not accepted.",
                    UserWarning,
                    stacklevel=user_stacklevel(),
                )
            fitted = [r["estimator"] for r in results]
            candidate.diagnosis = diagnose(fitted)
            first, _ = _final_step_and_prefix(fitted[0])
            widths = getattr(first, "hidden_layer_sizes_", None)
            candidate.widths = None if widths is None else tuple(widths)
            candidate.histories = [
                _final_step_and_prefix(est)[0].history_ for est in fitted
            ]

    def _record(self, tried, current, start_design):
        """Set cv_results_, path_ and the best_* attributes."""
        prefix = self._prefix

        def changed(design):
            return {
                f"{prefix}{k}": v
                for k, v in design.items()
                if _design_key({k: v}) != _design_key({k: start_design.get(k)})
            }

        params = [changed(c.design) for c in tried]
        scores = np.array([c.scores for c in tried])
        means = scores.mean(axis=1)
        results: dict = {}
        for name, times in (
            ("fit_time", [c.fit_times for c in tried]),
            ("score_time", [c.score_times for c in tried]),
        ):
            times = np.array(times)
            results[f"mean_{name}"] = times.mean(axis=1)
            results[f"std_{name}"] = times.std(axis=1)
        for key in dict.fromkeys(k for p in params for k in p):
            values = np.ma.MaskedArray(np.empty(len(tried), dtype=object), mask=True)
            for i, p in enumerate(params):
                if key in p:
                    values[i] = p[key]
            results[f"param_{key}"] = values
        results["params"] = params
        for k in range(scores.shape[1]):
            results[f"split{k}_test_score"] = scores[:, k]
        results["mean_test_score"] = means
        results["std_test_score"] = scores.std(axis=1)
        ranked = np.where(np.isnan(means), -np.inf, means)
        results["rank_test_score"] = rankdata(-ranked, method="min").astype(np.int32)
        self.cv_results_ = results

        self.path_ = pd.DataFrame(
            {
                "round": [c.round for c in tried],
                "move": [c.move for c in tried],
                "changes": [_describe(c.changes, self._prefix) for c in tried],
                "verdict": [
                    c.diagnosis.verdict if c.diagnosis else None for c in tried
                ],
                "score": means,
                "score_std": scores.std(axis=1),
                "gain": [c.gain for c in tried],
                "noise": [c.noise for c in tried],
                "accepted": [c.accepted for c in tried],
                "diagnosis": [
                    c.diagnosis.message if c.diagnosis else None for c in tried
                ],
            }
        )
        self.best_index_ = tried.index(current)
        self.best_params_ = params[self.best_index_]
        self.best_score_ = float(means[self.best_index_])
        self.best_diagnosis_ = _with_tried_moves(
            current.diagnosis, [c for c in tried if c.round > current.round], prefix
        )
        self.best_histories_ = current.histories

    def get_metadata_routing(self):
        """The metadata routing of the search, as :class:`GridSearchCV`'s.

        With ``sklearn.set_config(enable_metadata_routing=True)``, what
        ``fit`` is given goes to the estimator's ``fit``, the splitter's
        ``split`` and the scorer as each requests it; the default scorer
        takes what the estimator's ``score`` requests
        (``set_score_request``), as :class:`GridSearchCV`'s does, and so
        does :meth:`score`.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRouter
            The routing of the estimator, the splitter and the scorer.

        Examples
        --------
        >>> import sklearn
        >>> from skdnn import DesignSearchCV, TaperedMLPClassifier
        >>> with sklearn.config_context(enable_metadata_routing=True):
        ...     net = TaperedMLPClassifier().set_fit_request(sample_weight=True)
        ...     routing = DesignSearchCV(net).get_metadata_routing()
        ...     sorted(routing.consumes("fit", ["sample_weight", "groups"]))
        ['sample_weight']
        """
        router = MetadataRouter(owner=self).add(
            estimator=self.estimator,
            method_mapping=MethodMapping().add(caller="fit", callee="fit"),
        )
        router.add(
            scorer=search_scorer(self.estimator, self.scoring),
            method_mapping=MethodMapping()
            .add(caller="fit", callee="score")
            .add(caller="score", callee="score"),
        )
        return router.add(
            splitter=self.cv,
            method_mapping=MethodMapping().add(caller="fit", callee="split"),
        )

    def _sk_visual_block_(self):
        # the HTML diagram (Jupyter) shows the accepted design once fitted,
        # as GridSearchCV's shows its best_estimator_ (not the start)
        try:
            from sklearn.utils._repr_html.estimator import _VisualBlock
        except ImportError:  # scikit-learn 1.6
            from sklearn.utils._estimator_html_repr import _VisualBlock

        fitted = getattr(self, "best_estimator_", None)
        key, estimator = ("best_estimator_", fitted)
        if fitted is None:
            key, estimator = "estimator", self.estimator
        return _VisualBlock(
            "parallel",
            [estimator],
            names=[f"{key}: {type(estimator).__name__}"],
            name_details=[str(estimator)],
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        sub = get_tags(self.estimator)
        tags.estimator_type = sub.estimator_type
        tags.classifier_tags = deepcopy(sub.classifier_tags)
        tags.regressor_tags = deepcopy(sub.regressor_tags)
        # multi-output targets go to the estimator as they are
        tags.target_tags.multi_output = sub.target_tags.multi_output
        # the search passes X through untouched: it takes what the estimator
        # takes (missing values, categorical and text columns)
        for name in ("sparse", "allow_nan", "categorical", "string", "pairwise"):
            setattr(tags.input_tags, name, getattr(sub.input_tags, name))
        return tags
