"""What one fold of a design search does, the check before any fold, and
how the search's last diagnosis names the moves it tried.

:class:`~skdnn._search.DesignSearchCV` cuts the folds once and fits every
candidate on each in parallel; a fold's fit or score that fails fails its
candidate, not the search, so each fold reports what went wrong instead of
raising. The target is checked once, as the network's ``fit`` checks it,
before any fold is cut.
"""

from __future__ import annotations

import numbers
import time
from dataclasses import replace

import numpy as np
from sklearn.base import is_classifier
from sklearn.metrics import check_scoring
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch, _safe_indexing
from sklearn.utils.metadata_routing import (
    _routing_enabled,
    get_routing_for_object,
    process_routing,
)
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _num_samples

from skdnn._columns import checked_targets
from skdnn._epochs import STOP_ON_INTERRUPT
from skdnn._user_warnings import (
    filtered_warnings,
    recorded_warnings,
    relay_warnings,
)


def error_kind(exc: BaseException) -> str:
    """How a search re-raises a failed start: ``"parameter"`` for
    scikit-learn's InvalidParameterError (a ValueError and a TypeError
    both), ``"type"`` for another TypeError, ``"value"`` otherwise."""
    if isinstance(exc, TypeError):
        return "parameter" if isinstance(exc, ValueError) else "type"
    return "value"


def raised_as(kind: str, message: str) -> Exception:
    """The exception of :func:`error_kind`'s ``kind``, with ``message``."""
    from sklearn.utils._param_validation import InvalidParameterError

    error = {"parameter": InvalidParameterError, "type": TypeError}
    return error.get(kind, ValueError)(message)


def fit_fold(estimator, X, y, train, test, scorer, fit_params, score_params=None):
    """Fit one fold and score it; a failed fit or score is NaN and says why
    (``error``; ``kind``: :func:`error_kind` of the exception).

    The warnings of the fit and the scorer that the filters in force let
    through (the caller's: scikit-learn's ``Parallel`` hands them to its
    workers) come back as ``(category, message)`` pairs (``warnings``), for
    the search to show once each in the caller's process: a column's
    warning came once a fit, 27 times in a search.
    """
    with recorded_warnings() as caught:
        result = _fit_and_score(
            estimator, X, y, train, test, scorer, fit_params, score_params
        )
    result["warnings"] = caught
    return result


def _fit_and_score(estimator, X, y, train, test, scorer, fit_params, score_params):
    X_train, y_train = _safe_indexing(X, train), _safe_indexing(y, train)
    params = _rows_of(fit_params, train, _num_samples(X))
    score_params = _rows_of(score_params or {}, test, _num_samples(X))
    start = time.perf_counter()
    stop_on_interrupt = STOP_ON_INTERRUPT.set(True)  # in a worker too
    try:
        estimator.fit(X_train, y_train, **params)
    except Exception as exc:  # a failed fit fails its candidate, not the search
        return {
            "score": np.nan,
            "fit_time": time.perf_counter() - start,
            "score_time": 0.0,
            "estimator": None,
            "error": f"{type(exc).__name__}: {exc}",
            "kind": error_kind(exc),
        }
    finally:
        STOP_ON_INTERRUPT.reset(stop_on_interrupt)
    fit_time = time.perf_counter() - start
    start = time.perf_counter()
    try:
        X_test, y_test = _safe_indexing(X, test), _safe_indexing(y, test)
        score = scorer(estimator, X_test, y_test, **score_params)
    except Exception as exc:  # e.g. a Poisson deviance of a negative prediction
        return {
            "score": np.nan,
            "fit_time": fit_time,
            "score_time": time.perf_counter() - start,
            "estimator": None,
            "error": f"scoring failed: {type(exc).__name__}: {exc}",
            "kind": error_kind(exc),
        }
    return {
        "score": float(score),
        "fit_time": fit_time,
        "score_time": time.perf_counter() - start,
        "estimator": estimator,
        "error": None,
    }


def refit(estimator, X, y, fit_params: dict, seen: set) -> float:
    """Fit the accepted design on all the rows; the seconds it took.

    Ctrl-C stops the search rather than the refit's epochs (a refit cut
    short is no answer); the warnings the folds showed already (``seen``,
    see :func:`fit_fold`) are not shown again.
    """
    start = time.perf_counter()
    stop_on_interrupt = STOP_ON_INTERRUPT.set(True)
    try:
        with recorded_warnings() as caught:
            estimator.fit(X, y, **fit_params)
    finally:
        STOP_ON_INTERRUPT.reset(stop_on_interrupt)
    relay_warnings(caught, seen)
    return time.perf_counter() - start


def check_targets(final, y) -> None:
    """The network's own checks of ``y``, once before any fold is cut.

    A target the network refuses (a missing label, NaN, text for a
    regressor) is named as its ``fit`` names it, rather than failing some
    folds' fits and then a scorer inside another fold.
    """
    if y is None:
        raise ValueError(
            f"{type(final).__name__} requires y to be passed, but the target y is None."
        )
    if not hasattr(final, "_check_target_values"):
        return
    with filtered_warnings({"action": "ignore"}):  # each fold's fit warns
        final._check_y(checked_targets(final, y))


#: Fit parameters of a validation set given to every fold whole (not rows of
#: X, even when as many: GridSearchCV would cut them with the folds).
_WHOLE = {"X_val", "y_val", "sample_weight_val", "validation_data"}


def _rows_of(params: dict, rows, n: int) -> dict:
    """``params`` with each array of one value per row cut to ``rows``."""
    return {
        key: _safe_indexing(value, rows)
        if hasattr(value, "__len__")
        and not isinstance(value, str | dict)
        and len(value) == n
        and key.rsplit("__", 1)[-1] not in _WHOLE
        else value
        for key, value in params.items()
    }


def check_row_weights(params: dict, n: int) -> None:
    """A ``sample_weight`` of another length than X's rows, named before
    the folds cut it (each fold's fit named its own size, not X's)."""
    for key, value in params.items():
        if key.rsplit("__", 1)[-1] != "sample_weight" or value is None:
            continue
        count = len(value) if hasattr(value, "__len__") else None
        if count is not None and not isinstance(value, str | dict) and count != n:
            raise ValueError(
                f"{key} has {count} values; it needs one for each of the {n} rows of X."
            )


def short_repr(value, most: int = 80) -> str:
    """``repr(value)``, or its type's name when longer than ``most``
    characters (a list of index arrays, say)."""
    text = repr(value)
    return text if len(text) <= most else f"a {type(value).__name__}"


def search_scorer(estimator, scoring, y=None):
    """The scorer of a design search: ``scoring``; by default balanced
    accuracy for a classifier of one label per row, else the estimator's
    ``score``. Without ``y`` (the search's metadata routing), the default
    stands in for either.

    With metadata routing, the default scorer takes ``sample_weight`` when
    the estimator's own ``score`` requests it (``set_score_request``), as
    the default scorer of scikit-learn's searches does, and otherwise none
    (where those searches refuse a request left unset).
    """
    if scoring is not None:
        return check_scoring(estimator, scoring)
    if not is_classifier(estimator):
        if y is not None:
            return check_scoring(estimator)
        scorer = check_scoring(estimator, "r2")
    elif y is None or type_of_target(y) in ("binary", "multiclass"):
        scorer = check_scoring(estimator, "balanced_accuracy")
    else:  # multilabel: the estimator's score
        return check_scoring(estimator)
    if _routing_enabled():
        routing = get_routing_for_object(estimator)
        request = getattr(getattr(routing, "score", None), "requests", None)
        if request is not None:  # an estimator: its request, an alias too
            wanted = request.get("sample_weight")
            alias = isinstance(wanted, str) and wanted.isidentifier()
            wanted = wanted if wanted is True or alias else False
        else:  # a Pipeline: whether its last step takes them
            wanted = bool(routing.consumes("score", ["sample_weight"]))
        scorer = scorer.set_score_request(sample_weight=wanted)
    return scorer


def routed_params(search, fit_params: dict, groups) -> Bunch:
    """Where the metadata passed to ``search.fit`` goes, as scikit-learn's
    searches route it: with metadata routing enabled, to what each of the
    estimator, the splitter and the scorer requests (an unrequested
    ``sample_weight`` is an error); otherwise every fit parameter to the
    estimator's ``fit`` and ``groups`` to the splitter."""
    if _routing_enabled():
        if groups is not None:
            fit_params = {**fit_params, "groups": groups}
        return process_routing(search, "fit", **fit_params)
    return Bunch(
        estimator=Bunch(fit=fit_params),
        splitter=Bunch(split={"groups": groups}),
        scorer=Bunch(score={}),
    )


def _final_step_and_prefix(estimator) -> tuple[object, str]:
    """The last step of a (nested) Pipeline, and its parameters' prefix."""
    prefix = ""
    while isinstance(estimator, Pipeline):
        name, estimator = estimator.steps[-1]
        prefix += f"{name}__"
    return estimator, prefix


def searched_network(estimator) -> tuple[object, str]:
    """The network a design search changes (the estimator, or a Pipeline's
    last step) and its parameters' prefix; TypeError for anything else."""
    if isinstance(estimator, type):
        raise TypeError(
            f"estimator must be an estimator instance, e.g. {estimator.__name__}"
            f"(); got the class {estimator.__name__}."
        )
    final, prefix = _final_step_and_prefix(estimator)
    params = final.get_params(deep=False)
    missing = [p for p in ("hidden_layer_sizes", "dropout") if p not in params]
    if missing:
        wrapper = type(final).__name__
        raise TypeError(
            "DesignSearchCV searches the design of a skdnn network: the "
            "estimator must be a TaperedMLPClassifier or TaperedMLPRegressor, or "
            f"a Pipeline ending in one; got {wrapper}, which lacks {missing}. A "
            "model that wraps the network goes around the search instead, e.g. "
            "TransformedTargetRegressor(DesignSearchCV(TaperedMLPRegressor()), "
            "func=np.log1p, inverse_func=np.expm1)."
        )
    return final, prefix


def _describe(changes: dict, prefix: str = "") -> str:
    """The changes of a move, its parameters named as ``set_params`` of the
    searched estimator takes them (``prefix``: a Pipeline's ``net__``)."""
    return ", ".join(
        f"{prefix}{k}: {old!r} -> {new!r}" for k, (old, new) in changes.items()
    )


def _listed(candidates, prefix: str = "") -> str:
    """The candidates' moves, each with its changes (see :func:`_describe`)."""
    return "; ".join(f"{c.move} ({_describe(c.changes, prefix)})" for c in candidates)


def _with_tried_moves(diagnosis, challengers, prefix=""):
    """``diagnosis`` with a first line of advice naming the ``challengers``.

    Every candidate of the rounds after the last accepted design's challenged
    it and lost: the curves' own advice may suggest one of them again (the
    search does not try a design twice), so the line says what each gained.
    """
    if diagnosis is None or not challengers:
        return diagnosis

    def outcome(c):
        if not np.isfinite(c.gain):
            return "its fits failed"
        if c.gain == 0 and c.noise == 0:
            return "the same score on every fold"
        return f"gain {c.gain:+.3g}, noise {c.noise:.3g}"

    tried = "; ".join(
        f"{c.move} ({_describe(c.changes, prefix)}): {outcome(c)}" for c in challengers
    )
    line = (
        "the search tried from this design, none beating it by more than the "
        f"fold noise: {tried}"
    )
    noted = [
        _note_tried(step, challengers, outcome, prefix) for step in diagnosis.advice
    ]
    # a step whose direction the search measured to lose beyond the fold
    # noise goes after the others, with the "or ..." steps that follow it
    # (a pure-noise target was first told to raise the learning rate to
    # 0.01, after 0.003 had lost -0.02 against noise 0.0082)
    groups = []
    for step, lost in noted:
        if groups and step.startswith("or "):
            groups[-1][0].append(step)
            groups[-1][1] |= lost
        else:
            groups.append([[step], lost])
    advice = [s for steps, lost in groups if not lost for s in steps] + [
        s for steps, lost in groups if lost for s in steps
    ]
    return replace(diagnosis, advice=(line, *advice))


def _note_tried(step: str, challengers, outcome, prefix="") -> tuple[str, bool]:
    """``step`` with a note on each of its settings a challenger made and
    lost with ("early_stopping=True" advised after it lost 0.012), or, where
    none made that number, on a number a challenger made on the way to it
    (the search moves a rung at a time: "dropout=0.5" advised after 0.3,
    from 0.1, lost); and whether one of them lost by more than its fold
    noise. ``prefix``: a Pipeline's step prefix (``net__``), which the
    advice's settings carry and the challengers' changes do not."""
    import ast

    from skdnn._cli_outputs import _SETTING

    notes, lost = [], False
    for name, text in _SETTING.findall(step):
        text = text.rstrip(".")  # the end of a sentence
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            continue
        # a Pipeline's advice names its settings net__l2, the moves' l2
        key = name.removeprefix(prefix)
        changed = [c for c in challengers if key in c.changes]
        same = [c for c in changed if _same_value(c.changes[key][1], value)]
        on_the_way = [c for c in changed if _between(*c.changes[key], value)]
        for c in (same or on_the_way)[:1]:
            others = [f"{prefix}{k}" for k in c.changes if k != key]
            along = f" (with {', '.join(others)})" if others else ""
            tried = text if same else repr(c.changes[key][1])
            notes.append(f"{name}={tried} was tried{along}: {outcome(c)}")
            lost |= bool(np.isfinite(c.gain) and c.gain < -c.noise)
    return (f"{step} ({'; '.join(notes)})" if notes else step), lost


def _between(start, tried, advised) -> bool:
    """Whether the number ``tried`` lies strictly between ``start`` and
    ``advised``: a rung on the way to the advice."""
    values = (start, tried, advised)
    if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
        return False
    return start < tried < advised or start > tried > advised


def _same_value(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False
