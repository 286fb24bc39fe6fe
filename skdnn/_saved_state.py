"""The fitted state :func:`skdnn.save` keeps of an estimator beyond its
public attributes, and the checks :func:`skdnn.load` makes of it.

Split from :mod:`skdnn._persistence`, which writes and reads the file.
"""

from __future__ import annotations

import numpy as np

from skdnn._archive import _ESTIMATOR, _MODEL, ModelFileError

# Private fitted attributes that are saved, per estimator; the rest are
# rebuilt on load.
_PRIVATE_STATE = {
    "TaperedMLPClassifier": (
        "_target_kind",
        "_validation_mix",
        "_validation_counts",
        "_output_shifted",
        "_holdout",
    ),
    "TaperedMLPRegressor": (
        "_holdout",
        "_target_kind",
        "_target_mean",
        "_target_scale",
        "_target_1d",
        "_varying_share",
        "_validation_guess_loss",
        "_validation_ruled_by",
    ),
}
_TARGET_KINDS = {
    "TaperedMLPClassifier": ("binary", "multiclass", "multilabel"),
    "TaperedMLPRegressor": ("regression",),
}


def _check_fitted_state(clf, model) -> None:
    """The saved attributes agree with each other and with the network."""
    name = type(clf).__name__
    n_features = getattr(clf, "n_features_in_", None)
    kind = getattr(clf, "_target_kind", None)
    pre = clf.preprocessor_
    problems = []
    if not isinstance(n_features, int) or n_features < 1:
        problems.append("n_features_in_ is not a positive int")
    elif pre.n_features_in_ != n_features:
        problems.append("preprocessor_ reads a different number of columns")
    names, pre_names = (getattr(obj, "feature_names_in_", None) for obj in (clf, pre))
    if (names is None) != (pre_names is None) or (
        names is not None
        and (len(names) != len(pre_names) or not np.all(names == pre_names))
    ):
        problems.append("preprocessor_ reads different column names")
    if not isinstance(vars(clf).get("_output_shifted", False), bool):
        problems.append("_output_shifted is not a bool")
    if not _valid_holdout(vars(clf).get("_holdout", (1, None, 0.0))):
        problems.append("_holdout is not a number of rows, a seed and a split")
    if kind not in _TARGET_KINDS[name]:
        problems.append(f"_target_kind is not one of {_TARGET_KINDS[name]}")
    n_outputs, outputs = _output_width(clf, kind, problems)
    if not problems:
        n_inputs = pre.n_dense_features_ + len(pre.embedding_cardinalities_)
        if tuple(model.inputs[0].shape[1:]) != (n_inputs,):
            problems.append(
                "the network's input width differs from what preprocessor_ emits"
            )
        if tuple(model.outputs[0].shape[1:]) != (n_outputs,):
            problems.append(f"the network's output width does not fit {outputs}")
    if problems:
        raise ModelFileError(
            f"{_ESTIMATOR} and {_MODEL} do not describe one fitted model: "
            + "; ".join(problems)
            + "."
        )


def _output_width(clf, kind, problems: list) -> tuple[int, str]:
    """The network's output width the attributes imply, and their name."""
    if kind == "regression":
        n_outputs = getattr(clf, "n_outputs_", None)
        if not isinstance(n_outputs, int) or n_outputs < 1:
            problems.append("n_outputs_ is not a positive int")
            return 0, "n_outputs_"
        for attribute in ("_target_mean", "_target_scale"):
            value = getattr(clf, attribute, None)
            if not (
                isinstance(value, np.ndarray)
                and value.dtype == np.float64
                and value.shape == (n_outputs,)
                and np.all(np.isfinite(value))
            ):
                problems.append(f"{attribute} is not {n_outputs} finite float64s")
        if not np.all(getattr(clf, "_target_scale", np.ones(1)) >= 0):
            problems.append("_target_scale is negative")
        target_1d = getattr(clf, "_target_1d", None)
        if not isinstance(target_1d, bool) or (target_1d and n_outputs != 1):
            problems.append("_target_1d is not a bool that fits n_outputs_")
        return n_outputs, "n_outputs_"
    classes = getattr(clf, "classes_", None)
    if not isinstance(classes, np.ndarray) or classes.ndim != 1:
        problems.append("classes_ is not a 1d array")
        return 0, "classes_"
    return (1 if kind == "binary" else classes.shape[0]), "classes_"


def _valid_holdout(holdout) -> bool:
    """A saved ``_holdout``: the number of rows of the fit, the seed of
    their split into training and held-out rows (None: no hold-out) and
    the ``validation_split`` it held out."""
    # (files of the day it was kept as (rows, seed) hold no split: a warm
    # fit of theirs draws its hold-out anew, with a warning)
    if not (isinstance(holdout, (tuple, list)) and len(holdout) in (2, 3)):
        return False
    rows, seed, split = (*holdout, 0.0)[:3]
    return (
        isinstance(rows, int)
        and rows > 0
        and (seed is None or isinstance(seed, int))
        and isinstance(split, float)
        and 0.0 <= split < 1.0
    )
