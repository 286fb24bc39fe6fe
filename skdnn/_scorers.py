"""The per-epoch scorers: tried on the target before a fit, quiet after."""

from __future__ import annotations

import contextlib
import warnings

import numpy as np

from skdnn._user_warnings import user_stacklevel


class _Oracle:
    """Stands in for an estimator and answers with the true targets.

    A scorer that cannot score a target (recall's ``pos_label=1`` when the
    labels are ``"no"`` and ``"yes"``, say) fails on the oracle as it would
    on the network, but before any epoch has run.
    """

    def __init__(self, estimator, y):
        self._tags = estimator.__sklearn_tags__()
        self._y = y
        classes = getattr(estimator, "classes_", None)
        if classes is not None:
            self.classes_ = classes

    def __sklearn_tags__(self):
        return self._tags

    def predict(self, X):
        return self._y

    def predict_proba(self, X):
        y = self._y
        if y.ndim == 2:  # multilabel: one column a label
            return y.astype(float)
        return (y[:, None] == np.asarray(self.classes_)[None, :]).astype(float)

    def predict_log_proba(self, X):
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))


def try_scorers(estimator, scorers: dict, y) -> None:
    """Score the true targets ``y`` with each of ``scorers`` before training.

    Raises
    ------
    ValueError
        Naming the scorer that cannot score this target, and why.
    """
    oracle = _Oracle(estimator, y)
    X = np.zeros((len(y), 1))
    for name, scorer in scorers.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                scorer(oracle, X, y)
        except (ValueError, TypeError) as exc:
            hint = ""
            if "pos_label" in str(exc):
                classes = np.asarray(getattr(estimator, "classes_", [])).tolist()
                hint = (
                    f" A scorer of the positive class scores pos_label=1, which "
                    f"is not one of the classes {classes}: use "
                    "'balanced_accuracy' or a '_macro' variant (e.g. "
                    "'recall_macro'), or encode the class to find as 1."
                )
            raise ValueError(
                f"scoring={name!r} cannot score this target: {exc}{hint}"
            ) from exc


@contextlib.contextmanager
def warnings_once(seen: set | None):
    """Show each warning raised inside the block once while ``seen`` lives.

    The scorers run every epoch, and an undefined metric warned at every
    one; ``seen`` (one set a fit) holds the warnings shown already.
    """
    seen = set() if seen is None else seen
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for caught_warning in caught:
        key = (caught_warning.category, str(caught_warning.message))
        if key not in seen:
            seen.add(key)
            warnings.warn(
                caught_warning.message,
                caught_warning.category,
                stacklevel=user_stacklevel(),
            )
