"""The result of :func:`~skdnn.diagnose`: a verdict with its numbers and advice.

The thresholds its docstring names are constants of ``skdnn._history``,
where the rules that fill it in live.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Diagnosis:
    """Verdict on a pair of learning curves, returned by :func:`diagnose`.

    Attributes
    ----------
    verdict : str
        One of ``"good_fit"``, ``"overfitting"``, ``"still_improving"``,
        ``"underfitting"``, ``"diverged"``, ``"no_validation"`` and
        ``"insufficient_evidence"`` (the curves rest on fewer than
        ``MIN_VALIDATION_ROWS`` validation rows; ``curve_verdict`` says what
        their shape alone reads).
    message : str
        One sentence explaining the verdict with the numbers behind it,
        ending with the evidence (validation rows, folds) when known.
    advice : tuple of str
        Concrete next steps, in terms of the estimator's parameters.
    n_epochs : int
        Number of epochs in the history.
    best_epoch : int or None
        Epoch with the lowest validation loss; None without one.
    overfit_epoch : int or None
        Epoch from which the (smoothed) validation loss rises for good: after
        it, it stays more than ``OVERFIT_TOLERANCE`` above its minimum. Set
        only when the verdict is ``"overfitting"``.
    gap_at_best : float or None
        Validation minus training loss at ``best_epoch``.
    gap_at_last : float or None
        Validation minus training loss at the last epoch with a validation
        loss.
    val_rise : float or None
        How far the smoothed validation loss ends above its minimum, relative
        to that minimum (0.31 means 31 % above).
    n_validation : int or None
        Rows behind the validation curve, summed over the folds of a pooled
        diagnosis; None when unknown (a bare history DataFrame).
    curve_verdict : str or None
        The verdict read from the shape of the curves alone. It equals
        ``verdict`` except for ``"insufficient_evidence"``, where it keeps
        the reading the evidence is too thin to support.
    n_folds : int or None
        Number of fits pooled into one mean curve; None for a single fit.
    fold_spread : float or None
        Standard deviation across the pooled folds of the validation loss at
        ``best_epoch``, a fold that stopped before it held at its last value
        (the width of the band ``HistoryDisplay`` draws there); None for a
        single fit.

    See Also
    --------
    diagnose : Build a diagnosis from a fitted estimator or its history.

    Examples
    --------
    >>> import pandas as pd
    >>> from skdnn._history import diagnose
    >>> history = pd.DataFrame(
    ...     {"loss": [0.7, 0.5, 0.4, 0.35], "val_loss": [0.72, 0.6, 0.52, 0.47]}
    ... )
    >>> diagnosis = diagnose(history)
    >>> diagnosis.verdict, diagnosis.best_epoch
    ('still_improving', 4)
    """

    verdict: str
    message: str
    advice: tuple[str, ...]
    n_epochs: int
    best_epoch: int | None = None
    overfit_epoch: int | None = None
    gap_at_best: float | None = None
    gap_at_last: float | None = None
    val_rise: float | None = None
    n_validation: int | None = None
    curve_verdict: str | None = None
    n_folds: int | None = None
    fold_spread: float | None = None

    def __str__(self) -> str:
        lines = [self.message, *(f"- {step}" for step in self.advice)]
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        # a notebook shows the verdict and advice as print does, not the
        # one-line dataclass repr of every field
        printer.text(str(self))
