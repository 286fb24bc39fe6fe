"""The validation set given to ``fit``, instead of the held-out rows.

It comes as ``X_val``, ``y_val`` and ``sample_weight_val`` (the names of
:class:`~sklearn.ensemble.HistGradientBoostingClassifier`'s ``fit``, which a
:class:`~sklearn.pipeline.Pipeline` built with ``transform_input=["X_val"]``
passes through its transformers), or as Keras's
``validation_data=(X_val, y_val[, sample_weight_val])``, which a Pipeline
passes on untransformed.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.utils.validation import _check_sample_weight

from skdnn._forward import PREDICT_BLOCK_VALUES, gather
from skdnn._training import ValidationSet
from skdnn._user_warnings import user_stacklevel

#: Fewer effective held-out rows than this (and under a quarter of the
#: rows), as the validation loss's weights count them, is warned about when
#: early stopping follows them: see :func:`warn_if_concentrated`.
CONCENTRATED_HOLDOUT_ROWS = 5


def validation_arguments(validation_data, X_val, y_val, sample_weight_val):
    """``(X_val, y_val, sample_weight_val, name)`` of the validation set
    given to fit, or None; ``name`` is how its errors call it.

    Examples
    --------
    >>> validation_arguments(None, [[0.0]], [1], None)[3]
    'X_val, y_val'
    >>> validation_arguments(None, None, None, None) is None
    True
    """
    if X_val is not None or y_val is not None:
        if validation_data is not None:
            raise ValueError(
                "Give the validation set either as validation_data=(X_val, y_val) "
                "or as X_val= and y_val=, not both."
            )
        if X_val is None or y_val is None:
            given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
            raise ValueError(
                f"{given} was given without {missing}; a validation set needs both."
            )
        return X_val, y_val, sample_weight_val, "X_val, y_val"
    if validation_data is None:
        if sample_weight_val is not None:
            raise ValueError(
                "sample_weight_val was given without a validation set; pass "
                "X_val and y_val with it."
            )
        return None
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (
        2,
        3,
    ):
        raise ValueError(
            "validation_data must be a tuple (X_val, y_val) or (X_val, y_val, "
            "sample_weight_val)."
        )
    if len(validation_data) == 3:
        if sample_weight_val is not None:
            raise ValueError(
                "sample_weight_val was given twice: in validation_data and on its own."
            )
        sample_weight_val = validation_data[2]
    X_val, y_val = validation_data[:2]
    return X_val, y_val, sample_weight_val, "validation_data (X_val, y_val)"


def given_validation_set(estimator, given) -> ValidationSet:
    """The validation set ``given`` (see :func:`validation_arguments`), read
    as ``fit``'s rows are and weighted as its loss is: by
    ``sample_weight_val`` times the target's weights of those rows.

    Its errors name it, not the X and y of fit.
    """
    X_val, y_val, sample_weight_val, name = given
    try:
        if y_val is None:
            raise ValueError("y_val is None.")
        X_val, y_val = estimator._validate_input(X_val, y_val, reset=False)
        y_val = estimator._check_y(y_val)
        weights = _check_sample_weight(
            sample_weight_val, X_val, dtype=np.float64, ensure_non_negative=True
        )
    except (ValueError, TypeError) as exc:
        kind = TypeError if isinstance(exc, TypeError) else ValueError
        raise kind(f"{name}: {exc}") from exc
    warn_if_shifted(estimator.preprocessor_, X_val, name)
    # (not transform, whose output follows set_output / set_config)
    encoded = estimator.preprocessor_._encode(X_val, np.float32, names_checked=True)
    what = "y_val" if name.startswith("X_val") else "y_val in validation_data"
    Y_val = estimator._rescale_targets(estimator._encode_targets(y_val, what))
    unweighted = sample_weight_val is None
    target_weights = estimator._target_weights(y_val, None if unweighted else weights)
    if target_weights is not None:
        weights = weights * target_weights
    _warn_missing_classes(estimator, Y_val, weights, what)
    return ValidationSet(encoded, None, Y_val, weights)


def _warn_missing_classes(estimator, Y_val, weights, what: str) -> None:
    """Warn when a given validation set holds no row (of positive weight) of
    some class: its loss, early stopping and the diagnosis then read the
    network on the other classes only (150 rows of one class read as a
    good fit, 'keep this design')."""
    if getattr(estimator, "_target_kind", None) not in ("binary", "multiclass"):
        return
    codes = np.asarray(Y_val).ravel()[np.asarray(weights) > 0].astype(np.intp)
    missing = np.setdiff1d(np.arange(estimator.classes_.shape[0]), codes)
    if missing.size:
        warnings.warn(
            f"{what} holds no row of the class(es) "
            f"{estimator.classes_[missing].tolist()[:10]} (of a positive weight): "
            "the validation loss, early stopping and the diagnosis read the "
            "network on the other classes only, and may call a fit good that "
            "never finds these. Give a validation set holding every class, "
            "e.g. from train_test_split(..., stratify=y).",
            UserWarning,
            stacklevel=user_stacklevel(),
        )


#: A given validation set's number column reads as shifted from the training
#: rows' when its median lies more than this many of their robust spreads
#: (``scale_``) from their centre (``center_``): a median held-out row of a
#: same-distributed column lies within about one.
SHIFTED_SPREADS = 10.0


def warn_if_shifted(pre, X_val, name: str) -> None:
    """Warn when a tenth of the number columns (two at least) of a given
    validation set lie far from the training rows' (their medians more
    than ``SHIFTED_SPREADS`` robust spreads away): rows in other units,
    typically raw ``X_val`` routed through a Pipeline without
    ``transform_input=["X_val"]`` to a network trained on the steps'
    output. Its validation loss then rises from the first epoch, early
    stopping keeps a barely trained network, and the curves read as
    overfitting."""
    import scipy.sparse as sp

    from skdnn._columns import _column_list, _numeric_column

    if pre.numeric_scaling is None or sp.issparse(X_val) or X_val.shape[0] < 2:
        return
    numeric = np.asarray(pre.numeric_features_)
    center = np.asarray(pre.center_, dtype=np.float64)
    scale = np.asarray(pre.scale_, dtype=np.float64)
    read = np.isfinite(scale) & (scale > 0)
    if not read.any():
        return
    names = pre._column_names()
    shifted = []
    for j, c, s in zip(numeric[read], center[read], scale[read], strict=True):
        values = _numeric_column(X_val, j, names[j])
        values = values[np.isfinite(values)]
        if values.size and abs(float(np.median(values)) - c) > SHIFTED_SPREADS * s:
            shifted.append(names[j])
    # a tenth of the columns (two at least, where there are two): no median
    # of a held-out row of 33 tables' numbers (10, 30 rows or a quarter,
    # three seeds) lay more than 7.5 spreads out, while raw breast_cancer,
    # wine or ames rows behind a StandardScaler have only 30 to 40 % of
    # their columns so far out (their small-valued columns land inside)
    if shifted and len(shifted) >= max(min(2, int(read.sum())), 0.1 * read.sum()):
        label = "X_val" if name.startswith("X_val") else "the X_val of validation_data"
        warnings.warn(
            f"{len(shifted)} of the {int(read.sum())} number columns of {label} "
            f"({_column_list(shifted, most=5)}) lie more than {SHIFTED_SPREADS:g} "
            "of the training rows' spreads from them: were they transformed "
            "as X was? In a Pipeline, build it with transform_input=['X_val'] "
            "so that X_val goes through the steps before the network; "
            "validated on rows in other units, early stopping keeps a "
            "barely trained network and the curves read as overfitting.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )


def validation_set(estimator, X, Y, weights, val_rows, given) -> ValidationSet | None:
    """The validation set: the one given to fit (``given``, as
    :func:`validation_arguments` reads it), or the held-out rows
    ``val_rows``, read from X where they lie (gathered once when few); each
    weighted as the training loss is, so that both curves measure one
    objective, the one early stopping follows. ``weights``: the loss's
    weights of the rows (``sample_weight`` times the class weights), whose
    concentration on a few held-out rows is warned about.
    """
    if given is not None:
        return given_validation_set(estimator, given)
    if val_rows is None:
        return None
    if estimator.early_stopping and estimator.monitor.startswith("val_"):
        warn_if_concentrated(weights[val_rows])
    X_val, rows = X, val_rows
    if rows.shape[0] * X.shape[1] <= PREDICT_BLOCK_VALUES:
        # a small hold-out is read here once, not again every epoch
        X_val, rows = gather(X, rows, X.dtype), None
    return ValidationSet(X_val, rows, Y[val_rows], weights[val_rows])


def warn_if_concentrated(weights: np.ndarray) -> None:
    """Warn when the held-out rows' loss weights rest on a few rows.

    Their effective number (Kish's, ``sum(w) ** 2 / sum(w ** 2)``) is what
    the weighted validation loss averages over: a meta-estimator that
    re-weights rows (AdaBoost) can leave a handful of the hold-out's rows
    to decide early stopping, which then stops on noise. Warned below
    ``CONCENTRATED_HOLDOUT_ROWS`` and a quarter of the rows (ordinary
    survey weights on a small hold-out stay above). The weights are those
    of the validation loss: ``sample_weight`` times the class weights, as
    ``class_weight="balanced"`` and ``compute_sample_weight("balanced")``
    weigh a lone minority row of a small hold-out alike. Called only where
    early stopping follows the hold-out.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_if_concentrated(np.r_[np.ones(40), 1e3, 1e3])
    >>> "about 2.1 of the 42" in str(caught[0].message)
    True
    """
    weights = np.asarray(weights, dtype=np.float64)
    n_rows = weights.shape[0]
    squares = float(np.sum(weights**2))
    if n_rows == 0 or squares == 0:
        return
    effective = float(np.sum(weights)) ** 2 / squares
    if effective < min(CONCENTRATED_HOLDOUT_ROWS, n_rows / 4):
        warnings.warn(
            "The validation loss's weights (sample_weight, class_weight) "
            f"rest on about {effective:.1f} of the {n_rows} held-out rows "
            "(their effective number): early stopping follows those few rows "
            "and stops on their noise (as inside AdaBoost, or where a hold-out "
            "holds one row of a weighted rare class). Pass a larger "
            "validation_split, early_stopping=False, validation_split=0 (no "
            "hold-out), or a validation set of your own (X_val, y_val).",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
