"""The teacher's tools. Nothing in the learner runtime or the lesson code imports them.

- ``notebook_format``: what a course notebook is (solution markers, stub, check line, file names);
- ``generate``: ``solutions/`` -> ``lessons/`` and, with ``solutions/zh/``, ``lessons/zh/``
  (``python -m course_utils.teacher.generate``, ``make lessons``);
- ``lesson_time``: a lesson's time by the course's rule (at most 90 minutes) and its Time line;
- ``translations``: the Chinese text of each notebook, keyed by cell and English hash (``... translations todo``);
- ``glossary``: one Chinese term per concept (``docs/glossary.csv``) and the key-term tables made from it;
- ``nbgrader_export``: ``solutions/`` -> nbgrader source assignments (``generate --nbgrader DIR``);
- ``kernel``: a Jupyter kernel under time limits that always hold;
- ``grade``: grade a class (``python -m course_utils.teacher.grade``, ``make grade``);
- ``gradebook``: the gradebook, feedback files and summary plot that ``grade`` writes.
"""
