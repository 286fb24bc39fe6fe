"""HistoryDisplay: learning curves drawn the scikit-learn way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.utils._optional_dependencies import check_matplotlib_support

from skdnn._curves import (
    _epoch_numbers,
    _final_step,
    _history_of,
    _series,
    fold_curves,
    majority_of,
)

__all__ = ["HistoryDisplay"]

# How the folds of a cross-validation are drawn around their mean.
_FOLD_ALPHA = 0.25
_BAND_ALPHA = 0.2
_MEAN_WIDTH = 2.5


class HistoryDisplay:
    """Learning curves: training solid, validation dashed, best epoch marked.

    It is recommended to build a display with :meth:`from_estimator`,
    :meth:`from_history`, :meth:`from_cv_results` or :meth:`from_estimators`;
    the constructor only stores the data, and :meth:`plot` draws it.

    Parameters
    ----------
    history : pandas.DataFrame, list of DataFrame or dict of str to DataFrame
        Learning curves laid out like ``TaperedMLPClassifier.history_`` (one
        row per epoch; a column per metric, ``val_<metric>`` for its
        validation counterpart). One DataFrame is one fit; a list holds the
        folds of a cross-validation, drawn faint around their mean ± one
        standard deviation; a dict maps design names to fits drawn on shared
        axes, one colour per design.
    name : str, default=None
        Name of the fit (or of the cross-validated model), prefixed to the
        legend labels. Ignored for a dict of designs, whose keys name them.
    best_epoch : int or dict of str to int, default=None
        Epoch to mark, or one per design for a dict of histories. None marks
        the epoch of the lowest validation loss (training loss without a
        validation curve); for folds, that of their mean.

    Attributes
    ----------
    figure_ : matplotlib.figure.Figure
        Figure holding the plot.
    ax_ : matplotlib.axes.Axes or ndarray of Axes
        The axes, one per metric; an array of them when several metrics are
        plotted.
    lines_ : list of matplotlib.lines.Line2D
        The curves, panel by panel: training then validation of each fit;
        for folds, every fold first, then the two mean curves.
    best_epoch_lines_ : list of matplotlib.lines.Line2D
        The vertical lines marking the best epoch, labelled
        ``"best epoch N"``.
    fill_between_ : list of matplotlib.collections.PolyCollection
        The mean ± standard deviation bands of folds; empty otherwise.

    See Also
    --------
    skdnn.diagnose : Read a verdict from the same curves.
    sklearn.model_selection.LearningCurveDisplay : Scores against the number
        of training samples rather than epochs.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from skdnn._plot import HistoryDisplay
    >>> history = pd.DataFrame(
    ...     {
    ...         "loss": [0.7, 0.5, 0.4, 0.35],
    ...         "val_loss": [0.72, 0.55, 0.5, 0.52],
    ...         "recall": [0.6, 0.7, 0.8, 0.85],
    ...         "val_recall": [0.55, 0.7, 0.75, 0.74],
    ...     },
    ...     index=pd.RangeIndex(1, 5, name="epoch"),
    ... )
    >>> display = HistoryDisplay(history).plot(metrics=("loss", "recall"))
    >>> display.ax_.shape
    (2,)
    >>> [line.get_label() for line in display.best_epoch_lines_]
    ['best epoch 3', 'best epoch 3']
    """

    def __init__(self, history, *, name=None, best_epoch=None):
        self.history = history
        self.name = name
        self.best_epoch = best_epoch

    def plot(self, ax=None, *, metrics=("loss",), **line_kw) -> HistoryDisplay:
        """Draw the curves, one panel per metric.

        Parameters
        ----------
        ax : matplotlib Axes or array-like of Axes, default=None
            Axes to draw on, one per metric. None creates a figure with one
            panel per metric, side by side.
        metrics : str or sequence of str, default=("loss",)
            Metrics to draw: each is a column of the history (``"loss"``,
            ``"accuracy"``, a scorer name such as ``"recall"``...), drawn with
            its ``val_`` counterpart when there is one.
        **line_kw : dict
            Keyword arguments of :meth:`matplotlib.axes.Axes.plot`, applied
            to every curve (for a dict of designs, ``color`` is ignored:
            each design keeps its own colour).

        Returns
        -------
        display : HistoryDisplay
            This object, with ``figure_``, ``ax_``, ``lines_``,
            ``best_epoch_lines_`` and ``fill_between_`` set.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        from matplotlib import cbook
        from matplotlib.lines import Line2D
        from matplotlib.ticker import MaxNLocator

        line_kw = cbook.normalize_kwargs(line_kw, Line2D)
        groups = self._groups()
        metrics = _check_metrics(metrics, [h for g in groups for h in g.histories])
        axes = _panels(ax, len(metrics))

        self.lines_, self.best_epoch_lines_, self.fill_between_ = [], [], []
        for axis, metric in zip(axes, metrics, strict=True):
            for group in groups:
                kw = dict(line_kw)
                color = group.color
                if color is None:
                    color = kw.get("color") or _next_color(axis)
                kw["color"] = color
                if len(group.histories) == 1:
                    self._draw_fit(axis, group, metric, kw)
                else:
                    self._draw_folds(axis, group, metric, kw)
                marker = axis.axvline(
                    group.best_epoch,
                    color=color,
                    linestyle=":",
                    linewidth=1.2,
                    label=f"{group.prefix}best epoch {group.best_epoch}",
                )
                self.best_epoch_lines_.append(marker)
            axis.set_xlabel("epoch")
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))  # no 2.5
            axis.set_ylabel(metric)
            axis.legend()
        self.ax_ = axes[0] if len(axes) == 1 else axes
        self.figure_ = axes[0].figure
        return self

    def _draw_fit(self, axis, group, metric, kw):
        """One fit: training solid, validation dashed, in one colour."""
        history = group.histories[0]
        for column, style, label in _columns(metric, group.prefix):
            if column in history.columns:
                x, y = _curve(history, column)
                (line,) = axis.plot(x, y, **{"linestyle": style, **kw, "label": label})
                self.lines_.append(line)

    def _draw_folds(self, axis, group, metric, kw):
        """Folds faint, their mean bold inside a ± one std band (within the
        folds' range)."""
        fold_kw = {
            **kw,
            "alpha": _FOLD_ALPHA,
            "linewidth": kw.get("linewidth", 1.5) / 2,
        }
        means = []
        for column, style, label in _columns(metric, group.prefix):
            # (a fold with no value in the column, all its epochs unscored,
            # is no fold of the mean: it was counted in "of 3 folds")
            scored = _scored(group.histories, column)
            if not scored:
                continue
            for i, (_, curve) in enumerate(scored, start=1):
                (line,) = axis.plot(
                    curve.index,
                    curve.to_numpy(),
                    **{"linestyle": style, **fold_kw, "label": f"_fold {i} {label}"},
                )
                self.lines_.append(line)
            curves = [curve for _, curve in scored]
            folds = fold_curves(curves)
            mean, std = _fold_mean(folds), folds.std(axis=1, ddof=0)
            # within what the folds reached: a few folds' spread drew an
            # accuracy band past 1 and a loss band below 0
            band = axis.fill_between(
                mean.index,
                np.maximum(mean - std, folds.min(axis=1)),
                np.minimum(mean + std, folds.max(axis=1)),
                color=kw["color"],
                alpha=_BAND_ALPHA,
                linewidth=0,
                label=f"_{label} band",
            )
            self.fill_between_.append(band)
            mean_label = f"{label} (mean ± std of {len(curves)} folds)"
            means.append((mean, style, mean_label))
        for mean, style, label in means:
            (line,) = axis.plot(
                mean.index,
                mean.to_numpy(),
                **{
                    "linestyle": style,
                    **kw,
                    "linewidth": _MEAN_WIDTH,
                    "label": label,
                },
            )
            self.lines_.append(line)

    def _groups(self) -> list[_Group]:
        """The fits to draw, each with its histories, colour and best epoch."""
        history, best = self.history, self.best_epoch
        if isinstance(history, pd.DataFrame):
            return [_Group.of([history], _prefix(self.name), None, best)]
        if isinstance(history, Mapping):
            if not history:
                raise ValueError("history is an empty dict: pass at least one fit.")
            if best is not None and not isinstance(best, Mapping):
                raise TypeError(
                    "best_epoch must be a dict of design name to epoch when "
                    f"history is a dict; got {type(best).__name__}."
                )
            best = best or {}
            return [
                _Group.of(
                    [_checked(frame, name)], _prefix(name), f"C{i}", best.get(name)
                )
                for i, (name, frame) in enumerate(history.items())
            ]
        if isinstance(history, Sequence) and not isinstance(history, str):
            if not history:
                raise ValueError("history is an empty list: pass at least one fold.")
            frames = [_checked(frame, f"fold {i}") for i, frame in enumerate(history)]
            return [_Group.of(frames, _prefix(self.name), None, best)]
        raise TypeError(
            "history must be a DataFrame, a list of DataFrames (folds) or a dict "
            f"of name to DataFrame (designs); got {type(history).__name__}."
        )

    @classmethod
    def from_history(
        cls,
        history: pd.DataFrame,
        *,
        metrics=("loss",),
        ax=None,
        name: str | None = None,
        best_epoch: int | None = None,
        **line_kw,
    ) -> HistoryDisplay:
        """Plot the learning curves of a history DataFrame.

        Parameters
        ----------
        history : pandas.DataFrame
            One row per epoch, laid out like ``TaperedMLPClassifier.history_``.
        metrics : str or sequence of str, default=("loss",)
            Metrics to draw, one panel each.
        ax : matplotlib Axes or array-like of Axes, default=None
            Axes to draw on, one per metric; None creates them.
        name : str, default=None
            Name prefixed to the legend labels.
        best_epoch : int, default=None
            Epoch to mark; None marks that of the lowest validation loss.
        **line_kw : dict
            Keyword arguments of :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : HistoryDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import pandas as pd
        >>> from skdnn._plot import HistoryDisplay
        >>> history = pd.DataFrame(
        ...     {"loss": [0.7, 0.5, 0.4], "val_loss": [0.72, 0.6, 0.62]}
        ... )
        >>> display = HistoryDisplay.from_history(history)
        >>> [line.get_linestyle() for line in display.lines_]
        ['-', '--']
        >>> display.best_epoch_lines_[0].get_label()
        'best epoch 2'
        """
        check_matplotlib_support(f"{cls.__name__}.from_history")
        display = cls(_checked(history, "history"), name=name, best_epoch=best_epoch)
        return display.plot(ax=ax, metrics=metrics, **line_kw)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        metrics=("loss",),
        ax=None,
        name: str | None = None,
        **line_kw,
    ) -> HistoryDisplay:
        """Plot the learning curves of a fitted estimator.

        Parameters
        ----------
        estimator : TaperedMLPClassifier or Pipeline
            A fitted :class:`~skdnn.TaperedMLPClassifier`, or a fitted
            Pipeline whose last step is one.
        metrics : str or sequence of str, default=("loss",)
            Metrics to draw, one panel each.
        ax : matplotlib Axes or array-like of Axes, default=None
            Axes to draw on, one per metric; None creates them.
        name : str, default=None
            Name prefixed to the legend labels.
        **line_kw : dict
            Keyword arguments of :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : HistoryDisplay
            The marked epoch is the estimator's ``best_epoch_``.

        Examples
        --------
        A fitted ``TaperedMLPClassifier`` (or a Pipeline ending in one) is
        what this is for; the stand-in below only carries the two fitted
        attributes read here, ``history_`` and ``best_epoch_``.

        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import pandas as pd
        >>> from types import SimpleNamespace
        >>> from skdnn._plot import HistoryDisplay
        >>> clf = SimpleNamespace(
        ...     history_=pd.DataFrame(
        ...         {"loss": [0.7, 0.5, 0.4], "val_loss": [0.72, 0.6, 0.62]},
        ...         index=pd.RangeIndex(1, 4, name="epoch"),
        ...     ),
        ...     best_epoch_=2,
        ... )
        >>> display = HistoryDisplay.from_estimator(clf, name="tapered")
        >>> [line.get_label() for line in display.lines_]
        ['tapered train', 'tapered validation']
        >>> display.ax_.get_xlabel(), display.ax_.get_ylabel()
        ('epoch', 'loss')
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        history = _history_of(estimator)
        display = cls(history, name=name, best_epoch=_fitted_best_epoch(estimator))
        return display.plot(ax=ax, metrics=metrics, **line_kw)

    @classmethod
    def from_cv_results(
        cls,
        cv_results: Mapping,
        *,
        metrics=("loss",),
        ax=None,
        name: str | None = None,
        **line_kw,
    ) -> HistoryDisplay:
        """Plot the learning curves of every fold of a cross-validation.

        Every fold is drawn faint; the mean over folds is drawn bold inside a
        band of ± one standard deviation (kept within the lowest and highest
        fold, so an accuracy band stays below 1), for training and
        validation. At
        each epoch they are taken over every fold, one that has stopped held
        at its last value (early stopping can end folds at different
        epochs), up to the last epoch more than half of the folds reached:
        past it the few folds that ran on are drawn, but no mean.

        Parameters
        ----------
        cv_results : dict
            The output of :func:`sklearn.model_selection.cross_validate`
            called with ``return_estimator=True``: its ``"estimator"`` entry
            holds the fitted estimators (or Pipelines) of the folds.
        metrics : str or sequence of str, default=("loss",)
            Metrics to draw, one panel each.
        ax : matplotlib Axes or array-like of Axes, default=None
            Axes to draw on, one per metric; None creates them.
        name : str, default=None
            Name prefixed to the legend labels.
        **line_kw : dict
            Keyword arguments of :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : HistoryDisplay
            The marked epoch is that of the lowest mean validation loss, or,
            when the folds' early stopping watched a score (``monitor``),
            of its highest mean.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import pandas as pd
        >>> from types import SimpleNamespace
        >>> from skdnn._plot import HistoryDisplay
        >>> folds = [
        ...     SimpleNamespace(history_=pd.DataFrame({"loss": l, "val_loss": v}))
        ...     for l, v in [([0.7, 0.5, 0.4], [0.7, 0.6, 0.6]),
        ...                  ([0.8, 0.6, 0.5], [0.8, 0.6, 0.7])]
        ... ]
        >>> display = HistoryDisplay.from_cv_results({"estimator": folds})
        >>> len(display.lines_), len(display.fill_between_)
        (6, 2)
        """
        check_matplotlib_support(f"{cls.__name__}.from_cv_results")
        if not isinstance(cv_results, Mapping) or "estimator" not in cv_results:
            raise ValueError(
                "cv_results must be the dict returned by "
                "sklearn.model_selection.cross_validate(..., "
                "return_estimator=True), with an 'estimator' entry."
            )
        estimators = list(cv_results["estimator"])
        histories = [_history_of(est) for est in estimators]
        display = cls(histories, name=name, best_epoch=_monitored_epoch(estimators))
        return display.plot(ax=ax, metrics=metrics, **line_kw)

    @classmethod
    def from_estimators(
        cls,
        estimators: Mapping,
        *,
        metrics=("loss",),
        ax=None,
        **line_kw,
    ) -> HistoryDisplay:
        """Compare the learning curves of several fitted designs.

        Every design is drawn on the same axes in its own colour (training
        solid, validation dashed), with its best epoch marked: a "before" /
        "after" comparison of two designs in one picture.

        Parameters
        ----------
        estimators : dict of str to estimator
            Design name to fitted :class:`~skdnn.TaperedMLPClassifier` (or
            Pipeline ending in one), in legend order.
        metrics : str or sequence of str, default=("loss",)
            Metrics to draw, one panel each.
        ax : matplotlib Axes or array-like of Axes, default=None
            Axes to draw on, one per metric; None creates them.
        **line_kw : dict
            Keyword arguments of :meth:`matplotlib.axes.Axes.plot`, except
            ``color``.

        Returns
        -------
        display : HistoryDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import pandas as pd
        >>> from types import SimpleNamespace
        >>> from skdnn._plot import HistoryDisplay
        >>> before = SimpleNamespace(
        ...     history_=pd.DataFrame({"loss": [0.7, 0.3], "val_loss": [0.7, 0.9]})
        ... )
        >>> after = SimpleNamespace(
        ...     history_=pd.DataFrame({"loss": [0.7, 0.5], "val_loss": [0.7, 0.6]})
        ... )
        >>> display = HistoryDisplay.from_estimators({"before": before, "after": after})
        >>> [line.get_label() for line in display.lines_]
        ['before train', 'before validation', 'after train', 'after validation']
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimators")
        if not isinstance(estimators, Mapping):
            raise TypeError(
                "estimators must be a dict of design name to fitted estimator, "
                f"e.g. {{'before': clf1, 'after': clf2}}; got "
                f"{type(estimators).__name__}."
            )
        histories = {name: _history_of(est) for name, est in estimators.items()}
        best = {name: _fitted_best_epoch(est) for name, est in estimators.items()}
        display = cls(histories, best_epoch=best)
        return display.plot(ax=ax, metrics=metrics, **line_kw)


class _Group:
    """One fit (or the folds of one cross-validation) as drawn."""

    def __init__(self, histories, prefix, color, best_epoch):
        self.histories = histories
        self.prefix = prefix
        self.color = color
        self.best_epoch = best_epoch

    @classmethod
    def of(cls, histories, prefix, color, best_epoch):
        if best_epoch is None:
            best_epoch = _lowest_loss_epoch(histories)
        else:
            epochs = np.concatenate([_epoch_numbers(h) for h in histories])
            if not epochs.min() <= best_epoch <= epochs.max():
                raise ValueError(
                    f"best_epoch={best_epoch} lies outside the {prefix or ''}"
                    f"history's epochs {epochs.min()} to {epochs.max()}."
                )
        return cls(histories, prefix, color, int(best_epoch))


def _prefix(name) -> str:
    return "" if name is None else f"{name} "


def _checked(history, what) -> pd.DataFrame:
    if not isinstance(history, pd.DataFrame):
        raise TypeError(
            f"{what} must be a history DataFrame (one row per epoch); got "
            f"{type(history).__name__}."
        )
    if len(history) == 0:
        raise ValueError(f"{what} is empty: no epoch was recorded.")
    return history


def _curve(history: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Epochs and values of one column, without its missing epochs (a
    curve recorded every few epochs is drawn through them)."""
    values = pd.to_numeric(history[column], errors="coerce").to_numpy(float)
    epochs = _epoch_numbers(history)
    keep = ~np.isnan(values)
    return epochs[keep], values[keep]


def _columns(metric: str, prefix: str):
    """Column, line style and label of the training and validation curves."""
    return [
        (metric, "-", f"{prefix}train"),
        (f"val_{metric}", "--", f"{prefix}validation"),
    ]


def _lowest_loss_epoch(histories: list[pd.DataFrame]) -> int:
    """Epoch of the lowest (mean) validation loss, else training loss."""
    for column in ("val_loss", "loss"):
        best = _best_mean_epoch(histories, column, highest=False)
        if best is not None:
            return best
    return int(_epoch_numbers(histories[0])[0])


def _scored(histories, column: str) -> list[tuple[pd.DataFrame, pd.Series]]:
    """Each history with a value in ``column``, and its curve there (a fold
    whose every epoch is unscored is none)."""
    pairs = [(h, _series(h, column)) for h in histories if column in h.columns]
    return [(h, curve) for h, curve in pairs if len(curve)]


def _best_mean_epoch(histories, column: str, *, highest: bool) -> int | None:
    """The epoch of the lowest (``highest``: highest) mean of the folds'
    ``column`` (see :func:`_fold_mean`); None where no fold has one."""
    curves = [curve for _, curve in _scored(histories, column)]
    if not curves:
        return None
    mean = _fold_mean(fold_curves(curves))
    return int(mean.idxmax() if highest else mean.idxmin())


def _fold_mean(folds: pd.DataFrame) -> pd.Series:
    """The mean of :func:`~skdnn._curves.fold_curves`'s folds at each epoch
    a majority of them scored (NaN at the others: a "mean" of the one fold
    that scored an epoch spiked the line and drew the best-epoch mark)."""
    scored = folds.notna().sum(axis=1)
    return folds.mean(axis=1).where(scored >= majority_of(folds.shape[1]))


def _monitored_epoch(estimators) -> int | None:
    """The epoch of the best mean of the column the folds' early stopping
    watched, when it is a score (``monitor="val_roc_auc"``: the highest);
    None for the loss (the lowest mean validation loss, the default mark).
    A fold's kept network comes from its monitored column's best epoch: the
    mark of the lowest mean validation loss lay at epoch 21 when every fold
    kept epoch 10 to 12."""
    monitors = {getattr(_final_step(e), "monitor", None) for e in estimators}
    if len(monitors) != 1 or not isinstance(monitor := monitors.pop(), str):
        return None
    histories = [_history_of(e) for e in estimators]
    for column in dict.fromkeys((monitor, monitor.removeprefix("val_"))):
        if column.removeprefix("val_") == "loss":
            return None
        best = _best_mean_epoch(histories, column, highest=True)
        if best is not None:
            return best
    return None


def _fitted_best_epoch(estimator) -> int | None:
    best = getattr(_final_step(estimator), "best_epoch_", None)
    return int(best) if best else None


def _available_metrics(histories) -> list[str]:
    names = {}
    for history in histories:
        for column in history.columns:
            names.setdefault(column.removeprefix("val_"), None)
    return list(names)


def _check_metrics(metrics, histories) -> list[str]:
    """The metric names to draw, each present in every history."""
    if isinstance(metrics, str):
        metrics = (metrics,)
    metrics = list(metrics)
    if not metrics:
        raise ValueError("metrics is empty: name at least one, e.g. ('loss',).")
    checked = []
    for metric in metrics:
        base = metric.removeprefix("val_")
        missing = [
            history
            for history in histories
            if base not in history.columns and f"val_{base}" not in history.columns
        ]
        if missing:
            raise ValueError(
                f"No {metric!r} curve in the history; available metrics: "
                f"{_available_metrics(histories)}. Per-epoch scores other than "
                "loss and accuracy are recorded for the estimator's `scoring`."
            )
        checked.append(base)
    return checked


def _panels(ax, n_metrics: int) -> np.ndarray:
    """One Axes per metric: the given ones, or a new row of panels."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(
            1, n_metrics, figsize=(5 * n_metrics, 4), squeeze=False, sharex=True
        )
        return axes.ravel()
    axes = np.ravel(np.asarray(ax, dtype=object))
    if len(axes) != n_metrics:
        raise ValueError(
            f"ax holds {len(axes)} Axes but {n_metrics} metrics were asked for: "
            "pass one Axes per metric."
        )
    return axes


def _next_color(axis) -> str:
    """The next colour of ``axis``'s property cycle, as ``axis.plot`` would
    give an unstyled line: a second display on the same Axes takes the
    next colour, as scikit-learn's displays do."""
    (probe,) = axis.plot([], [])
    color = probe.get_color()
    probe.remove()
    return color
