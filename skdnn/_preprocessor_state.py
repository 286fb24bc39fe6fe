"""A fitted :class:`~skdnn.TabularPreprocessor` as plain data, for skdnn.save.

:func:`preprocessor_state` lists the fitted attributes as scalars, strings,
tuples, lists and numpy arrays, which :func:`skdnn.save` stores without
pickle; :func:`preprocessor_from_state` builds the transformer back and
refuses a state whose attributes disagree.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from skdnn._columns import _lookups
from skdnn._preprocessing import TabularPreprocessor

#: The fitted attributes that are the whole learned state of a
#: :class:`TabularPreprocessor` (``feature_names_in_`` and ``column_labels_``
#: only when set;
#: ``bin_edges_`` absent from files saved before it, read as no bins;
#: ``bin_height_`` absent from files saved before it, read as 1;
#: ``_column_forms``, the columns fit warned about as identifiers or as
#: numbers or dates written as text, as ``(name, form)`` pairs, absent from
#: files saved before it, read as none;
#: ``_complete_categories``, which categorical columns had no gap at fit,
#: absent from files saved before it, read as unknown).
FITTED_ATTRIBUTES = (
    "n_features_in_",
    "feature_names_in_",
    "categorical_features_",
    "numeric_features_",
    "center_",
    "scale_",
    "fill_",
    "indicator_features_",
    "categories_",
    "onehot_features_",
    "embedded_features_",
    "n_dense_features_",
    "embedding_cardinalities_",
    "embedding_dims_",
    "bin_edges_",
    "bin_height_",
    "column_labels_",
    "_column_forms",
    "_complete_categories",
)
#: Those a saved state may lack.
_OPTIONAL_ATTRIBUTES = frozenset(
    {
        "feature_names_in_",
        "bin_edges_",
        "bin_height_",
        "column_labels_",
        "_column_forms",
        "_complete_categories",
    }
)
_FORMS = ("identifier", "numbers", "dates")


def preprocessor_state(preprocessor: TabularPreprocessor) -> dict:
    """A fitted preprocessor as plain data: ``{"params": ..., "attributes": ...}``.

    Every value is a Python scalar, string, tuple, list or numpy array
    (bool, int, float, text, or an object array of scalars), which
    :func:`skdnn.save` stores without pickle.
    """
    check_is_fitted(preprocessor, "n_dense_features_")
    return {
        "params": preprocessor.get_params(deep=False),
        "attributes": {
            name: (
                tuple(getattr(preprocessor, name).items())
                if name == "_column_forms"
                else getattr(preprocessor, name)
            )
            for name in FITTED_ATTRIBUTES
            if hasattr(preprocessor, name)
            # (no empty _column_forms: files the releases before it read)
            and not (name == "_column_forms" and not preprocessor._column_forms)
        },
    }


def preprocessor_from_state(state: dict) -> TabularPreprocessor:
    """The inverse of :func:`preprocessor_state`; ValueError if inconsistent."""
    params, attributes = dict(state["params"]), dict(state["attributes"])
    known = TabularPreprocessor().get_params(deep=False)
    unknown = sorted(set(params) - set(known)) + sorted(
        set(attributes) - set(FITTED_ATTRIBUTES)
    )
    lacking = sorted(set(FITTED_ATTRIBUTES) - _OPTIONAL_ATTRIBUTES - set(attributes))
    if unknown or lacking:
        raise ValueError(
            f"Not a TabularPreprocessor state: unknown entries {unknown}, "
            f"missing entries {lacking}."
        )
    preprocessor = TabularPreprocessor(**params)
    forms = attributes.pop("_column_forms", ())
    if not (
        isinstance(forms, (tuple, list))
        and all(
            isinstance(pair, (tuple, list))
            and len(pair) == 2
            and isinstance(pair[0], str)
            and pair[1] in _FORMS
            for pair in forms
        )
    ):
        raise ValueError("Not a TabularPreprocessor state: its attributes disagree.")
    preprocessor._column_forms = {name: form for name, form in forms}
    for name, value in attributes.items():
        setattr(preprocessor, name, value)
    mask = np.asarray(preprocessor.categorical_features_)
    categories = preprocessor.categories_
    complete = getattr(
        preprocessor, "_complete_categories", np.zeros(len(categories), bool)
    )
    edges = preprocessor._edges()
    n_numeric = int((~mask).sum())
    try:
        width = preprocessor._dense_width()
    except (IndexError, TypeError, AttributeError):  # refused below
        width = None
    consistent = (
        mask.dtype == bool
        and mask.shape == (preprocessor.n_features_in_,)
        and isinstance(categories, list)
        and len(categories) == int(mask.sum())
        and all(isinstance(c, np.ndarray) and c.ndim == 1 for c in categories)
        and len(preprocessor.numeric_features_)
        == len(preprocessor.center_)
        == len(preprocessor.scale_)
        == len(preprocessor.fill_)
        == n_numeric
        and len(preprocessor.embedding_cardinalities_)
        == len(preprocessor.embedding_dims_)
        == len(preprocessor.embedded_features_)
        and isinstance(edges, list)
        and len(edges) == n_numeric
        and all(_valid_edges(e) for e in edges)
        and preprocessor.n_dense_features_ == width
        and _valid_height(preprocessor._bin_height())
        and isinstance(complete, np.ndarray)
        and complete.dtype == bool
        and complete.shape == (len(categories),)
    )
    if not consistent:
        raise ValueError("Not a TabularPreprocessor state: its attributes disagree.")
    preprocessor._lookups = _lookups(categories)
    return preprocessor


def _valid_edges(edges) -> bool:
    """Saved bin edges: none, or at least three finite increasing floats."""
    if not (isinstance(edges, np.ndarray) and edges.ndim == 1):
        return False
    if edges.size == 0:
        return True
    return (
        edges.dtype.kind == "f"
        and edges.size >= 3
        and bool(np.isfinite(edges).all() and (np.diff(edges) > 0).all())
    )


def _valid_height(height) -> bool:
    """A saved bin height: a float in (0, 1]."""
    return isinstance(height, float) and 0.0 < height <= 1.0
