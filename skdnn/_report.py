"""evaluation_report: the train / test / "pure" table, computed by scikit-learn.

A classifier is judged by recall first: besides the averaged scores, the
table has the balanced accuracy and the recall of every class, so the
minority class's recall is never hidden behind the positive class's. A
regressor gets R², mean absolute error and root mean squared error.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import is_regressor
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    mean_absolute_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    root_mean_squared_error,
)
from sklearn.preprocessing import label_binarize
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _num_samples, check_is_fitted

from skdnn._columns import _first_of
from skdnn._user_warnings import user_stacklevel

__all__ = ["evaluation_report"]

_AVERAGES = ("binary", "micro", "macro", "weighted", "samples")
# roc_auc_score accepts fewer averages than the threshold metrics for
# multiclass targets; others fall back to macro.
_MULTICLASS_AUC_AVERAGES = ("micro", "macro", "weighted")


def evaluation_report(
    estimator,
    datasets: Mapping,
    *,
    pos_label=None,
    average: str | None = None,
) -> pd.DataFrame:
    """Scores of a fitted model on several data sets, one row per set.

    One row per data set, in the order given: the table a practitioner
    compares designs with (train / test / a further held-out set), computed by
    :mod:`sklearn.metrics` on the estimator's predictions, so each value
    equals the matching scikit-learn function called on the same
    predictions. A classifier gets accuracy, balanced accuracy, recall,
    precision, F1, the recall of each class and ROC AUC; a regressor gets
    R², MAE and RMSE.

    Parameters
    ----------
    estimator : fitted classifier, regressor or Pipeline
        Any fitted scikit-learn classifier or regressor, not only
        :class:`~skdnn.TaperedMLPClassifier` and
        :class:`~skdnn.TaperedMLPRegressor`.
    datasets : dict of str to (X, y)
        Data set name to its features and true targets, e.g.
        ``{"train": (X_train, y_train), "test": (X_test, y_test)}``.
    pos_label : int, float, bool or str, default=None
        Class counted as positive for binary targets. None follows
        scikit-learn's rule, the class ``scoring="recall"`` scores: ``1``
        (or ``True``) when it is a class, otherwise the greater class
        label, ``classes_[-1]``. Only valid for binary targets.
    average : {"binary", "micro", "macro", "weighted", "samples"}, \
            default=None
        Averaging of recall, precision and F1, as in
        :func:`~sklearn.metrics.recall_score`. None means ``"binary"`` for
        binary targets and ``"macro"`` for multiclass and multilabel ones.
        Not valid for a regressor.

    Returns
    -------
    report : pandas.DataFrame
        Index ``dataset`` (the keys of ``datasets``). For a classifier,
        columns ``accuracy``, ``balanced_accuracy`` (binary and multiclass
        targets), ``recall``, ``precision``, ``f1``, one ``recall_<class>``
        per class (in the order of ``classes_``; per label, ``recall_0``
        onwards, for multilabel targets), ``support`` (number of samples) and, when the
        estimator has ``predict_proba``, ``roc_auc``. For a regressor,
        ``r2``, ``mae``, ``rmse`` and ``support``.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.
    TypeError
        If ``datasets`` is not a dict of (X, y) pairs.
    ValueError
        If ``datasets`` is empty, or ``pos_label`` or ``average`` does not
        fit the target (or is given for a regressor).

    Warns
    -----
    UserWarning
        When ``pos_label`` is None and scikit-learn's rule makes the positive
        class the majority of the rows scored: ``recall``, ``precision``,
        ``f1`` and ``roc_auc`` then score the majority, and the message names
        the minority's ``recall_<class>`` column and the ``pos_label`` that
        scores it. Passing ``pos_label`` silences it.

    See Also
    --------
    skdnn.diagnose : Read the learning curves of the same fit.
    sklearn.metrics.classification_report : Per-class scores on one set.

    Notes
    -----
    ``accuracy`` is :func:`~sklearn.metrics.accuracy_score` (subset
    accuracy for multilabel targets); ``balanced_accuracy`` is
    :func:`~sklearn.metrics.balanced_accuracy_score`, the mean of the
    per-class recalls; ``recall_<class>`` is
    :func:`~sklearn.metrics.recall_score` with ``average=None``, one column
    per class whatever ``pos_label`` says, NaN on a set without that class
    (for multilabel targets one per label, ``recall_0`` for the indicator
    matrix's first column, NaN on a set where no row has the label);
    ``recall``, ``precision`` and ``f1``
    are :func:`~sklearn.metrics.recall_score`,
    :func:`~sklearn.metrics.precision_score` and
    :func:`~sklearn.metrics.f1_score` with ``average`` (and ``pos_label``
    when the average is ``"binary"``). For a single-label target,
    ``recall`` leaves out a class the set lacks (``zero_division=np.nan``),
    as ``recall_<class>`` does: on a set without positives the binary
    recall is NaN, not 0, and the macro recall is the balanced accuracy,
    even when the model predicts a class the set lacks. ``precision``,
    ``f1`` and multilabel recalls keep scikit-learn's default
    ``zero_division``. ``roc_auc`` is :func:`~sklearn.metrics.roc_auc_score`
    on ``predict_proba``: for binary targets, of the positive class's
    column against ``y == pos_label``; for multiclass targets, one-vs-rest
    with ``average`` when it is ``"micro"``, ``"macro"`` or ``"weighted"``
    (macro otherwise), the macro and weighted averages over the classes
    present in the set; for multilabel targets, per label with ``average``
    (``"binary"`` is not an option there). It is NaN, with scikit-learn's
    warning, on a set where it is undefined (a single class present).

    For a regressor, ``r2`` is :func:`~sklearn.metrics.r2_score`, ``mae``
    :func:`~sklearn.metrics.mean_absolute_error` and ``rmse``
    :func:`~sklearn.metrics.root_mean_squared_error`, each averaged
    uniformly over the outputs of a multi-output target.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdnn._report import evaluation_report
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> clf = make_pipeline(StandardScaler(), LogisticRegression())
    >>> clf = clf.fit(X_train, y_train)
    >>> sets = {"train": (X_train, y_train), "test": (X_test, y_test)}
    >>> report = evaluation_report(clf, sets, pos_label=0)  # 0: malignant
    >>> list(report.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['accuracy', 'balanced_accuracy', 'recall', 'precision', 'f1',
     'recall_0', 'recall_1', 'support', 'roc_auc']
    >>> report["support"].tolist()
    [426, 143]
    >>> bool(report.loc["test", "recall"] == report.loc["test", "recall_0"])
    True

    A regressor's table:

    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> X, y = load_diabetes(return_X_y=True)
    >>> ridge = Ridge().fit(X[:300], y[:300])
    >>> report = evaluation_report(ridge, {"train": (X[:300], y[:300]),
    ...                                    "test": (X[300:], y[300:])})
    >>> list(report.columns)
    ['r2', 'mae', 'rmse', 'support']
    >>> report["support"].tolist()
    [300, 142]
    """
    check_is_fitted(estimator)
    datasets = _check_datasets(datasets)
    if is_regressor(estimator):
        return _regression_report(estimator, datasets, pos_label, average)
    if average is not None and average not in _AVERAGES:
        raise ValueError(
            f"average must be None or one of {list(_AVERAGES)}; got {average!r}."
        )
    kind = _target_kind(estimator, datasets)
    classes = _classes(estimator, datasets)
    if kind != "multilabel" and hasattr(estimator, "classes_"):
        check_known_labels(classes, datasets)
    if kind == "binary":
        given, pos_label = pos_label, _positive_class(classes, pos_label)
        if given is None:
            _warn_if_positive_is_majority(datasets, classes, pos_label)
        average = average or "binary"
    else:
        if pos_label is not None:
            raise ValueError(
                f"pos_label={pos_label!r} is only valid for binary targets; this "
                f"target is {kind}. Choose an average instead."
            )
        average = average or "macro"
        if average == "binary":
            raise ValueError(
                f'average="binary" is only valid for binary targets; this target '
                f"is {kind}. Use 'macro', 'micro' or 'weighted'."
            )
    if kind != "multilabel" and average == "samples":
        raise ValueError('average="samples" is only valid for multilabel targets.')
    threshold_kw = {"average": average}
    if average == "binary":
        threshold_kw["pos_label"] = pos_label
    has_proba = hasattr(estimator, "predict_proba")
    # undefined for a class the set lacks: left out, as in recall_<class>
    recall_kw = {} if kind == "multilabel" else {"zero_division": np.nan}

    rows = []
    for X, y in datasets.values():
        y_pred = estimator.predict(X)
        row = {"accuracy": accuracy_score(y, y_pred)}
        if kind != "multilabel":
            row["balanced_accuracy"] = balanced_accuracy_score(y, y_pred)
        row |= {
            "recall": recall_score(y, y_pred, **threshold_kw, **recall_kw),
            "precision": precision_score(y, y_pred, **threshold_kw),
            "f1": f1_score(y, y_pred, **threshold_kw),
        }
        row |= (
            _label_recalls(y, y_pred)
            if kind == "multilabel"
            else _class_recalls(y, y_pred, classes)
        )
        row["support"] = _num_samples(y)
        if has_proba:
            row["roc_auc"] = _roc_auc(
                estimator, X, y, kind, classes, pos_label, average
            )
        rows.append(row)
    report = pd.DataFrame(rows, index=pd.Index(list(datasets), name="dataset"))
    return report.astype({"support": np.int64})


def _class_recalls(y, y_pred, classes) -> dict:
    """``recall_<class>`` of every class; NaN for a class absent from ``y``."""
    recalls = recall_score(
        y, y_pred, labels=classes, average=None, zero_division=np.nan
    )
    return {
        f"recall_{label}": float(value)
        for label, value in zip(classes.tolist(), recalls, strict=True)
    }


def _label_recalls(y, y_pred) -> dict:
    """``recall_<i>`` of every label ``i`` (column) of a multilabel target;
    NaN for a label no row of ``y`` has. The macro recall hid a label found
    on no row: 0.522 over four labels, one of them at 0."""
    recalls = recall_score(y, y_pred, average=None, zero_division=np.nan)
    return {f"recall_{i}": float(value) for i, value in enumerate(recalls)}


def _regression_report(estimator, datasets, pos_label, average) -> pd.DataFrame:
    for name, value in (("pos_label", pos_label), ("average", average)):
        if value is not None:
            raise ValueError(
                f"{name}={value!r} is only valid for a classifier; "
                f"{type(estimator).__name__} is a regressor."
            )
    rows = []
    for X, y in datasets.values():
        y_pred = estimator.predict(X)
        rows.append(
            {
                "r2": r2_score(y, y_pred),
                "mae": mean_absolute_error(y, y_pred),
                "rmse": root_mean_squared_error(y, y_pred),
                "support": _num_samples(y),
            }
        )
    report = pd.DataFrame(rows, index=pd.Index(list(datasets), name="dataset"))
    return report.astype({"support": np.int64})


def _check_datasets(datasets) -> dict:
    if not isinstance(datasets, Mapping):
        raise TypeError(
            "datasets must be a dict of name to (X, y), e.g. "
            '{"train": (X_train, y_train), "test": (X_test, y_test)}; got '
            f"{type(datasets).__name__}."
        )
    if not datasets:
        raise ValueError("datasets is empty: pass at least one (X, y) pair.")
    checked = {}
    for name, pair in datasets.items():
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise TypeError(
                f"datasets[{name!r}] must be an (X, y) pair; got {type(pair).__name__}."
            )
        X, y = pair
        # a sparse multilabel indicator matrix, as fit takes it: scikit-learn's
        # ROC AUC reads only dense targets (a matrix of labels, never large)
        if isinstance(y, pd.DataFrame):  # pandas sparse columns, the same
            y = y.apply(
                lambda c: (
                    c.sparse.to_dense() if isinstance(c.dtype, pd.SparseDtype) else c
                )
            )
        checked[name] = (X, y.toarray() if sparse.issparse(y) else y)
    return checked


def _target_kind(estimator, datasets) -> str:
    """ "binary", "multiclass" or "multilabel"; ValueError for several
    outputs of classes (which scikit-learn's metrics do not score)."""
    kinds = [type_of_target(y) for _, y in datasets.values()]
    classes = getattr(estimator, "classes_", None)
    per_output = isinstance(classes, list) and any(
        np.ndim(c) == 1 and len(c) > 2 for c in classes
    )
    if "multiclass-multioutput" in kinds or per_output:
        raise ValueError(
            "evaluation_report scores a target of one label per row, or a "
            "multilabel indicator matrix; this target has several outputs of "
            "classes (multiclass-multioutput), which scikit-learn's metrics "
            "do not score. Report each output on its own (an estimator per "
            "output, as MultiOutputClassifier.estimators_ holds them)."
        )
    if kinds[0] == "multilabel-indicator":
        return "multilabel"
    if classes is None:
        classes = _classes(estimator, datasets)
    return "binary" if len(classes) <= 2 else "multiclass"


def _classes(estimator, datasets) -> np.ndarray:
    """The estimator's classes, or the labels seen in the data sets."""
    classes = getattr(estimator, "classes_", None)
    if classes is not None:
        return np.asarray(classes, dtype=object if _is_ragged(classes) else None)
    labels = [np.asarray(y).ravel() for _, y in datasets.values()]
    return np.unique(np.concatenate(labels))


def check_known_labels(classes, datasets: dict) -> None:
    """Refuse a data set whose target holds a label outside ``classes``.

    A label the estimator never saw can never be predicted; scikit-learn's
    metrics would take it for another kind of target and say so obscurely.
    """
    known = set(np.asarray(classes).tolist())
    for name, (_, y) in datasets.items():
        seen = pd.unique(np.asarray(y, dtype=object).ravel()).tolist()
        unknown = [label for label in seen if label not in known]
        if unknown:
            hint = ""
            if {str(label) for label in unknown} <= {str(c) for c in known}:
                kinds = sorted({type(label).__name__ for label in unknown})
                hint = (
                    f" They read as the classes but are of type {kinds}, the "
                    f"classes of {type(next(iter(known))).__name__}: convert "
                    "the target to the classes' type."
                )
            elif len(unknown) > 2 * len(known) and all(
                isinstance(label, float) for label in unknown
            ):
                hint = (
                    " A target of many distinct numbers is continuous: is this "
                    "a regression target, scored with a classifier?"
                )
            raise ValueError(
                f"The target of {name!r} holds {len(unknown)} label(s) the "
                f"estimator was not trained on: {_listed(unknown)}; its classes "
                f"are {_listed(known)}.{hint}"
            )


def _listed(labels, most: int = 10) -> str:
    """The sorted labels as Python writes them (``5``, ``'5'``), the first
    ``most`` and a count of the rest."""
    values = [v.item() if isinstance(v, np.generic) else v for v in labels]
    try:
        values.sort()
    except TypeError:  # of several types: by type, then as text
        values.sort(key=lambda v: (type(v).__name__, str(v)))
    return _first_of(values, most)


def _is_ragged(classes) -> bool:
    # multilabel scikit-learn estimators keep one array of classes per label
    return isinstance(classes, list) and any(np.ndim(c) for c in classes)


def _positive_class(classes, pos_label):
    """The class counted as positive in a binary problem."""
    if pos_label is not None:
        if not any(pos_label == c for c in classes):
            raise ValueError(
                f"pos_label={pos_label!r} is not a class of the estimator; "
                f"choose one of {classes.tolist()}."
            )
        return pos_label
    # scikit-learn's default pos_label=1 when 1 is a class (0/1, -1/1,
    # False/True...), the greater label otherwise
    for label in classes:
        if isinstance(label, numbers.Number | np.bool_) and label == 1:
            return label
    return classes[-1]


def majority_positive(labels, classes, positive) -> tuple[float, object] | None:
    """``(share, minority)`` when the ``positive`` class is the majority of
    ``labels`` (its share), ``minority`` the other of the two ``classes``;
    None otherwise, or where every label is the positive class (no minority
    to point to)."""
    labels = np.asarray(labels)
    share = float(np.mean(labels == positive)) if labels.size else 0.0
    if not 0.5 < share < 1.0:
        return None
    return share, next(c for c in classes if not c == positive)


def _warn_if_positive_is_majority(datasets: dict, classes, pos_label) -> None:
    """Warn when scikit-learn's rule made the majority class the positive one.

    ``recall``, ``precision``, ``f1`` and ``roc_auc`` then score the class the
    model finds most easily: a logistic regression on lending_club (5 %
    'bad') read recall 0.993 and F1 0.969 while it found none of the bad
    loans. The minority's recall is in its own column; the warning names it
    and the ``pos_label`` that scores it. An explicit ``pos_label`` silences
    it.
    """
    # the rows of every set together: a set drawn near even odds can tip
    # either way, the table's classes do not
    labels = np.concatenate([np.asarray(y).ravel() for _, y in datasets.values()])
    majority = majority_positive(labels, classes, pos_label)
    if majority is None:
        return
    share, minority = majority
    positive, other = (np.asarray(c).item() for c in (pos_label, minority))
    warnings.warn(
        f"The positive class {positive!r} (pos_label=None: 1 when it is a "
        f"class, else the greater label) is the majority of the rows scored "
        f"({share:.0%}): recall, precision, f1 and roc_auc score it, not the "
        f"minority class {other!r}, whose recall is in recall_{minority}. Use "
        f"the `pos_label` parameter to choose the positive class: "
        f"pos_label={other!r} scores the minority, pos_label={positive!r} "
        "keeps this choice without this warning.",
        UserWarning,
        stacklevel=user_stacklevel(),
    )


def _roc_auc(estimator, X, y, kind, classes, pos_label, average) -> float:
    proba = estimator.predict_proba(X)
    if kind == "binary":
        column = next(i for i, c in enumerate(classes) if c == pos_label)
        return roc_auc_score(np.asarray(y) == pos_label, proba[:, column])
    if kind == "multiclass":
        if average not in _MULTICLASS_AUC_AVERAGES:
            average = "macro"
        Y = label_binarize(np.asarray(y), classes=classes)
        present = np.flatnonzero(Y.any(axis=0))
        if average != "micro" and 2 <= present.shape[0] < len(classes):
            # a class absent from the set has no one-vs-rest AUC: average
            # over the classes present (scikit-learn's gives NaN, and warns
            # of "one class" present)
            scores = [roc_auc_score(Y[:, i], proba[:, i]) for i in present]
            weights = Y[:, present].sum(axis=0) if average == "weighted" else None
            return float(np.average(scores, weights=weights))
        return roc_auc_score(
            y, proba, multi_class="ovr", average=average, labels=classes
        )
    if isinstance(proba, list):  # one (n_samples, 2) array per label
        proba = np.column_stack([p[:, -1] for p in proba])
    return roc_auc_score(y, proba, average=average)
