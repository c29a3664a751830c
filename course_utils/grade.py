"""Moved to ``course_utils.teacher.grade``; this name keeps ``python -m course_utils.grade`` working."""
import sys

from .teacher.grade import *  # noqa: F401,F403
from .teacher.grade import main

if __name__ == "__main__":
    sys.exit(main())
