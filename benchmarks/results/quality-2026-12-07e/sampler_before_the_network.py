"""The network's hold-out under an imbalanced-learn sampler: cut from the
resampled rows, or given untouched (X_val). Needs imbalanced-learn.
"""

from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import make_pipeline
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.model_selection import train_test_split

import skdnn

X, y = make_classification(
    3000, 20, n_informative=5, weights=[0.95, 0.05], flip_y=0.02, random_state=1
)
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)
Xfit, Xval, yfit, yval = train_test_split(
    Xtr, ytr, test_size=0.1, stratify=ytr, random_state=0
)
CASES = [
    ("default", [], False),
    ("ROS", [RandomOverSampler(random_state=0)], False),
    ("SMOTE", [SMOTE(random_state=0)], False),
    ("SMOTE+X_val", [SMOTE(random_state=0)], True),
]
for seed in (0, 1, 2):
    for name, steps, given in CASES:
        est = skdnn.TaperedMLPClassifier(scoring="recall", random_state=seed)
        p = make_pipeline(*steps, est)
        if given:
            p.fit(
                Xfit,
                yfit,
                taperedmlpclassifier__X_val=Xval,
                taperedmlpclassifier__y_val=yval,
            )
        else:
            p.fit(Xtr, ytr)
        c = p[-1]
        at_best = c.history_.loc[c.best_epoch_, "val_recall"]
        pred = p.predict(Xte)
        print(
            f"seed {seed} {name:12s} n_val={c.n_validation_samples_:4d} "
            f"best={c.best_epoch_:3d} val_recall@best={at_best:.3f} "
            f"test_recall={recall_score(yte, pred):.3f} "
            f"test_BA={balanced_accuracy_score(yte, pred):.3f} "
            f"verdict={skdnn.diagnose(p).verdict}",
            flush=True,
        )
