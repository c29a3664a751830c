"""Plain data: what a learner's kernel and a graded release carry instead of live objects."""
import json

import numpy as np
import pytest

from course_utils.plaindata import NotPlain, from_plain, to_plain


@pytest.mark.parametrize("value", [
    None, True, 3, -2**70, 0.1, float("inf"), "text", (1, 2.5), [None, "a"], {"w": np.ones(2)},
    np.float64(0.5), np.asarray(0.5), np.arange(6).reshape(2, 3), np.zeros((0, 3)), np.array([1 + 2j]),
    np.arange(10)[::3], np.array([True, False]),
])
def test_round_trip_keeps_value_type_and_shape(value):
    back = from_plain(json.loads(json.dumps(to_plain(value))))
    if isinstance(value, np.ndarray):
        assert isinstance(back, np.ndarray) and back.shape == value.shape and back.dtype == value.dtype
        np.testing.assert_array_equal(back, value)
    elif isinstance(value, dict):
        np.testing.assert_array_equal(back["w"], value["w"])
    else:
        assert back == value and type(back) is type(value if not isinstance(value, np.floating) else 0.5)


def test_a_zero_dimensional_array_stays_zero_dimensional():
    assert from_plain(to_plain(np.asarray(0.5))).shape == ()


def test_a_torch_tensor_comes_back_as_a_fresh_tensor():
    torch = pytest.importorskip("torch")
    value = torch.arange(6.0, requires_grad=True).reshape(2, 3)
    back = from_plain(json.loads(json.dumps(to_plain(value))))
    assert isinstance(back, torch.Tensor) and not back.requires_grad and torch.equal(back, value.detach())


@pytest.mark.parametrize("value", [object(), np.array(["a"]), np.array([object()]), {1: 2}, lambda: 1])
def test_live_objects_are_refused(value):
    with pytest.raises(NotPlain):
        to_plain(value)
