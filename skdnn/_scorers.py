"""The per-epoch scorers: tried on the target before a fit, quiet after."""

from __future__ import annotations

import contextlib
import functools
import inspect
import warnings

import numpy as np
from sklearn.metrics import check_scoring, get_scorer_names

from skdnn._user_warnings import (
    filtered_warnings,
    recorded_warnings,
    relay_warnings,
    user_stacklevel,
)


class _Oracle:
    """Stands in for an estimator and answers with the true targets.

    A scorer that cannot score a target (recall's ``pos_label=1`` when the
    labels are ``"no"`` and ``"yes"``, say) fails on the oracle as it would
    on the network, but before any epoch has run. A regressor's oracle
    predicts halfway between each target and their mean: a deviance that
    takes predictions above 0 only (Poisson's, of counts from 0) can score
    a valid target, which the target itself as prediction would not be.
    ``classes`` are a classifier's (its ``classes_``, or a search's labels).
    """

    def __init__(self, estimator, y, classes=None):
        self._tags = estimator.__sklearn_tags__()
        self._y = y
        if classes is not None:
            self.classes_ = classes
        elif self._tags.estimator_type == "regressor":
            y = np.asarray(y, dtype=float)
            self._y = (y + y.mean(axis=0)) / 2

    def __sklearn_tags__(self):
        return self._tags

    def predict(self, X):
        return self._y

    def score(self, X, y, sample_weight=None):
        """The estimator kind's own score of the oracle's predictions (a
        scorer may call ``score``, as the network has it)."""
        from sklearn.metrics import accuracy_score, r2_score

        is_regressor = self._tags.estimator_type == "regressor"
        metric = r2_score if is_regressor else accuracy_score
        return metric(y, self.predict(X), sample_weight=sample_weight)


class _ClassifierOracle(_Oracle):
    """An oracle with the probabilities of the true labels; a regressor's
    has none, so a scorer of probabilities fails on it as on the network."""

    def predict_proba(self, X):
        # (an array: a pandas Series cannot be indexed y[:, None])
        y = np.asarray(self._y)
        if y.ndim == 2 and y.shape[1] == 1:  # a column vector, raveled by fit
            y = y.ravel()
        if y.ndim == 2:  # multilabel: one column a label
            return y.astype(float)
        return (y[:, None] == np.asarray(self.classes_)[None, :]).astype(float)

    def predict_log_proba(self, X):
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))


def resolve_scorers(
    estimator, scoring, reserved: tuple[str, ...], recorded: str | None = None
) -> dict:
    """The per-epoch scorers of ``scoring``, keyed by their history column.

    ``scoring`` is None, a scorer name, a list or tuple of names, a callable
    scorer (``make_scorer(recall_score, pos_label="yes")``), recorded as
    ``"score"``, or a dict of column names to names or callables, as
    scikit-learn's searches take it. ``reserved`` are the columns every
    fit records already; the scorer name ``recorded`` among them is one
    whose score they record under that name, and asking for it adds nothing.
    """
    if scoring is None:
        return {}
    if isinstance(scoring, str):
        entries = [(scoring, scoring)]
    elif callable(scoring):
        entries = [("score", scoring)]
    elif isinstance(scoring, dict):
        entries = list(scoring.items())
        for key, value in entries:
            if not isinstance(key, str) or not key or key.startswith("val_"):
                raise ValueError(
                    "scoring's keys name columns of history_, so they must be "
                    f"non-empty strings without the 'val_' prefix; got {key!r}."
                )
            if not (isinstance(value, str) or callable(value)):
                raise ValueError(
                    f"scoring[{key!r}] must be a scorer name or a callable "
                    f"scorer; got {type(value).__name__}."
                )
    else:
        entries = []
        for name in scoring:
            if not isinstance(name, str):
                raise ValueError(
                    "scoring as a list or tuple must hold scorer names; got "
                    f"{name!r}. Pass callable scorers as a dict of column "
                    "names to scorers."
                )
            if name in dict(entries):
                raise ValueError(f"scoring names {name!r} twice.")
            entries.append((name, name))
    scorers = {}
    for name, scorer in entries:
        if name == recorded and scorer == recorded:
            continue  # history_ holds it as it is
        if name in reserved:
            hint = (
                " (the network's own, before any output shift); to record "
                "the estimator's, give it another column: "
                f"scoring={{'{name}_score': {name!r}}}"
                if isinstance(scorer, str) and name in get_scorer_names()
                else ""
            )
            raise ValueError(
                f"scoring names a column every fit records already, {name!r}{hint}."
            )
        if callable(scorer):
            scorers[name] = scorer
            continue
        try:
            scorers[name] = check_scoring(estimator, scoring=scorer)
        except ValueError as exc:
            raise ValueError(
                f"scoring contains {scorer!r}, which is not a scikit-learn "
                "scorer name (see sklearn.metrics.get_scorer_names())."
            ) from exc
    return scorers


def saveable_scoring(scoring) -> tuple[object, list[str]]:
    """``scoring`` without its callable scorers, and the names they had."""
    if callable(scoring) and not isinstance(scoring, str):
        return None, ["score"]
    if not isinstance(scoring, dict):
        return scoring, []
    kept = {k: v for k, v in scoring.items() if isinstance(v, str)}
    dropped = [k for k in scoring if k not in kept]
    return (kept or None), dropped


def _naming_the_class(scorer, label) -> tuple[str, str]:
    """The metric of ``scorer``, short, and its ``make_scorer`` naming the
    positive class ``label`` (recall's for a callable of unknown make: a
    lambda, a partial with positional arguments, a scorer function)."""
    func = getattr(scorer, "_score_func", None)
    kwargs = dict(getattr(scorer, "_kwargs", None) or {})
    if isinstance(func, functools.partial) and not func.args:
        # make_scorer(partial(fbeta_score, beta=2)): its keywords are needed
        func, kwargs = func.func, {**func.keywords, **kwargs}
    name = getattr(func, "__name__", "")
    if func is None or not name.isidentifier():  # (a lambda is '<lambda>')
        return "recall", f"make_scorer(recall_score, pos_label={label!r})"
    kwargs.pop("pos_label", None)
    try:  # the arguments it needs, not the defaults a built-in scorer names
        defaults = {k: p.default for k, p in inspect.signature(func).parameters.items()}
    except (TypeError, ValueError):
        defaults = {}
    kept = {
        k: v
        for k, v in kwargs.items()
        if not (k in defaults and isinstance(v, str | bool | None) and v == defaults[k])
    }
    args = [name, *(f"{k}={v!r}" for k, v in kept.items()), f"pos_label={label!r}"]
    if getattr(scorer, "_sign", 1) < 0:
        args.append("greater_is_better=False")
    method = getattr(scorer, "_response_method", "predict")
    if method != "predict":
        args.append(f"response_method={method!r}")
    key = name.removesuffix("_score").removesuffix("_loss")
    return key, f"make_scorer({', '.join(args)})"


def try_scorers(estimator, scorers: dict, y, *, classes=None, one=False) -> None:
    """Score the true targets ``y`` with each of ``scorers`` before training.

    ``classes`` stands in for the ``classes_`` of an estimator not fitted
    yet (a search's); ``one`` says the caller takes one scorer, not a dict
    of them, for the hint's example.

    Raises
    ------
    ValueError
        Naming the scorer that cannot score this target, and why.
    """
    if classes is None:
        classes = getattr(estimator, "classes_", None)
    has_classes = classes is not None
    oracle = (_ClassifierOracle if has_classes else _Oracle)(estimator, y, classes)
    X = np.zeros((len(y), 1))
    for name, scorer in scorers.items():
        try:
            with filtered_warnings({"action": "ignore"}):
                scorer(oracle, X, y)
        except AttributeError as exc:
            methods = ("decision_function", "predict_proba", "predict_log_proba")
            wanted = [m for m in methods if m in str(exc)]
            if has_classes or not wanted:
                # something else the stand-in lacks: the network may have
                # it, so the scorer is left to the epochs
                continue
            raise ValueError(
                f"scoring={name!r} needs {' or '.join(wanted)}, which "
                f"{type(estimator).__name__} does not have: a regressor "
                "predicts values. Use a regression scorer, e.g. 'r2' or "
                "'neg_mean_absolute_error'."
            ) from exc
        except (ValueError, TypeError) as exc:
            hint = ""
            if "pos_label" in str(exc):
                labels = np.asarray(classes if has_classes else []).tolist()
                key, named = _naming_the_class(scorer, labels[-1])
                instead = (
                    f"use '{key}_macro' or 'balanced_accuracy', or "
                    if f"{key}_macro" in get_scorer_names()
                    else ""
                )
                hint = (
                    f" A scorer of the positive class scores pos_label=1, which "
                    f"is not one of the classes {labels}: {instead}name the "
                    "class to find, e.g. "
                    + (f"scoring={named}." if one else f"scoring={{{key!r}: {named}}}.")
                )
            elif "multi_class must be in" in str(exc):
                hint = (
                    " For a multiclass target use 'roc_auc_ovr' or "
                    "'roc_auc_ovo' (or their '_weighted' variants)."
                )
            elif "average='binary'" in str(exc) and isinstance(name, str):
                hint = (
                    f" Use an average over the classes, e.g. '{name}_macro' "
                    "(or '_micro', '_weighted')."
                    if f"{name}_macro" in get_scorer_names()
                    else ""
                )
            reason = _reason(exc)
            if hint and not reason.endswith("."):
                reason += "."
            raise ValueError(
                f"scoring={name!r} cannot score this target: {reason}{hint}"
            ) from exc


def _reason(exc: Exception) -> str:
    """A scorer's error message, cut after 300 characters (a dump of the
    values it scored)."""
    reason = str(exc).strip()
    if len(reason) > 300:
        reason = reason[:300].rsplit(" ", 1)[0] + " ..."
    return reason


def score_epoch(name: str, scorer, snapshot, rows) -> float:
    """``scorer`` of the network after an epoch on ``rows`` (X, y); NaN, with
    a warning, when it cannot score that epoch's predictions.

    A deviance of a prediction at or below 0 (Poisson's, Gamma's) is
    undefined: the epoch's score is missing, as a failed fold's is in
    scikit-learn's searches, and training goes on.
    """
    try:
        return scorer(snapshot, *rows)
    except ValueError as exc:
        warnings.warn(
            f"scoring={name!r} could not score the predictions of some "
            f"epochs ({_reason(exc)}); history_ holds NaN for them.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
        return float("nan")


@contextlib.contextmanager
def warnings_once(seen: set | None):
    """Show each warning raised inside the block once while ``seen`` lives.

    The scorers run every epoch, and an undefined metric warned at every
    one; ``seen`` (one set a fit) holds the warnings shown already. In a
    thread other than the main one the warnings go as they come (see
    :func:`~skdnn._user_warnings.recorded_warnings`).
    """
    seen = set() if seen is None else seen
    with recorded_warnings() as caught:
        yield
    relay_warnings(caught, seen)
