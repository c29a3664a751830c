"""Tests for course_utils.teacher.similarity: the same answer under other names is still the same."""
from pathlib import Path

import nbformat

from course_utils.teacher import grade
from course_utils.teacher.similarity import shared_answers

NEURON = '''def neuron(x, w, b):
    """Weighted sum, then sigmoid."""
    z = np.dot(w, x) + b   # the weighted sum
    if z.ndim > 1:
        raise ValueError("one input at a time")
    return 1 / (1 + np.exp(-z))

neuron = check("neuron", neuron)'''
RENAMED = '''def neuron(inputs, weights, bias):
    total = np.dot(weights, inputs) + bias
    if total.ndim > 1:
        raise ValueError("one input at a time")

    return 1/(1 + np.exp(-total))
neuron = check("neuron", neuron)'''
OTHER = '''def neuron(x, w, b):
    z = sum(wi * xi for wi, xi in zip(w, x)) + b
    if np.ndim(z) > 1:
        raise ValueError("one input at a time")
    return 1 / (1 + np.exp(-z))

neuron = check("neuron", neuron)'''
SHORT = 'def relu(z):\n    return np.maximum(0, z)\n\nrelu = check("relu", relu)'
STUB = ('def sigmoid(z):\n    # YOUR CODE HERE\n    raise NotImplementedError("Replace this line with your code.")\n\n'
        'sigmoid = check("sigmoid", sigmoid)')


def submit(folder: Path, learner: str, *cells: str):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in (*cells, STUB, SHORT)])
    (folder / learner).mkdir()
    path = folder / learner / "01a_neurons_and_activations.ipynb"
    nbformat.write(nb, path)
    return grade.Result(grade.Submission(path, learner, "01a_neurons_and_activations"))


def test_renamed_and_reformatted_copies_are_found_and_short_or_untouched_answers_are_not(tmp_path):
    results = [submit(tmp_path, "ana", NEURON), submit(tmp_path, "ben", RENAMED),
               submit(tmp_path, "cai", OTHER), submit(tmp_path, "dev", "x = 1")]
    assert shared_answers(results) == [("ana", "ben", ["neuron"], shared_answers(results)[0][3])]
    assert shared_answers(results)[0][3] >= 25


def test_an_unreadable_notebook_shares_nothing(tmp_path):
    (tmp_path / "eve").mkdir()
    (tmp_path / "eve" / "01a_neurons_and_activations.ipynb").write_text("{not json", encoding="utf-8")
    broken = grade.Result(grade.Submission(tmp_path / "eve" / "01a_neurons_and_activations.ipynb", "eve", "01a_neurons_and_activations"))
    assert shared_answers([broken, submit(tmp_path, "ana", NEURON)]) == []
