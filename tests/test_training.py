"""The compiled TensorFlow epoch: the fused Adam step against Keras's own."""

import numpy as np
import pytest
from sklearn.datasets import make_classification

from skdnn import TaperedMLPClassifier
from skdnn._keras import backend_name

pytestmark = pytest.mark.skipif(
    backend_name() != "tensorflow", reason="the TensorFlow training loop"
)


@pytest.fixture
def data():
    return make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=0
    )


def _fit(X, y, **params):
    defaults = dict(
        hidden_layer_sizes=(16, 8), dropout=0.0, batch_norm=True, epochs=3,
        batch_size=32, early_stopping=False, random_state=0,
    )  # fmt: skip
    return TaperedMLPClassifier(**{**defaults, **params}).fit(X, y)


def test_fused_adam_equals_keras_adam(data, monkeypatch):
    from skdnn import _training

    X, y = data
    fused = _fit(X, y)
    assert _training._plain_adam_slots(fused.model_) is not None
    monkeypatch.setattr(_training, "_plain_adam_slots", lambda model: None)
    keras_apply = _fit(X, y)
    for a, b in zip(
        fused.model_.get_weights(), keras_apply.model_.get_weights(), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(
        fused.history_["loss"], keras_apply.history_["loss"], rtol=1e-5
    )
    assert int(fused.model_.optimizer.iterations) == 3 * 9  # 270 rows, batch 32
    assert int(keras_apply.model_.optimizer.iterations) == 3 * 9


@pytest.mark.parametrize("optimizer", ["adamw", "nadam", "sgd"])
def test_other_optimizers_use_keras_apply(data, optimizer):
    from skdnn import _training

    X, y = data
    clf = _fit(X, y, optimizer=optimizer, epochs=1)
    assert _training._plain_adam_slots(clf.model_) is None
    assert np.isfinite(clf.history_["loss"]).all()


def test_fused_adam_reads_the_current_learning_rate(data):
    # a callback that sets the learning rate to 0 after the first epoch: the
    # compiled step must read the variable, not a value baked in at tracing
    from skdnn._keras import import_keras

    keras = import_keras()
    seen = {}  # the callback is deep-copied by fit: results come back here

    class Freeze(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.optimizer.learning_rate.assign(0.0)
            if epoch == 0:
                seen["after_first"] = self.model.get_weights()

    X, y = data
    clf = _fit(X, y, batch_norm=False, callbacks=[Freeze()])
    assert clf.n_iter_ == 3
    for a, b in zip(seen["after_first"], clf.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
