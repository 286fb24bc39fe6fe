"""The tapered width rule and the initialiser pairing (no Keras needed)."""

import pytest

from skdnn import tapered_widths
from skdnn._architecture import auto_first_units, resolve_initializer


@pytest.mark.parametrize(
    "n_features, expected",
    [(1, 64), (30, 64), (33, 128), (64, 128), (200, 512), (10_000, 512)],
)
def test_auto_first_units_is_a_clipped_power_of_two(n_features, expected):
    assert auto_first_units(n_features) == expected


def test_widths_shrink_by_the_taper_down_to_the_floor():
    assert tapered_widths(30) == (64, 32, 16)
    assert tapered_widths(200, n_layers=5) == (512, 256, 128, 64, 32)
    assert tapered_widths(30, first_units=100, taper=0.3, n_layers=4) == (
        100,
        30,
        16,
    )


def test_the_seed_design_is_one_setting_of_the_rule():
    widths = tapered_widths(40, first_units=512, taper=0.25, n_layers=4, min_units=18)
    assert widths == (512, 128, 32, 18)


def test_taper_one_keeps_the_width_and_floor_never_exceeds_first():
    assert tapered_widths(8, first_units=20, taper=1.0, n_layers=3) == (20, 20, 20)
    assert tapered_widths(8, first_units=8, min_units=16, n_layers=3) == (8,)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"taper": 0}, "taper"),
        ({"n_layers": 0}, "n_layers"),
        ({"first_units": 0}, "first_units"),
    ],
)
def test_bad_rule_knobs_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tapered_widths(10, **kwargs)


@pytest.mark.parametrize(
    "activation, expected",
    [
        ("relu", "he_normal"),
        ("gelu", "he_normal"),
        ("elu", "he_normal"),
        ("selu", "lecun_normal"),
        ("tanh", "glorot_uniform"),
        ("sigmoid", "glorot_uniform"),
    ],
)
def test_initializer_pairs_with_the_activation(activation, expected):
    assert resolve_initializer(activation, "auto") == expected
    assert resolve_initializer(activation, "orthogonal") == "orthogonal"
