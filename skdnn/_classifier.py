"""TaperedMLPClassifier: a Keras 3 dense network behind the scikit-learn API.

What is about classes lives here (label encoding, class weights, the head
of the task, probabilities); the training machinery is shared with the
regressor in :mod:`skdnn._base`.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from skdnn._base import BaseTaperedMLP
from skdnn._shared_api import estimator_signature, fill_doc, shared_parameters
from skdnn._user_warnings import user_stacklevel

#: The fewest rows a class counts as in the ``"balanced_logits"`` shift.
MIN_SHIFT_ROWS = 10


@fill_doc
class TaperedMLPClassifier(ClassifierMixin, BaseTaperedMLP):
    """Dense neural network classifier with tapered hidden layers, in Keras 3.

    A multi-layer perceptron designed the way a practitioner tunes one by its
    learning curves: a first hidden layer sized from the input, each next
    layer narrower by a constant factor, dropout after every hidden layer,
    optional batch normalisation before the activation, an initialiser
    paired with the activation, and Adam. Each fit records its learning
    curves in :attr:`history_`, on a stratified, shuffled, seeded validation
    hold-out, and by default stops early when the validation loss stops
    improving, restoring the best weights.

    Binary, multiclass and multilabel (indicator matrix) targets are
    supported, with labels of any type.

    Parameters
    ----------
    %(architecture_parameters)s
    validation_split : float in [0, 1), default=0.1
        Fraction of the rows held out to draw the validation curves and to
        stop early. The hold-out is stratified by class (when every class
        has two rows or more), shuffled and seeded by ``random_state``.
        ``0`` trains on every row and records training curves only.
    %(stopping_parameters)s
    monitor : str, default="val_loss"
        Quantity watched by early stopping and :attr:`best_epoch_`:
        ``"val_loss"`` (minimised), ``"val_accuracy"`` or ``"val_<scorer>"``
        for any scorer in ``scoring`` (maximised). Without a validation set
        the training counterpart (``"loss"``, ...) is watched.
    scoring : str, callable, list, tuple, dict or None, default=None
        Extra per-epoch metrics, evaluated after each epoch on the training
        and validation rows and recorded in :attr:`history_` as
        ``"<name>"`` and ``"val_<name>"``. As scikit-learn's searches take
        it: a scorer name (``"recall"``), a list of names (``["recall",
        "precision"]``), a callable scorer, recorded as ``"score"``, or a
        dict of column names to names or callables, e.g. ``{"recall_yes":
        make_scorer(recall_score, pos_label="yes")}`` for text labels. The
        rows are scored unweighted, as scikit-learn's searches score them
        (the losses weigh them by ``sample_weight`` and ``class_weight``);
        an epoch a scorer cannot score is recorded as NaN, with a warning.
    class_weight : dict, "balanced_logits", "balanced" or None, \
            default="balanced_logits"
        How the classes are balanced, so that the default decisions find
        the minority class (recall first).

        - ``"balanced_logits"`` (the default): train on the rows as they
          are, then divide each class's probability by its frequency in the
          training rows (:attr:`class_prior_`) and renormalise, i.e. lower
          each class's logit by the log of its frequency (logit adjustment,
          Menon et al., 2021). The decisions and probabilities are those of
          a world where the classes are equally frequent, as with
          ``"balanced"``, but the network is the one trained unweighted,
          which ranks the rows better: over the quality benchmark's 21
          tables it gave a mean ROC AUC of 0.861 against 0.859, balanced
          accuracy 0.782 against 0.780 and minority-class recall 0.748
          against 0.741 (see the "Quality" page). A class of fewer than 10
          rows (``MIN_SHIFT_ROWS``) is shifted as if it had 10: a row or two
          cannot teach the network a class, and dividing by so small a
          frequency would give that class the other classes' decisions. A
          class declared to ``partial_fit`` and not seen yet is shifted as
          the most frequent one: it gets no boost. Whatever
          ``class_weight``, a new network's output starts at the weighted
          class frequencies of its training rows, so one that has learnt
          little predicts the prior, which the shift turns into even odds
          (started at even odds, the shift handed a briefly trained network's
          decisions to the rarest class); a ``partial_fit`` stream's, at
          those of its first chunk (a class it lacks counted as one row),
          moved with each later chunk as the class counts move the prior.
        - ``"balanced"``: weigh each class in the loss inversely to its
          frequency, as in scikit-learn.
        - a dict ``{class: weight}``: those weights in the loss.
        - ``None``: the rows as they are, for calibrated probabilities
          (mean log loss 0.34 instead of 0.44 over the same tables).

        Multilabel targets are trained unweighted and not shifted (a dict
        is refused for them).
    %(input_parameters)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for multilabel targets, the label indices).
    class_count_ : ndarray of shape (n_classes,)
        Rows of each class given to ``fit`` (and added up over
        ``partial_fit`` calls), weighed by ``sample_weight`` as
        ``"balanced"`` weighs them and scaled to the number of rows of a
        weight above 0 (with unit weights, the rows of each class). Not set
        for multilabel targets.
    class_prior_ : ndarray of shape (n_classes,)
        ``class_count_`` as fractions. ``"balanced_logits"`` divides out
        these frequencies, with each class counted as at least
        ``MIN_SHIFT_ROWS`` rows (and a class not seen yet as the most
        frequent one).
    %(input_attributes)s
    model_ : keras.Model
        The trained network. It reads the encoded rows,
        ``preprocessor_.transform(X)``; its output is the probability of the
        positive class (binary), of each class (multiclass) or of each label,
        as trained: with ``class_weight="balanced_logits"``,
        :meth:`predict_proba` divides it by the class frequencies
        (:attr:`class_prior_`, rare classes floored as above).
        %(model_built)s
    history_ : pandas.DataFrame
        One row per epoch, index ``epoch`` starting at 1; columns ``loss``,
        ``accuracy``, ``val_loss``, ``val_accuracy`` (with a validation set),
        the ``scoring`` metrics and their ``val_`` counterparts, and
        ``learning_rate``.
    %(epoch_attributes)s
    loss_curve_ : list of float
        Training loss per epoch, as in :class:`~sklearn.neural_network.MLPClassifier`.
    validation_scores_ : list of float or None
        Validation accuracy per epoch (``val_accuracy``), None without a
        validation set; for multilabel targets, as :meth:`score` reads it,
        the share of rows whose labels are all right. With
        ``class_weight="balanced_logits"`` it is the accuracy of the
        network's decisions before the shift, so on
        imbalanced rows it can stand above :meth:`score` (0.90 against 0.71
        on a 90 % majority): record ``scoring="balanced_accuracy"`` (or
        ``"recall"``) to follow the estimator's own decisions per epoch.
    %(mlp_attributes)s
    %(validation_attributes)s

    See Also
    --------
    sklearn.neural_network.MLPClassifier : scikit-learn's own multi-layer
        perceptron, without learning curves on a hold-out or GPU support.
    skdnn.diagnose : Read a verdict from the learning curves.
    skdnn.HistoryDisplay : Plot the learning curves.

    Notes
    -----
    %(training_notes)s

    Training loss is computed in training mode (dropout on) and averaged
    over the epoch's batches, as Keras reports it; ``val_loss`` is computed
    in inference mode after the epoch. Both include the ``l2`` penalty and
    both are weighted by ``class_weight`` and ``sample_weight`` (the
    held-out rows keep their weights), so they measure the same objective.
    With ``"balanced_logits"`` the loss and accuracy curves are the network's
    as trained (unweighted, before the shift), while the ``scoring`` curves
    score the estimator's own, shifted, decisions.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdnn import TaperedMLPClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(
    ...     StandardScaler(), TaperedMLPClassifier(epochs=20, random_state=0)
    ... ).fit(X, y)
    >>> clf[-1].hidden_layer_sizes_
    (64, 32, 16)
    >>> list(clf[-1].history_.columns)
    ['loss', 'accuracy', 'val_loss', 'val_accuracy', 'learning_rate']
    >>> clf.score(X, y) > 0.95
    True
    """

    _parameter_constraints: dict = {
        **BaseTaperedMLP._parameter_constraints,
        "class_weight": [None, StrOptions({"balanced", "balanced_logits"}), dict],
    }

    def __init__(self, *, class_weight="balanced_logits", **params):
        super().__init__(
            **shared_parameters(type(self), params, BaseTaperedMLP.__init__)
        )
        self.class_weight = class_weight

    __init__.__signature__ = estimator_signature(
        __init__, BaseTaperedMLP.__init__, after="scoring"
    )

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch on ``(X, y)``, without a validation hold-out.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a binary indicator matrix for multilabel. A
            chunk may hold fewer classes than ``classes``, even one.
        classes : array-like of shape (n_classes,), default=None
            Every class the model will see; required on the first call
            (except for multilabel targets, whose classes are the indicator
            matrix's columns, and where it is ignored); afterwards, refused
            unless the same, as scikit-learn's ``partial_fit`` refuses it.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the training loss.

        Returns
        -------
        self : TaperedMLPClassifier
            The updated estimator.

        Notes
        -----
        ``class_weight="balanced"`` is refused here, as scikit-learn's
        ``SGDClassifier.partial_fit`` refuses it: weights from each chunk's
        own counts balance nothing. ``"balanced_logits"`` shifts by the
        counts of every chunk so far (:attr:`class_count_`).
        """
        first_call = "_network" not in vars(self)
        if (
            first_call
            and classes is None
            and type_of_target(y) != "multilabel-indicator"
        ):
            raise ValueError(
                "classes must be passed on the first call to partial_fit, e.g. "
                "partial_fit(X, y, classes=np.unique(y_all))."
            )
        if not first_call and classes is not None and self._target_kind != "multilabel":
            given = np.unique(np.asarray(classes))
            if not np.array_equal(given, self.classes_):
                # (as scikit-learn's partial_fit refuses it: a network's
                # outputs are its first call's classes)
                raise ValueError(
                    f"classes={given.tolist()} is not the same as the fitted "
                    f"model's classes, {self.classes_.tolist()}; a fitted "
                    "network's classes cannot change: fit anew, listing every "
                    "class on the first call to partial_fit."
                )
        if self.class_weight == "balanced" and (
            type_of_target(y) != "multilabel-indicator"
        ):
            raise ValueError(
                "class_weight='balanced' weighs each call's rows by that call's "
                "own class counts, which balances nothing in a stream of chunks "
                "(a chunk of one class is weighed as it is). Use "
                "class_weight='balanced_logits' (the default), which divides out "
                "the class counts of every chunk so far, or a dict of weights for "
                "the whole stream, e.g. dict(zip(classes, compute_class_weight("
                "'balanced', classes=classes, y=y_all)))."
            )
        return self._fit(
            X,
            y,
            sample_weight,
            None,
            incremental=True,
            classes=None if not first_call else classes,
        )

    def predict_proba(self, X):
        """Probability of each class for each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities in the order of :attr:`classes_`; for
            multilabel targets, the probability of each label.

        Notes
        -----
        With ``class_weight="balanced_logits"`` (the default), and as with
        ``"balanced"``, these are the probabilities of a world where the
        classes are equally frequent, not the risks of the rows given: on
        lending_club (5 % bad loans) the mean probability of ``'bad'`` on
        held-out rows was 0.45 and the Brier score 0.24, against 0.06 and
        0.05 for the same network with ``class_weight=None``. Fit with
        ``class_weight=None`` (or calibrate, with
        :class:`~sklearn.calibration.CalibratedClassifierCV`) to read them
        as risks.
        """
        return self._proba(self._validate_for_predict(X))

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Natural logarithm of the class probabilities.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Predicted class (or label indicator row) of each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels.
        """
        return self._labels(self.predict_proba(X))

    # ------------------------------------------------------------------
    # Hooks of the shared core: what is about classes
    # ------------------------------------------------------------------

    def _check_params(self):
        super()._check_params()
        if self.class_weight is not None and not (
            self.class_weight in _CLASS_WEIGHTS or isinstance(self.class_weight, dict)
        ):
            raise ValueError(
                "class_weight must be None, 'balanced', 'balanced_logits' or a dict."
            )
        if isinstance(self.class_weight, dict):
            for label, weight in self.class_weight.items():
                if not (isinstance(weight, numbers.Real) and 0 <= weight < np.inf):
                    raise ValueError(
                        f"class_weight gives class {label!r} the weight {weight!r}; "
                        "weights must be finite numbers of at least 0."
                    )

    def _check_y(self, y):
        y = self._ravel_column_vector(np.asarray(y))
        if y.dtype.kind == "O":
            text = np.fromiter((isinstance(v, str) for v in y.flat), bool, y.size)
            if text.any() and not text.all():
                other = y.flat[int(np.argmin(text))]
                raise TypeError(
                    f"y mixes text labels with labels of another type (e.g. "
                    f"{y.flat[int(np.argmax(text))]!r} and {other!r} of type "
                    f"{type(other).__name__}), which cannot be ordered; give "
                    "every label one type, e.g. y.astype(str)."
                )
            if not text.any() and type_of_target(y) == "unknown" and y.size:
                # scikit-learn reads no object array of numbers as labels
                # and blames "a regression target", even for whole numbers
                whole = all(isinstance(v, numbers.Integral | np.bool_) for v in y.flat)
                if whole:
                    raise ValueError(
                        "Unknown label type: y is an object array of whole "
                        "numbers (dtype object), which scikit-learn does not "
                        "read as class labels; "
                        "convert it, e.g. y.astype(int) (or y.astype(bool))."
                    )
        if y.ndim not in (1, 2):
            raise ValueError(f"y must be 1d or a 2d indicator matrix; got {y.ndim}d.")
        check_classification_targets(y)
        return y

    def _learn_targets(self, y, classes):
        kind = type_of_target(y)
        if kind == "multilabel-indicator":
            self._target_kind = "multilabel"
            self.classes_ = np.arange(y.shape[1])
            if isinstance(self.class_weight, dict):
                raise ValueError(
                    "class_weight as a dict is not supported for multilabel "
                    "targets; 'balanced_logits', 'balanced' and None train them "
                    "unweighted."
                )
            if self.class_weight == "balanced":  # never the default: asked for
                warnings.warn(
                    "class_weight='balanced' does not weigh multilabel targets "
                    "(a row has no single class to weigh it by): they are "
                    "trained unweighted. Weigh rows with sample_weight, or "
                    "choose each label's threshold on predict_proba; "
                    "evaluation_report gives each label's recall.",
                    UserWarning,
                    stacklevel=user_stacklevel(),
                )
            return np.asarray(y, dtype=np.float32)
        if y.ndim != 1:
            raise ValueError(
                f"y has target type {kind!r}; expected 1d labels (binary or "
                "multiclass) or a multilabel indicator matrix."
            )
        labels = np.unique(y) if classes is None else np.unique(np.asarray(classes))
        if classes is not None and not np.all(np.isin(np.unique(y), labels)):
            unlisted = np.setdiff1d(np.unique(y), labels)[:5].tolist()
            raise ValueError(
                f"y holds labels not listed in classes: {unlisted}; classes "
                f"lists {labels.tolist()}."
            )
        if labels.shape[0] < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes in y; got 1 class: "
                f"{labels.tolist()}."
            )
        self.classes_ = labels
        self._target_kind = "binary" if labels.shape[0] == 2 else "multiclass"
        return self._encode_targets(y, "y")

    @property
    def _n_targets(self) -> int:
        return self.classes_.shape[0]

    def _encode_targets(self, y, name):
        if self._target_kind == "multilabel":
            y = np.asarray(y)
            if y.ndim != 2 or y.shape[1] != self.classes_.shape[0]:
                raise ValueError(
                    f"{name} must be an indicator matrix with "
                    f"{self.classes_.shape[0]} columns."
                )
            return y.astype(np.float32)
        y = np.asarray(y).ravel()
        index = np.searchsorted(self.classes_, y)
        index = np.clip(index, 0, self.classes_.shape[0] - 1)
        unknown = self.classes_[index] != y
        if np.any(unknown):
            raise ValueError(
                f"{name} holds labels outside the model's classes: "
                f"{np.unique(y[unknown])[:5].tolist()}; known classes are "
                f"{self.classes_.tolist()}."
            )
        if self._target_kind == "binary":
            return index.astype(np.float32).reshape(-1, 1)
        return index.astype(np.int32)

    def _decode_targets(self, Y):
        if self._target_kind == "multilabel":
            return Y.astype(int)
        return self.classes_[Y.ravel().astype(int)]

    def _standardize_targets(self, Y, rows):
        return Y

    def _rescale_targets(self, Y, continuing=False):
        return Y

    def _target_weights(self, y, sample_weight=None):
        # a row of a multilabel target has no single class to weigh, and
        # "balanced_logits" balances the output, not the loss
        if (
            self.class_weight in (None, "balanced_logits")
            or self._target_kind == "multilabel"
        ):
            return None
        if self.class_weight != "balanced":  # a dict
            return compute_sample_weight(self.class_weight, y)
        # each class's total sample_weight, as scikit-learn's "balanced"
        # counts it: a row at weight 0 counts for nothing, as if dropped
        codes = np.unique(y, return_inverse=True)[1].ravel()
        totals = np.bincount(codes, sample_weight).astype(np.float64)  # None: rows
        per_class = np.zeros_like(totals)
        present = totals > 0
        per_class[present] = totals.sum() / (present.sum() * totals[present])
        return per_class[codes]

    def _learn_output_shift(self, Y, sample_weight, accumulate, val=None):
        """``class_count_`` and ``class_prior_`` of the rows given to fit.

        The rows are counted by their ``sample_weight``, as scikit-learn's
        ``"balanced"`` counts them, scaled to the number of rows of a
        weight above 0: unit weights count rows, and a row at weight 0
        counts for nothing, as if dropped (counted unweighted, such rows
        divided out a prior the network never saw, and a table whose
        negatives were mostly masked predicted only positives).
        ``partial_fit`` adds each call's rows to the counts before. The
        weight of each class in the validation loss, which a network that
        learnt nothing scores by, is kept with them (``_validation_mix``),
        and whether the fit shifts the output (``_output_shifted``): a
        ``class_weight`` set after fit waits for the next fit, as any
        parameter does, in memory, after :func:`skdnn.load` and when
        ``model_`` is set.
        """
        self._output_shifted = self.class_weight == "balanced_logits"
        if self._target_kind == "multilabel":
            for stale in (
                "class_count_",
                "class_prior_",
                "_validation_mix",
                "_validation_counts",
            ):
                self.__dict__.pop(stale, None)
            return
        if val is not None:
            codes = np.asarray(val.Y).ravel().astype(np.intp)
            n_classes = self.classes_.shape[0]
            self._validation_mix = np.bincount(
                codes, np.asarray(val.weights, dtype=np.float64), minlength=n_classes
            )
            # its rows, unweighted, as val_accuracy counts them
            self._validation_counts = np.bincount(codes, minlength=n_classes)
        codes = Y.ravel().astype(np.intp)
        weight = np.asarray(sample_weight, dtype=np.float64)
        counts = np.bincount(codes, weight, minlength=self.classes_.shape[0])
        if counts.sum() > 0:
            counts *= np.count_nonzero(weight) / counts.sum()
        before = getattr(self, "class_count_", None) if accumulate else None
        if before is not None:
            counts = counts + before
            self._follow_the_prior(before, counts)
        self.class_count_ = counts.astype(np.float64)
        self.class_prior_ = self.class_count_ / self.class_count_.sum()

    def _follow_the_prior(self, before, after) -> None:
        """Move a stream's output bias as its class counts move the prior.

        A stream's network starts at its first chunk's frequencies (see
        :meth:`~skdnn._heads._Head.initial_bias`) and, in short steps, stays
        near them, while the ``"balanced_logits"`` shift divides out the
        counts of every chunk so far: a first chunk of 10 % positives in a
        stream of 5 % gave the positives nearly every decision. Each call
        moves the bias by the change of the log prior (Bayes' rule for a
        new prior), the counts smoothed by one row a class as the start was.
        The move needs only the counts, so a stream continued after
        :func:`skdnn.load` follows too.
        """
        network = getattr(self, "_network", None)
        if network is None:
            return
        head = self._head
        network.move_output_bias(
            head.prior_bias(after + 1.0) - head.prior_bias(before + 1.0)
        )

    def _output_shift(self):
        """The log class prior the ``"balanced_logits"`` output divides out:
        ``log(prior)`` per class, or the prior's log-odds for one sigmoid."""
        # (a model saved before the fit's choice was kept: the parameter)
        shifted = self.__dict__.get(
            "_output_shifted", self.class_weight == "balanced_logits"
        )
        if (
            not shifted
            or getattr(self, "class_count_", None) is None
            or self._target_kind == "multilabel"
        ):
            return None
        # a class with fewer than MIN_SHIFT_ROWS rows is shifted as if it
        # had that many: the network cannot learn a class from a row or two,
        # and dividing by so small a prior gave such a class the decisions
        # of every other (a 1-row class of 120 took 11 of them on its
        # training rows)
        counts = np.maximum(self.class_count_, MIN_SHIFT_ROWS)
        # a class declared to partial_fit but not seen yet gets no boost:
        # nothing is known of its frequency, and the network has learnt only
        # to keep it down (dividing by a prior of 10 rows handed it every
        # decision after the first chunk)
        counts[self.class_count_ == 0] = counts.max()
        if self._target_kind == "binary":
            return np.log(counts[1:] / counts[:1])
        return np.log(counts / counts.sum())

    def _stratify_codes(self, Y):
        if self._target_kind == "multilabel":
            return None
        return Y.ravel().astype(int)

    def _check_training_targets(self, Y, weights, rows, *, incremental=False):
        if self._target_kind == "multilabel" or incremental:
            # (partial_fit's chunk may hold one class: the classes are known)
            if not np.any(weights[rows] > 0):
                raise ValueError("sample_weight is zero for every training row.")
            return
        labels = Y[rows].ravel()[weights[rows] > 0]
        if np.unique(labels).shape[0] < 2:
            raise ValueError(
                "The training rows of a positive weight (sample_weight times "
                "class_weight) hold only 1 class; a classifier needs at least 2 "
                "classes with non-zero weight."
            )

    def _snapshot(self):
        return _EpochSnapshot(self)

    def _labels(self, proba):
        if self._target_kind == "multilabel":
            return (proba > 0.5).astype(int)
        return self.classes_[np.argmax(proba, axis=1)]

    def _proba(self, X):
        out = self._output(X)
        if self._target_kind == "binary":
            p = out[:, 0]
            return np.column_stack([1.0 - p, p])
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


#: The class_weight strings: loss weights, or the output's shift.
_CLASS_WEIGHTS = ("balanced", "balanced_logits")


class _EpochSnapshot(ClassifierMixin, BaseEstimator):
    """The network being trained, as a scorer sees it after an epoch.

    Scorers call ``predict``/``predict_proba`` on the validated training and
    validation arrays; going through the estimator's public methods would
    validate them again and warn about feature names on every epoch.
    """

    def __init__(self, owner):
        self.owner = owner

    @property
    def classes_(self):
        return self.owner.classes_

    def predict_proba(self, X):
        return self.owner._proba(X)

    def predict(self, X):
        return self.owner._labels(self.owner._proba(X))
