"""Cheating attempts against grading, kept as data like the mistake catalogues.

Each attack is one notebook cell that a learner who did none of the work might add to lesson 01a.
``tests/teacher/test_attacks.py`` grades a class made of the untouched lesson plus one attack cell
each, and requires 0 points from every attacker whose defence is built, full marks for the honest
solution and 0 for the untouched lesson. ``defence`` names what defeats the attack:

- ``verdict``: verdicts are computed in the grader's process from plain data
  (``teacher.verdicts``), so nothing the learner's kernel does to modules or output counts;
- ``release``: the kernels that run learner code see the lesson's graded release
  (``teacher.release``), a package without reference solutions;
- ``sandbox``: each submission runs where it cannot read or write the teacher's files.
"""
from __future__ import annotations

from dataclasses import dataclass

LESSON = "01a_neurons_and_activations"


@dataclass(frozen=True)
class Attack:
    name: str
    tries: str
    cell: str
    defence: str


ATTACKS = (
    Attack("judge patched in marking", "make the kernel's marking code say every answer passed", """\
import course_utils.marking as _m
from course_utils.checks import PASSED, Verdict
_m.judge = lambda *args, **kwargs: Verdict(PASSED, "correct on all test inputs")
_m.mark_one = lambda *args, **kwargs: Verdict(PASSED, "correct on all test inputs")""", "verdict"),
    Attack("judge patched in checks", "replace the check engine in the kernel", """\
import course_utils.checks as _c
_c.judge = lambda *args, **kwargs: _c.Verdict(_c.PASSED, "correct on all test inputs")
_c.decide = lambda *args, **kwargs: _c.Verdict(_c.PASSED, "correct on all test inputs")""", "verdict"),
    Attack("json.dumps says passed", "rewrite every line the kernel writes into a pass", """\
import json
_dumps = json.dumps
def _passed(obj, *args, **kwargs):
    if isinstance(obj, dict) and "exercise" in obj and not obj.get("started"):
        obj = {"exercise": obj["exercise"], "kind": "passed", "text": "correct", "mistake": "", "score": 99}
    return _dumps(obj, *args, **kwargs)
json.dumps = _passed""", "verdict"),
    Attack("fake marking module", "put a marking module that writes passes into sys.modules", """\
import json, sys, types, course_utils
_fake = types.ModuleType("course_utils.marking")
def _collect(bindings, namespace, *paths):
    with open(paths[-1], "a") as out:
        for exercise in bindings:
            out.write(json.dumps({"exercise": exercise, "kind": "passed", "score": 99, "cases": []}) + "\\n")
_fake.collect = _fake.mark = _collect
sys.modules["course_utils.marking"] = course_utils.marking = _fake""", "verdict"),
    Attack("lying objects", "return objects that claim to equal anything", """\
import numpy as np
class _Yes(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)
class _Liar:
    def __array__(self, dtype=None, copy=None):
        return np.zeros(3)
    def __eq__(self, other):
        return True
def sigmoid(z):
    return np.full(np.shape(z), 7.0).view(_Yes)
def relu(z):
    return _Liar()""", "verdict"),
    Attack("exit the kernel", "end the kernel so that grading stops", """\
import os
def sigmoid(z):
    os._exit(0)
os._exit(0)""", "verdict"),
    Attack("sleep past the limits", "outlast the grader's time limits", """\
import time
def relu(z):
    time.sleep(10**6)
time.sleep(10**6)""", "verdict"),
    Attack("reference through the registry", "call the course's own reference from a new function", """\
from course_utils.exercises import get_exercise as _get
sigmoid = lambda z: _get("sigmoid").reference(z)
relu = lambda z: _get("relu").reference(z)
neuron = lambda x, w, b: _get("neuron").reference(x, w, b)""", "release"),
    Attack("pasted reference source", "copy the reference's source with inspect.getsource", """\
import inspect
from course_utils.exercises import get_exercise as _get
for _name in ("sigmoid", "relu", "neuron"):
    _reference = _get(_name).reference
    exec(inspect.getsource(_reference).replace(f"def {_reference.__name__}(", f"def {_name}("), globals())""",
           "release"),
    Attack("detect grading", "use the reference only while the grader runs", """\
import os
if "grade-" in os.getcwd():
    from course_utils.exercises import get_exercise as _get
    sigmoid = lambda z: _get("sigmoid").reference(z)
    relu = lambda z: _get("relu").reference(z)""", "release"),
    Attack("read the solutions from disk", "run the solution notebook's answers", """\
import json, pathlib, course_utils
_nb = pathlib.Path(course_utils.__file__).resolve().parents[1] / "solutions" / "01a_neurons_and_activations.ipynb"
for _cell in json.loads(_nb.read_text())["cells"]:
    if _cell["cell_type"] == "code" and "BEGIN SOLUTION" in "".join(_cell["source"]):
        exec("".join(_cell["source"]).replace("= check(", "= (lambda name, answer: answer)("), globals())""",
           "sandbox"),
)

