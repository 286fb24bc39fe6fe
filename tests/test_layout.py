"""The code's shape goals: small modules, thin estimators, no copied runs.

The classifier and the regressor share one core (``skdnn/_base.py``); what
each adds must stay about its own kind of target, so no run of lines is
copied between them, and no module grows past what one reader can hold.
"""

import inspect
import re
from pathlib import Path

import numpy as np
import pytest

import skdnn
from skdnn._shared_api import fill_doc

PACKAGE = Path(__file__).resolve().parent.parent / "skdnn"
MAX_MODULE_LINES = 900
MAX_CLASSIFIER_LINES = 700
MAX_SHARED_RUN = 5


def _lines(name):
    return (PACKAGE / name).read_text(encoding="utf-8").splitlines()


def _code(name):
    """The module's non-blank lines, stripped of indentation."""
    return [line.strip() for line in _lines(name) if line.strip()]


def longest_shared_run(a, b):
    """Length of the longest run of consecutive lines found in both ``a`` and
    ``b``."""
    best = 0
    previous = [0] * (len(b) + 1)
    for line in a:
        current = [0] * (len(b) + 1)
        for j, other in enumerate(b, start=1):
            if line == other:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def test_longest_shared_run_finds_a_copied_block():
    block = [f"x{i} = {i}" for i in range(6)]
    assert longest_shared_run(["a", *block, "b"], ["c", *block]) == 6
    assert longest_shared_run(["a", "b"], ["b", "a"]) == 1


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_no_module_over_the_limit(path):
    assert len(_lines(path.name)) <= MAX_MODULE_LINES


def test_the_classifier_stays_thin():
    assert len(_lines("_classifier.py")) < MAX_CLASSIFIER_LINES


def test_no_run_of_lines_copied_between_the_estimators():
    run = longest_shared_run(_code("_classifier.py"), _code("_regressor.py"))
    assert run <= MAX_SHARED_RUN


def _documented(section, doc):
    """Names of the entries of a numpydoc ``section`` of ``doc``."""
    lines = inspect.cleandoc(doc).splitlines()
    start = lines.index(section) + 2
    names = []
    for line in lines[start:]:
        if line and not line.startswith(" ") and " : " not in line:
            break  # the next section's title
        match = re.match(r"^(\w+) :", line)
        if match:
            names.append(match.group(1))
    return names


@pytest.mark.parametrize("name", ["TaperedMLPClassifier", "TaperedMLPRegressor"])
def test_every_parameter_is_in_the_signature_and_documented_in_order(name):
    cls = getattr(skdnn, name)
    signature = [p for p in inspect.signature(cls).parameters]
    assert set(signature) == set(cls().get_params())
    assert _documented("Parameters", cls.__doc__) == signature
    assert "%(" not in cls.__doc__
    assert "n_iter_" in _documented("Attributes", cls.__doc__)


@pytest.mark.parametrize("name", ["TaperedMLPClassifier", "TaperedMLPRegressor"])
def test_a_misspelt_parameter_is_refused_by_name(name):
    with pytest.raises(TypeError, match=f"{name}.* 'dropuot'; did you mean 'dropout'"):
        getattr(skdnn, name)(dropuot=0.2)
    with pytest.raises(TypeError):
        getattr(skdnn, name)(0.2)  # keyword-only, as every other parameter
    # scikit-learn's perceptrons' names are named as skdnn's
    with pytest.raises(TypeError, match="MLP 'max_iter' is 'epochs' here"):
        getattr(skdnn, name)(max_iter=300)
    with pytest.raises(TypeError, match=r"'alpha' is 'l2' here \(l2 = alpha / \(2"):
        getattr(skdnn, name)(alpha=1e-4)
    with pytest.raises(TypeError, match="MLP 'tol' has no counterpart here: any"):
        getattr(skdnn, name)(tol=1e-4)
    # and so in set_params, which a GridSearchCV grid of MLP names reaches
    with pytest.raises(ValueError, match=r"'batch_size', .*\]; scikit-learn's M"):
        getattr(skdnn, name)().set_params(alpha=1e-4)
    # a value of theirs for a parameter of the same name, when fit checks it
    X, y = np.zeros((20, 2)), np.arange(20) % 2
    with pytest.raises(ValueError, match=r"Got 'adaptive' instead\. For scikit-l"):
        getattr(skdnn, name)(learning_rate="adaptive").fit(X, y)
    with pytest.raises(ValueError, match=r"'auto' is min\(200, n_samples\)"):
        getattr(skdnn, name)(batch_size="auto").fit(X, y)


def test_fill_doc_refuses_an_unknown_entry():
    def f():
        """%(no_such_entry)s"""

    with pytest.raises(KeyError, match="no_such_entry"):
        fill_doc(f)


def test_an_own_parameter_may_not_shadow_a_shared_one():
    from skdnn._base import BaseTaperedMLP
    from skdnn._shared_api import estimator_signature

    def __init__(self, *, dropout=0.5, **params): ...

    with pytest.raises(TypeError, match="dropout"):
        estimator_signature(__init__, BaseTaperedMLP.__init__)

    def __init__(self, *, loss="huber", **params): ...

    names = list(
        estimator_signature(__init__, BaseTaperedMLP.__init__, after="l2").parameters
    )
    assert names[names.index("l2") + 1] == "loss"


@pytest.mark.parametrize(
    "estimator",
    [
        skdnn.TaperedMLPClassifier(),
        skdnn.TaperedMLPRegressor(),
        skdnn.TabularPreprocessor(),
        skdnn.DesignSearchCV(skdnn.TaperedMLPClassifier()),
    ],
    ids=lambda estimator: type(estimator).__name__,
)
def test_the_html_repr_links_each_estimator_to_its_api_page(estimator):
    # scikit-learn's repr gives a non-sklearn estimator no "?" link unless it
    # names its own pages; the page must be one the docs build generates
    from sklearn.utils import estimator_html_repr

    link = estimator._get_doc_link()
    name = type(estimator).__name__
    assert link.endswith(f"/api/generated/skdnn.{name}.html")
    # api.rst's autosummary writes api/generated/skdnn.<name>.html for each
    # name it lists under ":toctree: api/generated/" (a build output)
    api = (PACKAGE.parent / "docs" / "api.rst").read_text(encoding="utf-8")
    assert ":toctree: api/generated/" in api
    assert re.search(rf"^   {name}$", api, flags=re.MULTILINE)
    assert link in estimator_html_repr(estimator)
