"""Tests of HistoryDisplay: the artists it draws, checked one by one."""

import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from skdnn._plot import HistoryDisplay  # noqa: E402


def history(loss, val_loss=None, **columns):
    data = {"loss": loss}
    if val_loss is not None:
        data["val_loss"] = val_loss
    data.update(columns)
    frame = pd.DataFrame(data, dtype=float)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="epoch")
    return frame


LOSS = [0.7, 0.5, 0.4, 0.35, 0.3]
VAL_LOSS = [0.72, 0.55, 0.5, 0.52, 0.56]
RECALL = [0.5, 0.6, 0.7, 0.8, 0.85]
VAL_RECALL = [0.5, 0.6, 0.65, 0.66, 0.64]


def full_history():
    return history(LOSS, VAL_LOSS, recall=RECALL, val_recall=VAL_RECALL)


class _Fitted(ClassifierMixin, BaseEstimator):
    """A stand-in for a fitted TaperedMLPClassifier."""

    def __init__(self, frame=None, best=None):
        self.frame = frame
        self.best = best

    def fit(self, X=None, y=None):
        self.history_ = self.frame
        self.best_epoch_ = self.best
        self.classes_ = np.array([0, 1])
        return self


def fitted(frame, best=None):
    return _Fitted(frame, best).fit()


def colour(artist):
    return to_rgba(artist.get_color())


def legend_texts(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


# ----------------------------------------------------------------------
# One fit
# ----------------------------------------------------------------------


def test_from_history_draws_train_solid_validation_dashed():
    display = HistoryDisplay.from_history(full_history())
    assert isinstance(display, HistoryDisplay)
    train, val = display.lines_
    assert train.get_linestyle() == "-"
    assert val.get_linestyle() == "--"
    assert colour(train) == colour(val)
    assert train.get_label() == "train"
    assert val.get_label() == "validation"
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(train.get_ydata(), LOSS)
    np.testing.assert_array_equal(val.get_ydata(), VAL_LOSS)

    ax = display.ax_
    assert isinstance(ax, matplotlib.axes.Axes)
    assert display.figure_ is ax.figure
    assert ax.get_xlabel() == "epoch"
    ax.figure.canvas.draw()  # epochs are whole: no tick at 2.5
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert ax.get_ylabel() == "loss"
    # the curves and the marker, nothing else
    assert len(ax.get_lines()) == 3
    assert legend_texts(ax) == ["train", "validation", "best epoch 3"]


def test_best_epoch_marker():
    display = HistoryDisplay.from_history(full_history())
    (marker,) = display.best_epoch_lines_
    assert marker.get_label() == "best epoch 3"
    np.testing.assert_array_equal(marker.get_xdata(), [3, 3])
    assert marker.get_linestyle() == ":"
    assert colour(marker) == colour(display.lines_[0])
    # an explicit best epoch wins
    display = HistoryDisplay.from_history(full_history(), best_epoch=5)
    assert display.best_epoch_lines_[0].get_label() == "best epoch 5"
    # one the history does not hold is refused (it was drawn off the curves)
    for epoch in (0, 99):
        with pytest.raises(ValueError, match=f"best_epoch={epoch} lies outside"):
            HistoryDisplay.from_history(full_history(), best_epoch=epoch)


def test_several_metrics_one_panel_each():
    display = HistoryDisplay(full_history(), name="tapered").plot(
        metrics=("loss", "recall")
    )
    assert isinstance(display.ax_, np.ndarray)
    assert display.ax_.shape == (2,)
    assert [ax.get_ylabel() for ax in display.ax_] == ["loss", "recall"]
    assert [ax.get_xlabel() for ax in display.ax_] == ["epoch", "epoch"]
    assert len(display.lines_) == 4
    assert len(display.best_epoch_lines_) == 2
    recall_train, recall_val = display.lines_[2:]
    np.testing.assert_array_equal(recall_train.get_ydata(), RECALL)
    np.testing.assert_array_equal(recall_val.get_ydata(), VAL_RECALL)
    assert recall_val.get_linestyle() == "--"
    assert recall_train.get_label() == "tapered train"
    for ax in display.ax_:
        assert legend_texts(ax) == [
            "tapered train",
            "tapered validation",
            "tapered best epoch 3",
        ]
    assert display.figure_ is display.ax_[0].figure


def test_single_metric_as_string_and_validation_name():
    display = HistoryDisplay(full_history()).plot(metrics="val_recall")
    assert display.ax_.get_ylabel() == "recall"
    assert len(display.lines_) == 2


def test_missing_metric_lists_available_ones():
    with pytest.raises(ValueError, match=r"No 'precision' curve") as error:
        HistoryDisplay(full_history()).plot(metrics=("loss", "precision"))
    assert "['loss', 'recall']" in str(error.value)
    with pytest.raises(ValueError, match="metrics is empty"):
        HistoryDisplay(full_history()).plot(metrics=())


def test_without_validation():
    display = HistoryDisplay.from_history(history(LOSS))
    (line,) = display.lines_
    assert line.get_linestyle() == "-"
    # the best epoch falls back on the lowest training loss
    assert display.best_epoch_lines_[0].get_label() == "best epoch 5"


def test_missing_validation_epochs_are_skipped():
    frame = history(LOSS, [0.72, 0.55, np.nan, 0.52, np.nan])
    display = HistoryDisplay.from_history(frame)
    val = display.lines_[1]
    np.testing.assert_array_equal(val.get_xdata(), [1, 2, 4])
    assert display.best_epoch_lines_[0].get_label() == "best epoch 4"


def test_index_without_epoch_name_counts_from_one():
    frame = pd.DataFrame({"loss": LOSS, "val_loss": VAL_LOSS})
    display = HistoryDisplay.from_history(frame)
    np.testing.assert_array_equal(display.lines_[0].get_xdata(), [1, 2, 3, 4, 5])


def test_line_kw_reach_every_curve():
    display = HistoryDisplay.from_history(full_history(), c="red", lw=3)
    for line in display.lines_:
        assert colour(line) == to_rgba("red")
        assert line.get_linewidth() == 3
    assert colour(display.best_epoch_lines_[0]) == to_rgba("red")


def test_draws_on_given_axes():
    fig, axes = plt.subplots(1, 2)
    display = HistoryDisplay(full_history()).plot(axes, metrics=("loss", "recall"))
    assert list(display.ax_) == list(axes)
    assert display.figure_ is fig
    _, ax = plt.subplots()
    display = HistoryDisplay(full_history()).plot(ax)
    assert display.ax_ is ax
    with pytest.raises(ValueError, match="one Axes per metric"):
        HistoryDisplay(full_history()).plot(ax, metrics=("loss", "recall"))


def test_init_stores_and_plot_can_repeat():
    frame = full_history()
    display = HistoryDisplay(frame, name="x", best_epoch=2)
    assert display.history is frame
    assert (display.name, display.best_epoch) == ("x", 2)
    assert not hasattr(display, "ax_")
    first = display.plot().ax_
    second = display.plot().ax_
    assert first is not second
    assert len(display.lines_) == 2


def test_bad_history():
    with pytest.raises(TypeError, match="must be a DataFrame, a list of"):
        HistoryDisplay(0.5).plot()
    with pytest.raises(TypeError, match="fold 0 must be a history DataFrame"):
        HistoryDisplay([0.5, 0.4]).plot()
    with pytest.raises(TypeError, match="history must be a history DataFrame"):
        HistoryDisplay.from_history({"loss": [0.5]})
    with pytest.raises(ValueError, match="empty"):
        HistoryDisplay.from_history(pd.DataFrame({"loss": []}))


def test_without_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match="requires matplotlib"):
        HistoryDisplay.from_history(full_history())
    with pytest.raises(ImportError, match="requires matplotlib"):
        HistoryDisplay(full_history()).plot()


# ----------------------------------------------------------------------
# Estimators
# ----------------------------------------------------------------------


def test_from_estimator_marks_its_best_epoch():
    est = fitted(full_history(), best=4)
    display = HistoryDisplay.from_estimator(est, metrics=("loss", "recall"))
    assert [m.get_label() for m in display.best_epoch_lines_] == ["best epoch 4"] * 2
    pipe = make_pipeline(StandardScaler(), _Fitted(full_history(), best=2))
    pipe.fit(np.zeros((4, 2)), [0, 1, 0, 1])
    display = HistoryDisplay.from_estimator(pipe, name="pipe")
    assert display.lines_[0].get_label() == "pipe train"
    assert display.best_epoch_lines_[0].get_label() == "pipe best epoch 2"


def test_from_estimator_rejects_unfitted_and_foreign_estimators():
    from skdnn._classifier import TaperedMLPClassifier

    with pytest.raises(NotFittedError):
        HistoryDisplay.from_estimator(TaperedMLPClassifier())
    X, y = np.random.default_rng(0).normal(size=(20, 2)), np.arange(20) % 2
    with pytest.raises(TypeError, match="records no learning curves"):
        HistoryDisplay.from_estimator(LogisticRegression().fit(X, y))


def test_from_estimators_one_colour_per_design():
    before = fitted(history([0.7, 0.3, 0.1, 0.05], [0.7, 0.6, 0.8, 0.9]), best=2)
    after = fitted(history([0.7, 0.5, 0.4, 0.35], [0.7, 0.55, 0.5, 0.48]), best=4)
    display = HistoryDisplay.from_estimators({"before": before, "after": after})
    ax = display.ax_
    assert len(display.lines_) == 4
    assert len(ax.get_lines()) == 6  # four curves, two markers, one axes
    b_train, b_val, a_train, a_val = display.lines_
    assert colour(b_train) == colour(b_val)
    assert colour(a_train) == colour(a_val)
    assert colour(b_train) != colour(a_train)
    assert [line.get_linestyle() for line in display.lines_] == ["-", "--"] * 2
    labels = [line.get_label() for line in display.best_epoch_lines_]
    assert labels == ["before best epoch 2", "after best epoch 4"]
    assert colour(display.best_epoch_lines_[0]) == colour(b_train)
    assert legend_texts(ax) == [
        "before train",
        "before validation",
        "before best epoch 2",
        "after train",
        "after validation",
        "after best epoch 4",
    ]


def test_displays_on_one_axes_take_the_next_colour():
    # as scikit-learn's displays: a second fit drawn on the same Axes takes
    # the next colour of its cycle; each fit's curves and marker share one
    _, ax = plt.subplots()
    first = HistoryDisplay.from_history(full_history(), ax=ax)
    second = HistoryDisplay.from_history(full_history(), ax=ax)
    for display in (first, second):
        assert {colour(line) for line in display.lines_} == {
            colour(display.best_epoch_lines_[0])
        }
    assert colour(first.lines_[0]) == to_rgba("C0")
    assert colour(second.lines_[0]) == to_rgba("C1")
    # a colour given is kept
    third = HistoryDisplay.from_history(full_history(), ax=ax, color="red")
    assert colour(third.lines_[0]) == to_rgba("red")


def test_from_estimators_several_metrics_share_panels():
    designs = {name: fitted(full_history(), best=3) for name in ("a", "b", "c")}
    display = HistoryDisplay.from_estimators(designs, metrics=("loss", "recall"))
    assert display.ax_.shape == (2,)
    for ax in display.ax_:
        assert len(ax.get_lines()) == 3 * 3
    # colour is fixed per design, even when line_kw asks for another
    display = HistoryDisplay.from_estimators(designs, color="black")
    assert len({colour(line) for line in display.lines_}) == 3


def test_from_estimators_needs_a_mapping():
    with pytest.raises(TypeError, match="dict of design name"):
        HistoryDisplay.from_estimators([fitted(full_history())])
    with pytest.raises(ValueError, match="empty dict"):
        HistoryDisplay.from_estimators({})


# ----------------------------------------------------------------------
# Cross-validation
# ----------------------------------------------------------------------


def cv_results():
    folds = [
        history([0.7, 0.5, 0.4, 0.3], [0.7, 0.6, 0.55, 0.6]),
        history([0.8, 0.6, 0.5, 0.4], [0.8, 0.6, 0.5, 0.52]),
        history([0.6, 0.4, 0.3], [0.65, 0.5, 0.52]),  # stopped early
    ]
    return {
        "estimator": [fitted(frame) for frame in folds],
        "test_score": np.array([0.8, 0.8, 0.8]),
    }, folds


def test_the_fold_band_stays_within_what_the_folds_reached():
    # two folds at an accuracy of 1 and one at 0.7: mean + std is 1.04,
    # and a loss band of the same shape went below 0
    accuracy = [1.0, 1.0, 0.7]
    loss = [0.0, 0.0, 0.3]
    folds = [
        history([lo] * 3, [lo] * 3, accuracy=[a] * 3, val_accuracy=[a] * 3)
        for lo, a in zip(loss, accuracy, strict=True)
    ]
    results = {"estimator": [fitted(frame) for frame in folds]}
    display = HistoryDisplay.from_cv_results(results, metrics=("loss", "accuracy"))
    heights = [band.get_paths()[0].vertices[:, 1] for band in display.fill_between_]
    assert min(h.min() for h in heights[:2]) == pytest.approx(0.0)  # the losses
    assert max(h.max() for h in heights[2:]) == pytest.approx(1.0)  # accuracies


def test_from_cv_results_folds_faint_mean_bold_band():
    results, folds = cv_results()
    display = HistoryDisplay.from_cv_results(results)
    lines = display.lines_
    assert len(lines) == 2 * 3 + 2
    fold_lines, (mean_train, mean_val) = lines[:6], lines[6:]
    for line in fold_lines:
        assert line.get_alpha() == pytest.approx(0.25)
        assert line.get_label().startswith("_")  # kept out of the legend
    assert [line.get_linestyle() for line in fold_lines] == ["-"] * 3 + ["--"] * 3
    assert mean_train.get_linestyle() == "-"
    assert mean_val.get_linestyle() == "--"
    assert mean_train.get_linewidth() > 2 * fold_lines[0].get_linewidth()
    assert mean_train.get_alpha() is None
    assert colour(mean_train) == colour(mean_val)
    assert mean_train.get_label() == "train (mean ± std of 3 folds)"

    # mean over every fold at each epoch, a stopped one at its last value
    frame = pd.concat([f["val_loss"] for f in folds], axis=1).ffill()
    np.testing.assert_allclose(mean_val.get_ydata(), frame.mean(axis=1))
    np.testing.assert_array_equal(mean_val.get_xdata(), [1, 2, 3, 4])

    bands = display.fill_between_
    assert len(bands) == 2
    assert all(isinstance(band, PolyCollection) for band in bands)
    # one std about the mean, within what the folds reached (a band of few
    # folds went past an accuracy of 1 and below a loss of 0)
    spread = frame.std(axis=1, ddof=0)
    low = np.maximum(frame.mean(axis=1) - spread, frame.min(axis=1))
    high = np.minimum(frame.mean(axis=1) + spread, frame.max(axis=1))
    vertices = bands[1].get_paths()[0].vertices
    assert vertices[:, 1].min() == pytest.approx(low.min())
    assert vertices[:, 1].max() == pytest.approx(high.max())
    assert (low > frame.mean(axis=1) - spread).any()  # the case clips
    assert to_rgba(bands[0].get_facecolor()[0])[:3] == colour(mean_train)[:3]

    # the best epoch is that of the lowest mean validation loss
    (marker,) = display.best_epoch_lines_
    best = int(frame.mean(axis=1).idxmin())
    assert marker.get_label() == f"best epoch {best}"
    assert legend_texts(display.ax_) == [
        "train (mean ± std of 3 folds)",
        "validation (mean ± std of 3 folds)",
        f"best epoch {best}",
    ]


def test_from_cv_results_mean_ends_where_most_folds_stopped():
    folds = [
        history([0.7, 0.5], [0.7, 0.6]),
        history([0.8, 0.6], [0.8, 0.65]),
        history([0.6, 0.4, 0.3, 0.2, 0.1], [0.65, 0.5, 0.4, 0.3, 0.2]),
    ]
    results = {"estimator": [fitted(f) for f in folds], "test_score": [0.8] * 3}
    display = HistoryDisplay.from_cv_results(results)
    fold_lines, (_, mean_val) = display.lines_[:6], display.lines_[6:]
    # the long fold is drawn whole; the mean stops at epoch 2, where two of
    # the three folds stopped, and so does the best epoch it marks
    assert list(fold_lines[5].get_xdata()) == [1, 2, 3, 4, 5]
    np.testing.assert_array_equal(mean_val.get_xdata(), [1, 2])
    np.testing.assert_allclose(mean_val.get_ydata(), [2.15 / 3, 1.75 / 3])
    (marker,) = display.best_epoch_lines_
    assert marker.get_label() == "best epoch 2"


def test_from_cv_results_several_metrics():
    folds = [full_history(), full_history()]
    results = {"estimator": [fitted(frame) for frame in folds]}
    display = HistoryDisplay.from_cv_results(results, metrics=("loss", "recall"))
    assert display.ax_.shape == (2,)
    assert len(display.lines_) == 2 * (2 * 2 + 2)
    assert len(display.fill_between_) == 4


def test_from_cv_results_needs_the_estimators():
    with pytest.raises(ValueError, match="return_estimator=True"):
        HistoryDisplay.from_cv_results({"test_score": np.array([0.5])})


# ----------------------------------------------------------------------
# Real fits
# ----------------------------------------------------------------------


def test_real_estimator_and_cross_validation():
    from sklearn.datasets import make_classification
    from sklearn.model_selection import cross_validate

    from skdnn._classifier import TaperedMLPClassifier

    X, y = make_classification(150, n_features=6, random_state=0)
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(8,), epochs=4, scoring="recall", random_state=0
    )
    pipe = make_pipeline(StandardScaler(), clf)
    display = HistoryDisplay.from_estimator(pipe.fit(X, y), metrics=("loss", "recall"))
    assert len(display.lines_) == 4
    best = pipe[-1].best_epoch_
    assert display.best_epoch_lines_[0].get_label() == f"best epoch {best}"

    results = cross_validate(pipe, X, y, cv=3, return_estimator=True)
    display = HistoryDisplay.from_cv_results(results, metrics=("loss", "recall"))
    assert len(display.fill_between_) == 4
    assert len(display.lines_) == 2 * (3 * 2 + 2)


def _fold(val_auc, monitor="val_auc"):
    from types import SimpleNamespace

    n = len(val_auc)
    history = pd.DataFrame(
        {
            "loss": np.linspace(0.7, 0.3, n),
            "val_loss": np.linspace(0.7, 0.4, n),  # lowest at the last epoch
            "auc": np.linspace(0.6, 0.9, n),
            "val_auc": val_auc,
        },
        index=pd.RangeIndex(1, n + 1, name="epoch"),
    )
    return SimpleNamespace(history_=history, monitor=monitor)


def test_folds_mark_the_best_epoch_of_the_column_early_stopping_watched():
    # the mark was the lowest mean validation loss (epoch 21) while every
    # fold, stopping on val_roc_auc, kept an epoch of 10 to 12
    folds = [_fold([0.6, 0.8, 0.7, 0.65]), _fold([0.5, 0.9, 0.8, 0.7])]
    display = HistoryDisplay.from_cv_results({"estimator": folds}, metrics="auc")
    assert display.best_epoch_lines_[0].get_label() == "best epoch 2"
    on_loss = [_fold([0.6, 0.8, 0.7, 0.65], monitor="val_loss") for _ in range(2)]
    display = HistoryDisplay.from_cv_results({"estimator": on_loss})
    assert display.best_epoch_lines_[0].get_label() == "best epoch 4"
    plt.close("all")


def test_epochs_a_fold_left_unscored_are_left_out_of_the_mean():
    # the gaps of a fold within its run were filled with its last value,
    # and a fold with no value at all was counted in "of 3 folds"
    folds = [
        _fold([0.6, 0.65, 0.7, 0.72]),
        _fold([np.nan] * 4),
        _fold([0.9, np.nan, np.nan, 0.95]),
    ]
    display = HistoryDisplay.from_cv_results({"estimator": folds}, metrics="auc")
    mean = next(
        line for line in display.lines_ if line.get_label().startswith("validation (")
    )
    assert mean.get_label() == "validation (mean ± std of 2 folds)"
    # and an epoch fewer than a majority of them scored has no mean (the
    # one fold's value spiked the line and drew the best-epoch mark)
    np.testing.assert_allclose(mean.get_ydata(), [0.75, np.nan, np.nan, 0.835])
    plt.close("all")
