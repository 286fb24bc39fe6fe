"""What scikit-learn's MLPClassifier and MLPRegressor call otherwise.

Scripts written for scikit-learn's perceptrons read ``loss_``,
``best_loss_``, ``best_validation_score_`` and ``n_layers_`` after a fit
and pass ``max_iter`` or ``alpha`` to the constructor. The fitted
attributes are read here from ``history_`` with the meaning scikit-learn
gives them; the parameters are named in the message that refuses them
(see :func:`skdnn._shared_api.first_unknown` and the migration guide).
"""

from __future__ import annotations

#: MLPClassifier's parameters that skdnn takes under another name, and how.
MLP_PARAMETERS = {
    "max_iter": ("epochs", ""),
    "alpha": (
        "l2",
        " (l2 = alpha / (2 * B), B the MLP's batch size, min(200, n_samples) "
        "by default: skdnn does not divide the penalty by the rows of a batch)",
    ),
    "solver": ("optimizer", ""),
    "learning_rate_init": ("learning_rate", ""),
    "validation_fraction": ("validation_split", ""),
    "n_iter_no_change": ("patience", ""),
}

#: MLPClassifier's activations that Keras names otherwise.
MLP_ACTIVATIONS = {"logistic": "sigmoid", "identity": "linear"}

#: MLPClassifier's parameters with no counterpart here, and what to do.
MLP_ONLY = {
    "tol": "any improvement of the monitored value resets the patience",
    "shuffle": "the rows are reshuffled every epoch",
    "momentum": "the optimizer has Keras's defaults; choose it with optimizer",
    "nesterovs_momentum": "the optimizer has Keras's defaults",
    "beta_1": "the optimizer has Keras's defaults",
    "beta_2": "the optimizer has Keras's defaults",
    "epsilon": "the optimizer has Keras's defaults",
    "power_t": "schedules are Keras callbacks (callbacks=...)",
    "max_fun": "there is no L-BFGS",
}


#: MLPClassifier's values of a parameter skdnn shares, and what to do here.
MLP_VALUES = {
    ("learning_rate", "constant"): "leave learning_rate a number, the rate",
    ("learning_rate", "invscaling"): "pass a decay as callbacks=[keras."
    "callbacks.LearningRateScheduler(...)], learning_rate the starting rate",
    ("learning_rate", "adaptive"): "pass callbacks=[keras.callbacks."
    "ReduceLROnPlateau(...)], learning_rate the starting rate",
    ("batch_size", "auto"): "give a number of rows ('auto' is min(200, "
    "n_samples) there; skdnn's default is 32)",
}


class MLPAttributes:
    """``loss_``, ``best_loss_``, ``best_validation_score_`` and ``n_layers_``
    as scikit-learn's perceptrons define them, read from the fit's history;
    and messages that name skdnn's counterpart of their parameters when
    ``set_params`` or the parameter checks refuse one of theirs."""

    def set_params(self, **params):
        """Set the estimator's parameters, as scikit-learn's ``set_params``.

        A parameter of scikit-learn's perceptrons that skdnn names
        otherwise (``alpha``, ``max_iter``, as a ``GridSearchCV`` grid
        written for ``MLPClassifier`` passes them) is refused naming its
        counterpart here (``l2``, ``epochs``).

        Parameters
        ----------
        **params : dict
            The parameters and their new values.

        Returns
        -------
        self : estimator instance
            The estimator, its parameters set.

        Examples
        --------
        >>> from skdnn import TaperedMLPClassifier
        >>> TaperedMLPClassifier().set_params(dropout=0.2).dropout
        0.2
        """
        try:
            return super().set_params(**params)
        except ValueError as exc:  # scikit-learn's "Invalid parameter ..."
            from skdnn._shared_api import first_unknown

            unknown = first_unknown(params, self.get_params(deep=False))
            if unknown is None or not unknown[1].startswith("; scikit-learn"):
                raise
            raise ValueError(f"{str(exc).rstrip('.')}{unknown[1]}.") from None

    def _validate_params(self):
        from sklearn.utils._param_validation import InvalidParameterError

        try:
            super()._validate_params()
        except InvalidParameterError as exc:
            for (name, value), ours in MLP_VALUES.items():
                if isinstance(getattr(self, name, None), str) and (
                    getattr(self, name) == value
                ):
                    raise InvalidParameterError(
                        f"{exc} For scikit-learn's MLP {name}={value!r}, {ours}."
                    ) from None
            raise

    def _fitted_history(self):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "history_")  # (an AttributeError before fit)
        return self.history_

    @property
    def loss_(self) -> float:
        """The last epoch's training loss (``loss_curve_[-1]``)."""
        return float(self._fitted_history()["loss"].iloc[-1])

    @property
    def best_loss_(self) -> float | None:
        """The lowest training loss of the fit; None with early stopping,
        as scikit-learn's (read ``best_validation_score_`` then)."""
        history = self._fitted_history()
        return None if self.early_stopping else float(history["loss"].min())

    @property
    def best_validation_score_(self) -> float | None:
        """With early stopping on a validation set, the validation score
        (``validation_scores_``) of the kept epoch, ``best_epoch_`` (the one
        ``monitor`` chose; scikit-learn's early stopping watches the score
        itself); None otherwise, as scikit-learn's."""
        self._fitted_history()
        scores = self.validation_scores_
        if not self.early_stopping or scores is None:
            return None
        return float(scores[self.best_epoch_ - 1])

    @property
    def n_layers_(self) -> int:
        """Layers of the network, the input and the output included."""
        self._fitted_history()
        return len(self.hidden_layer_sizes_) + 2
