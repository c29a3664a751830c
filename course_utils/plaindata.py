"""Values as plain data: what may cross from a learner's process to the grader's.

``to_plain`` turns a result (numbers, strings, numpy arrays, tensors, and tuples, lists and dicts of
them) into JSON-ready data; an array travels as its raw bytes with its dtype and shape. ``from_plain``
builds fresh Python and numpy values from such data and checks every field, so nothing a learner's
object does (an ``__eq__`` that always says yes, an array subclass, an ``__array__`` that lies) can
reach the grader: only the numbers themselves do. A torch tensor comes back as a fresh torch tensor
(an exercise's inputs must reach a learner's answer as the same kind of value as in the notebook).
"""
from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np

MAX_BYTES = 64 * 2**20  # one result may carry at most this much array data
MAX_DEPTH = 20
ARRAY_KINDS = "biufc"   # bool, integers, floats, complex: no objects, no strings of unknown size


class NotPlain(TypeError):
    """A value that cannot travel as plain data (a function, a model, an object of some class)."""


def to_plain(value: Any, _depth: int = 0) -> Any:
    """``value`` as JSON-ready data; raises ``NotPlain`` for anything else."""
    if _depth > MAX_DEPTH:
        raise NotPlain("nested too deeply")
    if value is None:
        return {"t": "none"}
    if isinstance(value, (bool, np.bool_)):
        return {"t": "bool", "v": bool(value)}
    if isinstance(value, (int, np.integer)):
        return {"t": "int", "v": str(int(value))}
    if isinstance(value, (float, np.floating)) and np.ndim(value) == 0:
        return {"t": "float", "v": float.__repr__(float(value))}
    if isinstance(value, str):
        return {"t": "str", "v": str.__str__(value)}
    if isinstance(value, (tuple, list)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        return {"t": kind, "v": [to_plain(item, _depth + 1) for item in tuple.__iter__(tuple(value))]}
    if isinstance(value, dict):
        items = list(dict.items(value))
        if not all(type(key) is str for key, _ in items):
            raise NotPlain("a dict whose keys are not all strings")
        return {"t": "dict", "v": [[key, to_plain(item, _depth + 1)] for key, item in items]}
    return _array(value)


def _array(value: Any) -> dict:
    torch_tensor = hasattr(value, "detach")
    if torch_tensor:
        value = value.detach().cpu().numpy()
    elif hasattr(value, "numpy") and not isinstance(value, np.ndarray):  # a TensorFlow tensor
        value = value.numpy()
    if not isinstance(value, np.ndarray):
        raise NotPlain(f"a {type(value).__name__}")
    array = np.asarray(value).view(np.ndarray).copy(order="C")   # ascontiguousarray makes 0-d arrays 1-d
    if array.dtype.kind not in ARRAY_KINDS:
        raise NotPlain(f"an array of dtype {array.dtype}")
    if array.nbytes > MAX_BYTES:
        raise NotPlain(f"an array of {array.nbytes:,} bytes (at most {MAX_BYTES:,})")
    return {"t": "array", "dtype": array.dtype.str, "shape": list(array.shape),
            "data": base64.b64encode(array.tobytes()).decode("ascii"), "torch": torch_tensor}


def from_plain(data: Any, _depth: int = 0) -> Any:
    """The value that ``to_plain`` encoded, built anew; raises ``ValueError`` for malformed data."""
    if _depth > MAX_DEPTH or not isinstance(data, dict) or not isinstance(data.get("t"), str):
        raise ValueError("malformed plain data")
    kind, value = data["t"], data.get("v")
    if kind == "none":
        return None
    if kind == "bool" and type(value) is bool:
        return value
    if kind == "int" and type(value) is str and len(value) < 5000:
        return int(value)
    if kind == "float" and type(value) is str:
        return float(value)
    if kind == "str" and type(value) is str:
        return value
    if kind in ("tuple", "list") and type(value) is list:
        items = [from_plain(item, _depth + 1) for item in value]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict" and type(value) is list and all(type(p) is list and len(p) == 2 for p in value):
        if not all(type(key) is str for key, _ in value):
            raise ValueError("malformed plain data: a dict key is not a string")
        return {key: from_plain(item, _depth + 1) for key, item in value}
    if kind == "array":
        return _from_array(data)
    raise ValueError(f"malformed plain data of kind {kind!r}")


def _from_array(data: dict) -> np.ndarray:
    dtype = np.dtype(str(data.get("dtype")))
    shape = data.get("shape")
    if dtype.kind not in ARRAY_KINDS or type(shape) is not list or not all(
            type(n) is int and n >= 0 for n in shape):
        raise ValueError("malformed plain data: an array's dtype or shape")
    raw = base64.b64decode(str(data.get("data")), validate=True)
    if len(raw) != math.prod(shape) * dtype.itemsize or len(raw) > MAX_BYTES:
        raise ValueError("malformed plain data: an array's bytes do not match its shape")
    array = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    if data.get("torch") is not True:
        return array
    try:
        import torch
    except ImportError:  # no torch here: the numbers, as numpy
        return array
    try:
        return torch.from_numpy(array)
    except (TypeError, ValueError):
        raise ValueError("malformed plain data: a tensor of a dtype torch does not have") from None
