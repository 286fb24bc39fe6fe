"""The validation set given to ``fit``, instead of the held-out rows.

It comes as ``X_val``, ``y_val`` and ``sample_weight_val`` (the names of
:class:`~sklearn.ensemble.HistGradientBoostingClassifier`'s ``fit``, which a
:class:`~sklearn.pipeline.Pipeline` built with ``transform_input=["X_val"]``
passes through its transformers), or as Keras's
``validation_data=(X_val, y_val[, sample_weight_val])``, which a Pipeline
passes on untransformed.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import _check_sample_weight

from skdnn._training import ValidationSet


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
    # (not transform, whose output follows set_output / set_config)
    encoded = estimator.preprocessor_._encode(X_val, np.float32, names_checked=True)
    what = "y_val" if name.startswith("X_val") else "y_val in validation_data"
    Y_val = estimator._rescale_targets(estimator._encode_targets(y_val, what))
    unweighted = sample_weight_val is None
    target_weights = estimator._target_weights(y_val, None if unweighted else weights)
    if target_weights is not None:
        weights = weights * target_weights
    return ValidationSet(encoded, None, Y_val, weights)
