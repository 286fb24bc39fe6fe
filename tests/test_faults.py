"""Faults during a fit or a save: divergence, Ctrl-C, unwritable or full disks."""

import errno
import os
import warnings
import zipfile

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError

import skdnn
from skdnn import TaperedMLPClassifier


@pytest.fixture(scope="module")
def data():
    return make_classification(
        n_samples=240, n_features=8, n_informative=5, random_state=0
    )


def _lr_jump(at_epoch, learning_rate):
    """A schedule that sets ``learning_rate`` from epoch index ``at_epoch`` on."""
    import keras

    return keras.callbacks.LearningRateScheduler(
        lambda epoch, lr: learning_rate if epoch >= at_epoch else lr
    )


def _assert_finite_model(clf, X):
    assert all(np.isfinite(w).all() for w in clf.model_.get_weights()), (
        "the kept weights are not finite"
    )
    assert np.isfinite(clf.history_.to_numpy()).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow inside
        proba = clf.predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def _assert_never_predicts_nan(clf, X):
    """After a failed fit: not fitted, or fitted to finite probabilities."""
    try:
        proba = clf.predict_proba(X)
    except NotFittedError:
        return
    assert np.isfinite(proba).all()


# --------------------------------------------------------------------------
# Divergence
# --------------------------------------------------------------------------


def test_huge_learning_rate_on_unscaled_data_is_a_divergence_error(data):
    X, y = data
    X = X * 1e4  # badly scaled
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(16,), optimizer="sgd", learning_rate=1e12, epochs=5,
        random_state=0,
    )  # fmt: skip
    # (the built-in scaling tames the units; with the quantile bins a rate of
    # 1e6 or 1e8 diverges later or not at all, 1e10 in the first epoch)
    with pytest.raises(ValueError, match="diverged") as error:
        clf.fit(X, y)
    assert "learning_rate" in str(error.value)  # says what to change
    _assert_never_predicts_nan(clf, X)


def test_divergence_mid_fit_warns_and_keeps_the_last_finite_epoch(data):
    X, y = data
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(16,), optimizer="sgd", learning_rate=0.01, epochs=8,
        early_stopping=False, callbacks=[_lr_jump(3, 1e30)], random_state=0,
    )  # fmt: skip
    with pytest.warns(ConvergenceWarning, match="diverged at epoch 4"):
        clf.fit(X, y)
    assert clf.n_iter_ == 3
    _assert_finite_model(clf, X)


@pytest.mark.parametrize("at_epoch", [0, 2])
def test_a_step_that_overflows_the_weights_is_divergence(data, at_epoch):
    """One optimiser step per epoch: the step after the loss is measured blows up.

    The epoch's loss is finite (measured before its one update), but the
    weights it leaves are not; that epoch must count as diverged, not be kept
    as the last good one.
    """
    X, y = data
    X = X * 1e4  # gradients of 1e4 times 1e37 overflow float32
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(16,), optimizer="sgd", learning_rate=1e-9, epochs=6,
        batch_size=len(y), early_stopping=False, numeric_scaling=None,
        callbacks=[_lr_jump(at_epoch, 1e37)], random_state=0,
    )  # fmt: skip
    if at_epoch == 0:
        with pytest.raises(ValueError, match="diverged in its first epoch"):
            clf.fit(X, y)
        _assert_never_predicts_nan(clf, X)
        return
    with pytest.warns(ConvergenceWarning, match=f"diverged at epoch {at_epoch + 1}"):
        clf.fit(X, y)
    assert clf.n_iter_ == at_epoch
    _assert_finite_model(clf, X)


# --------------------------------------------------------------------------
# Ctrl-C
# --------------------------------------------------------------------------


def _interrupt(hook, at_epoch):
    import keras

    class CtrlC(keras.callbacks.Callback):
        pass

    def raise_at(self, epoch, logs=None):
        if epoch == at_epoch:
            raise KeyboardInterrupt

    setattr(CtrlC, hook, raise_at)
    return CtrlC()


def _pressed_ctrl_c(hook, at_epoch, epochs=10):
    """A small classifier whose fit gets Ctrl-C at ``hook`` of ``at_epoch``."""
    return TaperedMLPClassifier(
        hidden_layer_sizes=(16,), epochs=epochs,
        callbacks=[_interrupt(hook, at_epoch)], random_state=0,
    )  # fmt: skip


@pytest.mark.parametrize("early_stopping", [True, False])
def test_ctrl_c_mid_fit_returns_the_completed_epochs(data, early_stopping):
    X, y = data
    clf = _pressed_ctrl_c("on_epoch_end", 2).set_params(early_stopping=early_stopping)
    with pytest.warns(UserWarning, match="interrupted; kept the 3 epochs"):
        returned = clf.fit(X, y)
    assert returned is clf
    assert clf.n_iter_ == 3
    assert list(clf.history_.index) == [1, 2, 3]
    assert 1 <= clf.best_epoch_ <= 3
    _assert_finite_model(clf, X)
    # and training can go on from there
    clf.set_params(warm_start=True, callbacks=None, epochs=2).fit(X, y)
    assert clf.n_iter_ == 5


def test_ctrl_c_before_any_epoch_completes_propagates(data):
    X, y = data
    clf = _pressed_ctrl_c("on_epoch_begin", 0, epochs=5)
    with pytest.raises(KeyboardInterrupt):  # nothing to keep: the user's Ctrl-C
        clf.fit(X, y)


def test_ctrl_c_in_a_design_search_stops_the_search(data):
    # a fold's fit kept its completed epochs and the search went on, scoring
    # a cut-short fit beside full ones; one Ctrl-C must stop it all
    from skdnn import DesignSearchCV

    X, y = data
    clf = _pressed_ctrl_c("on_epoch_end", 2)
    with pytest.raises(KeyboardInterrupt):
        DesignSearchCV(clf, cv=2, max_rounds=1).fit(X, y)
    # a fit of one's own, after it, still keeps what it trained
    with pytest.warns(UserWarning, match="interrupted; kept the 3 epochs"):
        clf.fit(X, y)


# --------------------------------------------------------------------------
# Saving where it cannot be written
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted(data):
    pytest.importorskip("skdnn._persistence")
    X, y = data
    return TaperedMLPClassifier(hidden_layer_sizes=(8,), epochs=2, random_state=0).fit(
        X, y
    )


def _listing(folder):
    return sorted(os.listdir(folder))


def test_save_into_a_path_under_a_file_fails_cleanly(fitted, tmp_path):
    import skdnn

    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file")
    with pytest.raises(OSError):
        skdnn.save(fitted, blocker / "model.skdnn")
    assert _listing(tmp_path) == ["not_a_folder"]
    assert blocker.read_text() == "a file"


def test_save_into_a_missing_folder_fails_cleanly(fitted, tmp_path):
    import skdnn

    with pytest.raises(FileNotFoundError, match="does not exist"):
        skdnn.save(fitted, tmp_path / "missing" / "model.skdnn")
    assert _listing(tmp_path) == []


def test_save_over_a_folder_fails_cleanly(fitted, tmp_path):
    import skdnn

    (tmp_path / "model.skdnn").mkdir()
    with pytest.raises(OSError):
        skdnn.save(fitted, tmp_path / "model.skdnn")
    assert _listing(tmp_path) == ["model.skdnn"]
    assert _listing(tmp_path / "model.skdnn") == []


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="needs file permissions that apply (not root, POSIX)",
)
def test_save_into_a_read_only_folder_fails_cleanly(fitted, tmp_path):
    import skdnn

    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(PermissionError):
            skdnn.save(fitted, folder / "model.skdnn")
        assert _listing(folder) == []
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(OSError(errno.ENOSPC, "No space left on device"), id="disk-full"),
        pytest.param(KeyboardInterrupt(), id="ctrl-c"),
    ],
)
def test_a_save_failing_mid_write_leaves_no_partial_file(
    fitted, tmp_path, monkeypatch, fault
):
    import skdnn

    path = tmp_path / "model.skdnn"
    skdnn.save(fitted, path)
    before = path.read_bytes()
    written = []
    real_writestr = zipfile.ZipFile.writestr

    def writestr(self, name, data, *args, **kwargs):
        # the network goes into skdnn's archive after its JSON and arrays:
        # fail there, with part of the archive on disk
        if getattr(name, "filename", name) == "model.keras":
            raise fault
        written.append(name)
        return real_writestr(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", writestr)
    with pytest.raises(type(fault)):
        skdnn.save(fitted, path)
    monkeypatch.undo()

    assert "estimator.json" in written  # the failure came mid-archive
    assert _listing(tmp_path) == ["model.skdnn"]  # no temporary file left
    assert path.read_bytes() == before  # the previous save is intact
    loaded = skdnn.load(path)
    X = np.zeros((3, fitted.n_features_in_))
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))


def _fit_in_child(args):
    model, X, y, path = args
    try:
        skdnn.load(path)
    except RuntimeError as exc:  # as such, not a file error
        loaded = str(exc)
    try:
        TaperedMLPClassifier(hidden_layer_sizes=(4,), epochs=1).fit(X, y)
    except RuntimeError as exc:
        return str(exc), loaded, model.predict_proba(X)
    return "fitted", loaded, None


@pytest.mark.skipif(
    not hasattr(os, "fork")
    or os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow",
    reason="TensorFlow in a process forked after it ran",
)
def test_a_fit_in_a_process_forked_after_tensorflow_ran_is_refused(data, tmp_path):
    # TensorFlow hangs in such a child: the fit waited forever, silently
    import multiprocessing

    X, y = data
    model = TaperedMLPClassifier(hidden_layer_sizes=(4,), epochs=1).fit(X, y)
    skdnn.save(model, tmp_path / "m.skdnn")
    work = [(model, X, y, tmp_path / "m.skdnn")]
    with multiprocessing.get_context("fork").Pool(1) as pool:
        message, loaded, proba = pool.map_async(_fit_in_child, work).get(120)[0]
    assert loaded == message
    assert "forked from one in which TensorFlow had already run" in message
    assert "'spawn'" in message and "loky" in message
    np.testing.assert_array_equal(proba, model.predict_proba(X))  # numpy only
