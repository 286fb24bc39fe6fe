"""Tests of DesignSearchDisplay: the path's artists and where its labels go."""

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from skdnn._search_plot import DesignSearchDisplay  # noqa: E402


def history(loss, val_loss):
    frame = pd.DataFrame({"loss": loss, "val_loss": val_loss}, dtype=float)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="epoch")
    return frame


def search_path():
    return pd.DataFrame(
        {
            "round": [0, 1, 1, 1, 2],
            "move": ["start", "early_stopping_on", "raise_dropout", "narrow", "add_l2"],
            "verdict": [
                "overfitting",
                "overfitting",
                "good_fit",
                "overfitting",
                "good_fit",
            ],
            "score": [0.80, 0.82, 0.86, 0.81, 0.85],
            "score_std": [0.02, 0.02, 0.02, 0.03, 0.02],
            "accepted": [True, False, True, False, False],
        }
    )


FOLDS = [
    history([0.7, 0.5, 0.4, 0.35], [0.72, 0.6, 0.55, 0.56]),
    history([0.8, 0.6, 0.45], [0.8, 0.62, 0.6]),
]


def test_search_display_draws_the_path():
    display = DesignSearchDisplay(search_path(), FOLDS, score_name="recall").plot()
    assert display.ax_.shape == (2,)
    path_ax, curves_ax = display.ax_
    assert display.figure_ is path_ax.figure
    # the accepted designs, joined in round order
    np.testing.assert_allclose(display.path_line_.get_xdata(), [0, 1])
    np.testing.assert_allclose(display.path_line_.get_ydata(), [0.80, 0.86])
    accepted, rejected = display.points_
    np.testing.assert_allclose(accepted.get_offsets(), [[0, 0.80], [1, 0.86]])
    assert len(rejected.get_offsets()) == 3
    assert accepted.get_sizes()[0] > rejected.get_sizes()[0]
    labels = [note.get_text() for note in display.annotations_]
    assert labels[2] == "raise_dropout\ngood_fit"
    assert display.annotations_[2].get_fontweight() == "bold"
    assert display.annotations_[1].get_fontweight() == "normal"
    assert path_ax.get_ylabel() == "cross-validated recall"
    assert list(path_ax.get_xticks()) == [0, 1, 2]
    # the accepted design's folds, drawn as HistoryDisplay draws folds
    assert display.curves_.ax_ is curves_ax
    assert len(display.curves_.fill_between_) == 2
    mean_labels = [line.get_label() for line in display.curves_.lines_[-2:]]
    assert mean_labels == [
        "accepted train (mean ± std of 2 folds)",
        "accepted validation (mean ± std of 2 folds)",
    ]


def test_search_display_marks_failed_and_tied_candidates():
    path = search_path()
    path.loc[3, ["score", "verdict"]] = [np.nan, None]  # narrow's fits failed
    path.loc[1, "score"] = path.loc[2, "score"]  # a tie in round 1
    display = DesignSearchDisplay(path, FOLDS).plot()
    failed = display.points_[2]
    assert failed.get_label() == "failed"
    np.testing.assert_allclose(failed.get_offsets(), [[1, 0.80]])  # at the foot
    assert display.annotations_[3].get_text() == "narrow\nfailed"
    # the tied labels one above the other, not on top of each other
    offsets = [display.annotations_[i].xyann for i in (1, 2)]
    assert offsets[0] != offsets[1]
    # the last round's labels have room on the right
    assert display.ax_[0].get_xlim()[1] >= 2.5


def test_search_display_on_given_axes_and_line_kw():
    fig, axes = plt.subplots(1, 2)
    display = DesignSearchDisplay(search_path(), FOLDS[0]).plot(
        ax=axes, color="C3", linewidth=4
    )
    assert display.figure_ is fig
    assert display.path_line_.get_linewidth() == 4
    assert to_rgba(display.path_line_.get_color()) == to_rgba("C3")
    with pytest.raises(ValueError, match="pass two"):
        DesignSearchDisplay(search_path(), FOLDS).plot(ax=axes[0])
    # matplotlib's short names, as HistoryDisplay takes them (c= met the
    # display's own color= in a TypeError)
    short = DesignSearchDisplay(search_path(), FOLDS[0]).plot(c="C2", lw=3)
    assert short.path_line_.get_linewidth() == 3
    assert to_rgba(short.path_line_.get_color()) == to_rgba("C2")
    plt.close("all")


def test_search_display_checks_the_path():
    with pytest.raises(TypeError, match="path must be a DataFrame"):
        DesignSearchDisplay({"round": [0]}, FOLDS).plot()
    with pytest.raises(ValueError, match=r"lacks the columns \['verdict'\]"):
        DesignSearchDisplay(search_path().drop(columns="verdict"), FOLDS).plot()
    with pytest.raises(ValueError, match="empty"):
        DesignSearchDisplay(search_path().iloc[:0], FOLDS).plot()


def test_search_display_from_search():
    from types import SimpleNamespace

    from skdnn import DesignSearchCV, TaperedMLPClassifier

    unfitted = DesignSearchCV(TaperedMLPClassifier())
    with pytest.raises(NotFittedError, match="DesignSearchCV instance is not fitted"):
        DesignSearchDisplay.from_search(unfitted)
    # anything else, a fitted estimator included, is not a search
    fitted_network = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    for other in (SimpleNamespace(), fitted_network):
        with pytest.raises(TypeError, match="path of a fitted DesignSearchCV"):
            DesignSearchDisplay.from_search(other)
    fitted = SimpleNamespace(
        path_=search_path(), best_histories_=FOLDS, scoring="recall"
    )
    display = DesignSearchDisplay.from_search(fitted)
    assert len(display.annotations_) == 5
    assert display.ax_[0].get_ylabel() == "cross-validated recall"


def test_search_display_from_a_real_search(small_data):
    from skdnn import DesignSearchCV, TaperedMLPClassifier

    def search(X, y, epochs):
        return DesignSearchCV(
            TaperedMLPClassifier(hidden_layer_sizes=(8,), epochs=epochs),
            cv=2,
            max_rounds=0,
            refit=False,
            random_state=0,
        ).fit(X, y)

    X, y = small_data
    display = DesignSearchDisplay.from_search(search(X, y, epochs=3))
    assert display.ax_[0].get_ylabel() == "cross-validated balanced accuracy"
    assert [note.get_text().split("\n")[0] for note in display.annotations_] == [
        "start"
    ]
    assert len(display.curves_.fill_between_) == 2
    # a multilabel target is scored by the estimator's subset accuracy
    Y = np.column_stack([y, 1 - y, X[:, 0] > 0]).astype(int)
    display = DesignSearchDisplay.from_search(search(X, Y, epochs=2))
    assert display.ax_[0].get_ylabel() == "cross-validated score"


def crowded_path(n_rounds=8, seed=0):
    """A long search whose candidates score within a hair of each other."""
    rng = np.random.default_rng(seed)
    rows = [("start", 0, 0.52, True)]
    moves = ["raise_dropout", "raise_validation_split", "raise_learning_rate"]
    for round_ in range(1, n_rounds + 1):
        scores = rows[-1][2] + rng.normal(0, 0.004, 3)
        rows += [
            (move, round_, score, bool(k == np.argmax(scores)))
            for k, (move, score) in enumerate(zip(moves, scores, strict=True))
        ]
    move, round_, score, accepted = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "round": round_,
            "move": move,
            "verdict": "still_improving",
            "score": score,
            "score_std": 0.02,
            "accepted": accepted,
        }
    )


def _text_boxes(display):
    # the text alone (an annotation's own extent takes in its leader
    # line), where the last draw put it
    display.figure_.canvas.draw()
    return [Text.get_window_extent(note).extents for note in display.annotations_]


def _overlap(a, b):
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


@pytest.mark.parametrize("n_rounds", [2, 8])
def test_search_display_labels_stay_apart_and_on_their_points(n_rounds):
    path = crowded_path(n_rounds)
    display = DesignSearchDisplay(path, FOLDS).plot()
    path_ax = display.ax_[0]
    boxes = _text_boxes(display)
    assert len(boxes) == len(path) == 1 + 3 * n_rounds
    clashes = [
        (path["move"][i], path["move"][j])
        for i in range(len(boxes))
        for j in range(i)
        if _overlap(boxes[i], boxes[j])
    ]
    assert clashes == []
    # every label inside the panel, none over a point
    frame = path_ax.get_window_extent().extents
    points = path_ax.transData.transform(path[["round", "score"]].to_numpy(float))
    for box in boxes:
        assert frame[0] <= box[0] and box[2] <= frame[2]
        assert frame[1] <= box[1] and box[3] <= frame[3]
        for x, y in points:
            assert not (box[0] <= x <= box[2] and box[1] <= y <= box[3])
    # a label moved away from its point is tied to it by a leader line
    for note, (x, y), box in zip(display.annotations_, points, boxes, strict=True):
        beside = box[1] <= y <= box[3]
        assert (note.arrow_patch is None) == beside
        np.testing.assert_allclose(
            note.xy, path_ax.transData.inverted().transform((x, y)), atol=1e-9
        )


def test_search_display_gives_a_long_search_a_wider_panel():
    short = DesignSearchDisplay(crowded_path(2), FOLDS).plot()
    long = DesignSearchDisplay(crowded_path(8), FOLDS).plot()
    curves_width = short.ax_[1].get_window_extent().width
    assert long.ax_[1].get_window_extent().width == pytest.approx(curves_width)
    assert long.ax_[0].get_window_extent().width > 1.5 * (
        short.ax_[0].get_window_extent().width
    )


def test_search_display_names_r2_for_a_regressor():
    # a regressor's default scoring is its score method, R²: the axis says so
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skdnn import DesignSearchCV, TaperedMLPRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = X[:, 0] + 0.1 * rng.normal(size=60)
    for estimator in (
        TaperedMLPRegressor(hidden_layer_sizes=(8,), epochs=2),
        make_pipeline(
            StandardScaler(), TaperedMLPRegressor(hidden_layer_sizes=(8,), epochs=2)
        ),
    ):
        search = DesignSearchCV(
            estimator, cv=2, max_rounds=0, refit=False, random_state=0
        ).fit(X, y)
        display = DesignSearchDisplay.from_search(search)
        assert display.ax_[0].get_ylabel() == "cross-validated R²"


def test_a_near_miss_of_the_display_name_names_it():
    # DesignSearchCVDisplay, after DesignSearchCV, is the name a user guesses
    import skdnn

    with pytest.raises(AttributeError, match="did you mean 'DesignSearchDisplay'"):
        getattr(skdnn, "DesignSearchCVDisplay")  # noqa: B009
    with pytest.raises(ImportError, match="DesignSearchCVDisplay"):
        from skdnn import DesignSearchCVDisplay  # noqa: F401
    with pytest.raises(AttributeError, match=r"'no_such_thing'$"):
        getattr(skdnn, "no_such_thing")  # noqa: B009
