"""The compiled training epoch: it reads the optimiser's state as it runs."""

import numpy as np
from sklearn.datasets import make_classification

from skdnn import TaperedMLPClassifier


def test_compiled_epoch_reads_the_current_learning_rate():
    # A callback sets the learning rate to 0 after the first epoch: the
    # compiled step (traced once, at the first epoch) must read the
    # optimiser's variable, not a value baked in when it was traced.
    from skdnn._keras import import_keras

    keras = import_keras()
    seen = {}  # the callback is deep-copied by fit: results come back here

    class Freeze(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.optimizer.learning_rate.assign(0.0)
            if epoch == 0:
                seen["after_first"] = self.model.get_weights()

    X, y = make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(16, 8), dropout=0.0, epochs=3, batch_size=32,
        early_stopping=False, random_state=0, callbacks=[Freeze()],
    ).fit(X, y)  # fmt: skip
    assert clf.n_iter_ == 3
    changed = [
        not np.array_equal(a, b)
        for a, b in zip(seen["after_first"], clf.model_.get_weights(), strict=True)
    ]
    assert not any(changed)
    assert clf.history_["learning_rate"].tolist()[1:] == [0.0, 0.0]
