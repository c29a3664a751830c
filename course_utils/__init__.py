"""Helpers for the hands-on deep learning course.

Every notebook starts with ``course_utils.setup()``. TensorFlow and torch are
imported only by the helpers that need them.
"""
from .checks import check, strict_mode
from .doctor import setup

__all__ = ["check", "setup", "strict_mode"]
__version__ = "0.1.0"
