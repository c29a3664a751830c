"""Pick the PyTorch device: CUDA or Apple MPS when present, else the CPU."""
from __future__ import annotations

import os

KNOWN = ("cuda", "mps", "cpu")


def available_devices() -> list[str]:
    """The torch device types usable here, best first (always ends with 'cpu')."""
    import torch

    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return found + ["cpu"]


def get_device(prefer: str | None = None):
    """Return a ``torch.device``.

    ``prefer`` (or the COURSE_DEVICE environment variable) asks for 'cuda', 'mps'
    or 'cpu'; a requested device that is missing is an error that says what is
    there. With no request, the best available device is used.
    """
    import torch

    request = prefer if prefer is not None else os.environ.get("COURSE_DEVICE") or None
    found = available_devices()
    if request is None:
        return torch.device(found[0])
    if not isinstance(request, str):
        raise TypeError(f"a device is named by a string such as 'cpu', got {type(request).__name__}")
    kind = request.lower().split(":")[0]
    if kind not in KNOWN:
        raise ValueError(f"unknown device {request!r}; choose one of {', '.join(KNOWN)}")
    if kind not in found:
        raise RuntimeError(
            f"device {request!r} was requested but is not available here (available: {', '.join(found)}). "
            "Unset COURSE_DEVICE or pass prefer=None to use the best available device."
        )
    return torch.device(request.lower())
