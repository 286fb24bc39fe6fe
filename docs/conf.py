"""Sphinx configuration of the skdnn documentation.

Build with ``tox -e docs``, or from the repository root::

    TF_CPP_MIN_LOG_LEVEL=3 MPLBACKEND=Agg sphinx-build -W --keep-going -b html \
        docs docs/_build/html

Nothing is fetched from the network while building (no intersphinx).
"""

from __future__ import annotations

import os
import re
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

import skdnn

# -- Project -----------------------------------------------------------------

project = "skdnn"
author = "The skdnn developers"
copyright = "2025, The skdnn developers"
version = skdnn.__version__
release = skdnn.__version__

# -- General -----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "_scripts",
    # the gallery's sources; sphinx-gallery turns them into auto_examples/
    "examples",
    "Thumbs.db",
    ".DS_Store",
    # sphinx-gallery writes these next to the gallery; they are not pages
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.codeobj.json",
    "auto_examples/*.md5",
    "auto_examples/*.zip",
    "sg_execution_times.rst",
]
root_doc = "index"
default_role = "literal"
nitpicky = False

# -- autodoc / autosummary / numpydoc -----------------------------------------

autosummary_generate = True
autodoc_typehints = "none"
autodoc_member_order = "bysource"

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

# -- sphinx-gallery ------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("skdnn",),
    "backreferences_dir": "api/generated/backreferences",
    "reference_url": {"skdnn": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "plot_gallery": "True",
    "abort_on_example_error": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "capture_repr": ("_repr_html_", "__repr__"),
    "show_memory": False,
    "min_reported_time": 1,
    # run the examples two at a time (each in its own worker process): the
    # gallery is most of the docs build, and CI machines have two cores
    "parallel": 2,
}

# Keras and TensorFlow warn about things out of our hands (numpy copy keywords,
# oneDNN notes); keep them out of the rendered example output.
warnings.filterwarnings(
    "ignore", message=".*__array__ implementation doesn't accept a copy keyword.*"
)
warnings.filterwarnings("ignore", category=UserWarning, message=".*non-GUI backend.*")

# -- HTML ----------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skdnn {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_show_sourcelink = False
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 7,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {
    "index": [],
    "install": [],
    "quickstart": [],
    "changelog": [],
}
html_context = {"default_mode": "light"}

# -- copybutton ----------------------------------------------------------------

copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True


# -- Docstring fix-ups -----------------------------------------------------------

_BARE_SHAPE_NAME = re.compile(r"\((n_[a-z_]*[a-z]_),\)")


def _quote_shape_names(app, what, name, obj, options, lines):
    """Quote fitted-attribute names in shapes: ``(n_features_in_,)``.

    In reST a word ending in ``_`` is a hyperlink reference, so a bare
    ``of shape (n_features_in_,)`` in a docstring breaks the build;
    scikit-learn writes it ``(`n_features_in_`,)``. This runs before
    numpydoc and does nothing once the docstrings quote the name themselves.
    """
    lines[:] = [_BARE_SHAPE_NAME.sub(r"(`\1`,)", line) for line in lines]


def setup(app):
    app.connect("autodoc-process-docstring", _quote_shape_names, priority=100)
