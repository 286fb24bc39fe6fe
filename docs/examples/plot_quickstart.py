"""
=============================================
Quick start: a tapered network and its curves
=============================================

Fit :class:`~skdnn.TaperedMLPClassifier` in a scikit-learn
:class:`~sklearn.pipeline.Pipeline`, read its learning curves from
``history_``, draw them with :class:`~skdnn.HistoryDisplay` and ask
:func:`~skdnn.diagnose` for a verdict.
"""

# %%
# Data
# ----
# The breast-cancer data bundled with scikit-learn: 569 tumours, 30 numeric
# features. We recode the target so that ``1`` is *malignant*, the class a
# screening model must not miss, and keep a quarter of the rows aside as a
# test set.
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
y = (y == 0).astype(int)  # 1 = malignant
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
print(f"{X_train.shape[0]} training rows, {y_train.mean():.1%} malignant")

# %%
# Fit
# ---
# The classifier scales its inputs itself; here it sits behind a
# :class:`~sklearn.preprocessing.StandardScaler` to show it works as any
# Pipeline step does. All defaults: tapered
# hidden widths chosen from the 30 features, dropout 0.1, Adam, up to 200
# epochs with early stopping on a 10 % validation hold-out. ``scoring``
# adds a per-epoch recall curve to the history.
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skdnn import TaperedMLPClassifier

model = Pipeline(
    [
        ("scaler", StandardScaler()),
        ("clf", TaperedMLPClassifier(scoring="recall", random_state=0)),
    ]
)
model.fit(X_train, y_train)

clf = model[-1]
print(f"hidden layers: {clf.hidden_layer_sizes_}")
print(f"epochs run: {clf.n_iter_}, weights kept from epoch {clf.best_epoch_}")

# %%
# The learning curves
# -------------------
# ``history_`` is a plain :class:`pandas.DataFrame`, one row per epoch.
# The ``val_`` columns are measured on the validation hold-out that the
# estimator carved out of ``X_train`` itself.
clf.history_.tail()

# %%
# :class:`~skdnn.HistoryDisplay` draws them: training solid, validation
# dashed, the best epoch (the one whose weights early stopping restored) as
# a dotted line. One panel per metric.
from skdnn import HistoryDisplay

display = HistoryDisplay.from_estimator(model, metrics=("loss", "recall"))
display.figure_.suptitle("Tapered MLP on breast cancer")
display.figure_.tight_layout()

# %%
# The verdict
# -----------
# :func:`~skdnn.diagnose` reads the same curves and says what they show,
# with advice in terms of the estimator's parameters.
from skdnn import diagnose

diagnosis = diagnose(model)
print(diagnosis)

# %%
# Judge it on held-out data
# -------------------------
# The curves tell how training went; the test set tells how good the model
# is. Recall first: the share of malignant tumours the model finds.
from sklearn.metrics import classification_report

print(classification_report(y_test, model.predict(X_test), digits=3))

# %%
# Save and load
# -------------
# :func:`skdnn.save` writes the whole fitted pipeline to one file without
# pickle; :func:`skdnn.load` reads it back, checked, and it predicts exactly
# as before. For a numeric table such as this one, the widths it chose can
# also be computed without fitting, with :func:`~skdnn.tapered_widths`.
import tempfile
from pathlib import Path

import skdnn

with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "breast_cancer.skdnn"
    skdnn.save(model, path)
    loaded = skdnn.load(path)

print((loaded.predict_proba(X_test) == model.predict_proba(X_test)).all())
print(skdnn.tapered_widths(X.shape[1]))
