"""DesignSearchDisplay: the path of a design search beside the curves it kept.

Each candidate's point carries a label (its move and the verdict of its
curves). A round's candidates often score within a hair of each other, so
the labels are placed, not just offset: each goes to the first free spot
near its point (right of it, then above or below, then left), clear of the
labels already placed and of the points and error bars, with a thin leader
line when it had to move away from its point.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError
from sklearn.utils._optional_dependencies import check_matplotlib_support

from skdnn._plot import HistoryDisplay

__all__ = ["DesignSearchDisplay"]

# How the path of a design search is drawn.
_REJECTED_ALPHA = 0.45
_ACCEPTED_SIZE = 70
_REJECTED_SIZE = 30
_PANEL_WIDTH = 5.5  # inches, of each panel of the figure plot makes
_INCHES_PER_ROUND = 1.0  # more for the path panel, per round beyond three


class DesignSearchDisplay:
    """The path of a :class:`~skdnn.DesignSearchCV` beside the curves it kept.

    The left panel plots the cross-validated score of every candidate
    against its round, each point labelled with its move and the verdict of
    its pooled curves; the accepted designs are joined by a bold line and
    drawn larger, the rejected ones faint, with error bars of one standard
    deviation over the folds. The labels are placed so that none covers
    another or a point, however close the scores of a round; one moved away
    from its point is tied to it by a thin leader line. The right panel
    draws the folds' learning curves of the accepted design, as
    :class:`HistoryDisplay` draws cross-validated curves.

    It is recommended to build a display with :meth:`from_search`; the
    constructor only stores the data and :meth:`plot` draws it.

    Parameters
    ----------
    path : pandas.DataFrame
        One row per candidate with the columns ``round``, ``move``,
        ``verdict``, ``score``, ``score_std`` and ``accepted``, the layout of
        ``DesignSearchCV.path_``.
    histories : list of pandas.DataFrame
        Learning curves of the accepted design, one per fold.
    score_name : str, default="score"
        Label of the score axis.

    Attributes
    ----------
    figure_ : matplotlib.figure.Figure
        Figure holding the plot.
    ax_ : ndarray of two Axes
        The path panel, then the curves panel.
    path_line_ : matplotlib.lines.Line2D
        The line joining the accepted designs.
    points_ : list of matplotlib.collections.PathCollection
        The accepted points, then the rejected ones, then (when a candidate's
        fits failed, so that it has no score) red crosses for the failed
        ones, at the height of the lowest score drawn (labelled "failed";
        no score of theirs).
    errorbars_ : matplotlib.container.ErrorbarContainer
        One standard deviation of each candidate's fold scores.
    annotations_ : list of matplotlib.text.Annotation
        One label per candidate, in the path's row order:
        ``"<move>\\n<verdict>"``, placed in offset points from its point.
    curves_ : HistoryDisplay
        The display of the accepted design's curves.

    See Also
    --------
    skdnn.DesignSearchCV : The search whose path this draws.
    skdnn.HistoryDisplay : Learning curves alone.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from skdnn._search_plot import DesignSearchDisplay
    >>> path = pd.DataFrame(
    ...     {
    ...         "round": [0, 1, 1],
    ...         "move": ["start", "raise_dropout", "narrow"],
    ...         "verdict": ["overfitting", "good_fit", "overfitting"],
    ...         "score": [0.80, 0.86, 0.81],
    ...         "score_std": [0.02, 0.02, 0.03],
    ...         "accepted": [True, True, False],
    ...     }
    ... )
    >>> folds = [
    ...     pd.DataFrame({"loss": [0.7, 0.5, 0.4], "val_loss": [0.7, 0.6, 0.6]}),
    ...     pd.DataFrame({"loss": [0.8, 0.6, 0.5], "val_loss": [0.8, 0.6, 0.7]}),
    ... ]
    >>> display = DesignSearchDisplay(path, folds).plot()
    >>> [a.get_text() for a in display.annotations_]
    ['start\\noverfitting', 'raise_dropout\\ngood_fit', 'narrow\\noverfitting']
    >>> display.path_line_.get_ydata().tolist()
    [0.8, 0.86]
    """

    def __init__(self, path, histories, *, score_name="score"):
        self.path = path
        self.histories = histories
        self.score_name = score_name

    def plot(self, ax=None, **line_kw) -> DesignSearchDisplay:
        """Draw the path and the accepted design's curves.

        Parameters
        ----------
        ax : array-like of two matplotlib Axes, default=None
            The path panel and the curves panel. None creates a figure with
            both, side by side, the path panel wider for a longer search
            (an inch per round beyond three) so that its labels fit.
        **line_kw : dict
            Keyword arguments of :meth:`matplotlib.axes.Axes.plot` for the
            line joining the accepted designs.

        Returns
        -------
        display : DesignSearchDisplay
            This object, with ``figure_``, ``ax_``, ``path_line_``,
            ``points_``, ``errorbars_``, ``annotations_`` and ``curves_``
            set.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        path = self._checked_path()
        if ax is None:
            import matplotlib.pyplot as plt

            # a wider path panel for a longer search, so its labels fit
            beyond = max(0, np.ptp(path["round"]) - 3)
            path_width = _PANEL_WIDTH + _INCHES_PER_ROUND * beyond
            _, axes = plt.subplots(
                1,
                2,
                figsize=(path_width + _PANEL_WIDTH, 4.5),
                width_ratios=(path_width, _PANEL_WIDTH),
                squeeze=False,
            )
            axes = axes.ravel()
        else:
            axes = np.ravel(np.asarray(ax, dtype=object))
            if len(axes) != 2:
                raise ValueError(
                    f"ax holds {len(axes)} Axes; pass two: the path panel and "
                    "the curves panel."
                )
        path_ax, curves_ax = axes
        rounds = path["round"].to_numpy(float)
        scores = path["score"].to_numpy(float)
        accepted = path["accepted"].to_numpy(bool)
        from matplotlib import cbook
        from matplotlib.lines import Line2D

        # (c=, lw= as matplotlib's plot takes them; c= met color= below)
        line_kw = cbook.normalize_kwargs(line_kw, Line2D)
        color = line_kw.pop("color", "C0")
        self.errorbars_ = path_ax.errorbar(
            rounds,
            scores,
            yerr=path["score_std"].to_numpy(float),
            fmt="none",
            ecolor="0.6",
            elinewidth=1,
            capsize=3,
        )
        (self.path_line_,) = path_ax.plot(
            rounds[accepted],
            scores[accepted],
            **{"linewidth": 2, **line_kw, "color": color, "label": "accepted"},
        )
        self.points_ = [
            path_ax.scatter(
                rounds[accepted],
                scores[accepted],
                s=_ACCEPTED_SIZE,
                color=color,
                zorder=3,
                label="_accepted points",
            ),
            path_ax.scatter(
                rounds[~accepted],
                scores[~accepted],
                s=_REJECTED_SIZE,
                color="0.5",
                alpha=_REJECTED_ALPHA,
                zorder=2,
                label="rejected",
            ),
        ]
        failed = ~np.isfinite(scores)  # failed fits: a cross at the lowest score
        if failed.any():
            foot = np.nanmin(scores) if (~failed).any() else 0.0
            scores = np.where(failed, foot, scores)
            self.points_.append(
                path_ax.scatter(rounds[failed], scores[failed], marker="x",
                                color="C3", zorder=2, label="failed")
            )  # fmt: skip
        # room on the right for the last round's labels
        path_ax.set_xlim(rounds.min() - 0.3, rounds.max() + 0.8)
        path_ax.set_xticks(np.unique(rounds))
        path_ax.set_xlabel("round")
        path_ax.set_ylabel(f"cross-validated {self.score_name}")
        path_ax.set_title("design search path")
        legend = path_ax.legend(loc="lower right")
        self.annotations_ = _place_labels(path_ax, path, rounds, scores, accepted,
                                          obstacles=[legend])  # fmt: skip
        histories = self.histories
        if isinstance(histories, pd.DataFrame):
            histories = [histories]
        self.curves_ = HistoryDisplay(list(histories), name="accepted").plot(
            ax=curves_ax
        )
        curves_ax.set_title("accepted design, folds pooled")
        self.ax_ = axes
        self.figure_ = path_ax.figure
        return self

    def _checked_path(self) -> pd.DataFrame:
        path = self.path
        if not isinstance(path, pd.DataFrame):
            raise TypeError(
                f"path must be a DataFrame like DesignSearchCV.path_; got "
                f"{type(path).__name__}."
            )
        needed = ["round", "move", "verdict", "score", "score_std", "accepted"]
        missing = [column for column in needed if column not in path.columns]
        if missing:
            raise ValueError(
                f"path lacks the columns {missing}; DesignSearchCV.path_ has them."
            )
        if len(path) == 0:
            raise ValueError("path is empty: the search tried no design.")
        return path

    @classmethod
    def from_search(cls, search, *, ax=None, **line_kw) -> DesignSearchDisplay:
        """Plot the path of a fitted :class:`~skdnn.DesignSearchCV`.

        Parameters
        ----------
        search : DesignSearchCV
            A fitted search.
        ax : array-like of two matplotlib Axes, default=None
            The path panel and the curves panel; None creates them.
        **line_kw : dict
            Keyword arguments of :meth:`matplotlib.axes.Axes.plot` for the
            accepted path.

        Returns
        -------
        display : DesignSearchDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn.datasets import make_classification
        >>> from skdnn import DesignSearchCV, DesignSearchDisplay
        >>> from skdnn import TaperedMLPClassifier
        >>> X, y = make_classification(n_samples=200, n_features=8, random_state=0)
        >>> search = DesignSearchCV(
        ...     TaperedMLPClassifier(hidden_layer_sizes=(16,), epochs=5),
        ...     cv=3,
        ...     max_rounds=1,
        ...     refit=False,
        ...     random_state=0,
        ... ).fit(X, y)
        >>> display = DesignSearchDisplay.from_search(search)
        >>> len(display.annotations_) == len(search.path_)
        True
        """
        check_matplotlib_support(f"{cls.__name__}.from_search")
        from skdnn._search import DesignSearchCV

        if not hasattr(search, "path_") or not hasattr(search, "best_histories_"):
            if not isinstance(search, DesignSearchCV):
                raise TypeError(
                    f"{cls.__name__}.from_search draws the path of a fitted "
                    f"DesignSearchCV; got a {type(search).__name__}."
                )
            raise NotFittedError(
                f"This {type(search).__name__} instance is not fitted yet: call "
                "'fit' before plotting its path."
            )
        scoring = getattr(search, "scoring", None)
        name = scoring if isinstance(scoring, str) else "score"
        if scoring is None and _scores_balanced_accuracy(
            getattr(search, "scorer_", None)
        ):
            name = "balanced accuracy"
        elif scoring is None and _scores_r2(search):
            name = "R²"  # a regressor's score method (RegressorMixin)
        display = cls(search.path_, search.best_histories_, score_name=name)
        return display.plot(ax=ax, **line_kw)


def _scores_r2(search) -> bool:
    """Whether a search scoring by the estimator's ``score`` scores R²: a
    regressor's own ``score`` is RegressorMixin's."""
    from sklearn.base import RegressorMixin, is_regressor

    from skdnn._search_folds import _final_step_and_prefix

    estimator = getattr(search, "estimator", None)
    if estimator is None or not is_regressor(estimator):
        return False
    final, _ = _final_step_and_prefix(estimator)
    return type(final).score is RegressorMixin.score


def _scores_balanced_accuracy(scorer) -> bool:
    """Whether ``scorer`` is scikit-learn's ``"balanced_accuracy"`` scorer."""
    from sklearn.metrics import balanced_accuracy_score

    return getattr(scorer, "_score_func", None) is balanced_accuracy_score


# How the labels of the path are placed (in points, as text sizes are).
_LABEL_GAP = 3  # between a point's marker and a label beside it
_LABEL_PAD = 1.5  # kept clear around every label
_LABEL_STEP = 3  # the vertical step between a label's trial spots
_LABEL_REACH = 60  # how many steps a label may go up or down
_LEFT_COST = 4  # a spot on the left counts as this many steps farther
_CROSSING_COST = 8  # square points of a line crossed worth a point farther
_NOTHING = 1e-6  # square pixels: an overlap below this is rounding
_CAP = 3  # half the width of an error bar's caps


def _place_labels(ax, path, rounds, scores, accepted, obstacles=()) -> list:
    """Label each candidate's point with its move and verdict, no label on another.

    The accepted candidates are placed first, round by round, then the
    rejected ones, best score first. The trial spots of a label lie right of
    its point, then higher or lower, then left. A label takes the nearest
    spot that stays inside the axes and covers none of the points, the
    labels placed before it and ``obstacles`` (artists such as the legend),
    crossing an error bar or the path line only where a spot clear of them
    is much farther; when no spot is clear, the one covering least. A label
    moved away from its point is tied to it by a thin leader line.
    """
    ax.get_ylim()  # settle the autoscaled limits before reading positions
    to_pixels = ax.transData.transform
    pixel = ax.figure.dpi / 72  # pixels per point
    anchors = to_pixels(np.column_stack([rounds, scores]))
    radii = np.sqrt(np.where(accepted, _ACCEPTED_SIZE, _REJECTED_SIZE)) / 2
    std = np.nan_to_num(path["score_std"].to_numpy(float))
    low = to_pixels(np.column_stack([rounds, scores - std]))[:, 1]
    high = to_pixels(np.column_stack([rounds, scores + std]))[:, 1]
    # what a label must not cover (the points, the legend, the labels placed
    # before it), and what it had better not cross (the error bars and the
    # path line, thin lines it would hide little of)
    hard = [np.column_stack([anchors - pixel * radii[:, None],
                             anchors + pixel * radii[:, None]])]  # fmt: skip
    hard += [np.array([a.get_window_extent().extents]) for a in obstacles]
    soft = [
        np.column_stack([anchors[:, 0] - pixel * _CAP, low,
                         anchors[:, 0] + pixel * _CAP, high])
    ]  # fmt: skip
    line = anchors[accepted]  # the path line, as small boxes along it
    for start, end in pairwise(line):
        along = np.linspace(start, end, max(2, int(np.hypot(*(end - start)) / pixel)))
        soft.append(np.column_stack([along - pixel, along + pixel]))
    hard, soft = np.vstack(hard), np.vstack(soft)
    frame = np.array(ax.get_window_extent().extents)
    sides, steps = np.meshgrid([1, -1], np.arange(-_LABEL_REACH, _LABEL_REACH + 1))
    sides, steps = sides.ravel(), steps.ravel()
    distance = np.abs(steps) + (sides < 0) * _LEFT_COST  # in steps
    spots = np.argsort(distance, kind="stable")
    sides, steps, distance = sides[spots], steps[spots], distance[spots]

    order = sorted(
        range(len(path)),
        key=lambda i: (not accepted[i], rounds[i], -np.nan_to_num(scores[i])),
    )
    notes: list = [None] * len(path)
    for i in order:
        row = path.iloc[i]
        # a candidate whose fits failed has no curves to read
        verdict = row["verdict"] if isinstance(row["verdict"], str) else "failed"
        text = f"{row['move']}\n{verdict}"
        style = {
            "textcoords": "offset points",
            "ha": "left",
            "va": "center",
            "fontsize": 7,
            "alpha": 1.0 if accepted[i] else 0.7,
            "fontweight": "bold" if accepted[i] else "normal",
        }
        probe = ax.annotate(text, (rounds[i], scores[i]), xytext=(0, 0), **style)
        width, height = probe.get_window_extent().size / pixel  # in points
        probe.remove()
        # each spot's offset (of the label's left edge and middle) and box
        gap = radii[i] + _LABEL_GAP
        dx = np.where(sides > 0, gap, -gap - width)
        dy = steps * _LABEL_STEP
        x0 = anchors[i, 0] + pixel * dx
        y0 = anchors[i, 1] + pixel * (dy - height / 2)
        boxes = np.column_stack([x0, y0, x0 + pixel * width, y0 + pixel * height])
        pad = pixel * _LABEL_PAD
        padded = boxes + np.array([-pad, -pad, pad, pad])
        area = pixel**2 * width * height
        outside = area - _overlap(boxes, frame[None, :])[:, 0]
        covered = _overlap(padded, hard).sum(axis=1) + outside
        crossed = _overlap(padded, soft).sum(axis=1)
        # the nearest spot that covers nothing, crossing a line only when
        # a spot clear of lines is not much farther
        cost = crossed + _CROSSING_COST * pixel**2 * (_LABEL_STEP * distance)
        cost[covered > _NOTHING] = np.inf
        best = (
            int(np.argmin(cost)) if np.isfinite(cost).any() else int(np.argmin(covered))
        )
        away = abs(dy[best]) > height / 2  # its point not beside it
        arrow = {
            "arrowstyle": "-",
            "color": "0.6",
            "linewidth": 0.6,
            "shrinkA": 1,
            "shrinkB": radii[i] + 1,
            "relpos": (0.0, 0.5) if sides[best] > 0 else (1.0, 0.5),
        }
        notes[i] = ax.annotate(
            text,
            (rounds[i], scores[i]),
            xytext=(dx[best], dy[best]),
            arrowprops=arrow if away else None,
            **style,
        )
        hard = np.vstack([hard, boxes[best]])
    return notes


def _overlap(boxes, others) -> np.ndarray:
    """The areas each of ``boxes`` shares with each of ``others``.

    Both hold one box (x0, y0, x1, y1) per row; the result has a row per
    box and a column per other.
    """
    width = np.minimum(boxes[:, None, 2], others[None, :, 2]) - np.maximum(
        boxes[:, None, 0], others[None, :, 0]
    )
    height = np.minimum(boxes[:, None, 3], others[None, :, 3]) - np.maximum(
        boxes[:, None, 1], others[None, :, 1]
    )
    return np.clip(width, 0, None) * np.clip(height, 0, None)
