"""Moved to ``course_utils.teacher.generate``; this name keeps ``python -m course_utils.generate`` working."""
import sys

from .teacher.generate import *  # noqa: F401,F403
from .teacher.generate import main

if __name__ == "__main__":
    sys.exit(main())
