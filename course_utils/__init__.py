"""Helpers for the hands-on deep learning course.

Every notebook starts with ``import course_utils as cu`` and ``cu.setup()``. TensorFlow and torch
are imported only inside the helpers that need them, so a numpy-only lesson stays fast.

The package map: each module, what it is, and the lessons (NN) that use it. Three roles, in layers:
the learner runtime may import the lesson code; neither imports the teacher's tools
(``tests/test_layers.py`` keeps it so, and keeps this map complete).

Learner runtime (what every notebook touches):
- ``doctor``: ``setup()``: seeds (``COURSE_SEED``), language (``lang``), quiet logs, plot style, the report
  (all; ``cu.doctor`` in 00a)
- ``i18n``: the language a learner reads (``COURSE_LANG=zh``: Chinese), with its catalogue in ``locale/``
  (every module that prints, plots or shows a widget; lesson code may use it too)
- ``checks``: ``check()``, the friendly exercise verdict that never blocks the learner (all)
- ``guard``: runs learner code under a time limit, capturing what it prints (via ``checks``)
- ``marking``: runs a learner's own answers inside their kernel while grading, sending back only plain
  data (grading; nbgrader cells judge there)
- ``plaindata``: values as plain data (numbers, arrays as bytes), all that crosses from a learner's
  process to the grader
- ``exercises``: the registry; ``exercises.base`` the words exercises are declared with; one module
  per lesson topic: ``welcome`` 00 (00a-00b), ``neurons`` 01 (01a-01b), ``forward_pass`` 02 (02a-02b),
  ``backpropagation`` 03 (03a-03b), ``optimizers`` 04 (04a-04c), ``keras_cnn`` 05 (05a-05c),
  ``pytorch_mlp`` 06 (06a-06c), ``interpretability`` 07 (07a-07b), ``distributed`` 08 (08a-08b)
- ``data``: toy data sets and images that work offline (00-07)
- ``plotting``: one plotting style: curves, boundaries, image grids, confusion matrices (00-07)
- ``live``: live training curves for Keras and PyTorch loops (05, 06b)
- ``device``: the torch device: CUDA, Apple MPS or CPU (06a, and ``setup`` wherever torch is used)
- ``envcheck``: lesson 00's environment check (00a; ``python -m course_utils.envcheck``)
- ``jupyter_settings``: Jupyter defaults the course installs (install: ``make install``)
- ``lessons``: the lessons the package carries, copied into a folder (``python -m course_utils.lessons DIR``)
- ``widgets``: interactive figures: ``explorer`` (the base), ``neuron`` 01b, ``optimizer_lab`` 04c,
  ``attribution`` 07

Lesson code (what the lessons build, written out once, named by concept):
- ``bigpicture``: classic machine learning against a small network (00b)
- ``neurons``: activations, a neuron, a layer (01-03)
- ``mlp``: a numpy multilayer perceptron: forward, losses, backprop, gradient descent (02-04, 06a, 06c)
- ``gradcheck``: gradients against finite differences (03)
- ``convnet``: a convolution in numpy, output sizes, parameter counts, the Keras CNN (05a-05c)
- ``optimizers``: SGD, momentum, RMSprop, Adam, mini-batches, schedules (03, 04)
- ``recipes``: the full runs of the Keras CNN and the PyTorch MLP (05c, 06c)
- ``torch_training``: the PyTorch training loop, saved for reuse (06b, 06c)
- ``digit_models``: small PyTorch models for 28x28 images (06b's MLP) and a quick trainer (06c, 07)
- ``attribution``: attribution methods from scratch (07)
- ``distributed``: data parallelism: ``data_parallel``, ``scaling``, ``launch``, ``ddp_train``,
  ``tf_devices`` (08a-08b)

Teacher's tools (``teacher``; nothing above imports them):
- ``teacher.notebook_format``, ``teacher.generate``, ``teacher.nbgrader_export``: lessons and nbgrader
  assignments from the solutions; ``teacher.launch``: each lesson's launch links (Colab, Binder, a hub)
  and its install cell; ``teacher.lesson_time``: a lesson's time by the course's rule and its Time line;
- ``teacher.grade`` (with ``teacher.kernel``, ``teacher.sandbox``, ``teacher.verdicts``): grade a class,
  each notebook in a fenced kernel, each verdict in the grader's own process;
- ``teacher.gradebook``, ``teacher.roster``, ``teacher.similarity``: what grading writes: gradebook,
  feedback, Canvas and Moodle files, answers shared between learners;
- ``teacher.release``: the graded release: lessons and a package without reference solutions, which
  the grading kernels also run on;
- ``teacher.attacks``: the catalogue of cheating attempts the grading tests run;
- ``teacher.translations``: the Chinese text of each notebook, keyed by cell and English hash;
  ``teacher.glossary``: one Chinese term per concept (``docs/glossary.csv``), the key-term tables of both
  editions and the terms the Chinese lessons avoid.
- ``teacher.book`` (with ``teacher.book_render``, myst-nb's renderer for widgets): the solutions, run,
  as a web site with a lesson map and a glossary (``make book``).
``generate`` and ``grade`` at the top level are shims that keep ``python -m course_utils.generate``
and ``python -m course_utils.grade`` working.
"""
from . import data, doctor, plotting
from .checks import check, strict_mode
from .doctor import setup

__all__ = ["check", "data", "doctor", "plotting", "setup", "strict_mode"]
__version__ = "0.2.0"
