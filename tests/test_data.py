"""Tests for course_utils.data: toy sets, and image loading from cache, download and fallback.

No test reaches beyond 127.0.0.1: every test runs offline with an empty Keras cache in
tmp_path, and BASE_URL points at a closed local port unless a test serves files itself.
"""
from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import http.server
import io
import os
import socket
import struct
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from course_utils import data

FASHION_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
TITLES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}
BOTH = pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])


# ---------------------------------------------------------------- helpers

def closed_port_url() -> str:
    """A URL on 127.0.0.1 whose port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def sample_arrays(n_train: int = 12, n_test: int = 5) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def idx_gz_bytes(array: np.ndarray) -> bytes:
    """A gzipped IDX file: magic 0x0800 + ndim, then each size, all big-endian uint32."""
    header = struct.pack(f">{1 + array.ndim}I", 0x0800 + array.ndim, *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def write_files(name: str, folder: Path, arrays: dict[str, np.ndarray]) -> list[Path]:
    """Write data set ``name`` in its Keras file format into ``folder``; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    if name == "mnist":
        contents = {"mnist.npz": npz_bytes(arrays)}
    else:
        contents = {filename: idx_gz_bytes(arrays[key]) for key, filename in FASHION_FILES.items()}
    for filename, content in contents.items():
        (folder / filename).write_bytes(content)
    return [folder / filename for filename in contents]


def register(monkeypatch, paths: list[Path]) -> None:
    """Make data.SHA256 (whole file) and data.RAW_SHA256 (decompressed data) accept these files."""
    for path in paths:
        monkeypatch.setitem(data.SHA256, path.name, hashlib.sha256(path.read_bytes()).hexdigest())
        if path.name in data.RAW_SHA256:
            try:
                raw = gzip.decompress(path.read_bytes())
            except (OSError, EOFError):
                continue  # not a gzip file: the loader must say so before any checksum
            monkeypatch.setitem(data.RAW_SHA256, path.name, hashlib.sha256(raw).hexdigest())


def cache_folder(datasets: Path, name: str) -> Path:
    return datasets if name == "mnist" else datasets / "fashion-mnist"


def assert_arrays(loaded: data.ImageData, arrays: dict[str, np.ndarray]) -> None:
    for key, expected in arrays.items():
        np.testing.assert_array_equal(getattr(loaded, key), expected)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(autouse=True)
def datasets_dir(tmp_path, monkeypatch) -> Path:
    """An empty Keras cache and system folder, offline, and no way to reach beyond 127.0.0.1."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(data, "SYSTEM_DIRS", {"fashion_mnist": (tmp_path / "system" / "fm",)})
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.delenv("COURSE_DATA_MIRROR", raising=False)
    monkeypatch.setattr(data, "BASE_URL", closed_port_url())
    return tmp_path / "keras" / "datasets"


@pytest.fixture
def server_root(tmp_path, monkeypatch):
    """A folder served over HTTP on 127.0.0.1, with data.BASE_URL pointing at it."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(QuietHandler, directory=str(root))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        monkeypatch.setattr(data, "BASE_URL", f"http://127.0.0.1:{server.server_address[1]}/")
        yield root
        server.shutdown()


@pytest.fixture
def warm_fallback():
    """Build the fallback digits once so timing tests measure only the network part."""
    data.load_images("mnist", offline=True, verbose=False)


# ---------------------------------------------------------------- toy data sets

def test_make_line_follows_the_line():
    x, y = data.make_line(n=50, slope=-1.5, intercept=4.0, noise=0.0)
    assert x.shape == y.shape == (50, 1)
    assert x.dtype == y.dtype == np.float64
    assert np.all(np.abs(x) <= 3)
    np.testing.assert_allclose(y, -1.5 * x + 4.0)


def test_make_line_noise_has_the_requested_size():
    x, y = data.make_line(n=5000, noise=0.5)
    residual = y - (2.0 * x + 1.0)
    assert 0.45 < residual.std() < 0.55


@pytest.mark.parametrize("gate, outputs", [
    ("AND", [0, 0, 0, 1]), ("OR", [0, 1, 1, 1]), ("XOR", [0, 1, 1, 0]), ("NAND", [1, 1, 1, 0]),
])
def test_logic_gate_truth_tables(gate, outputs):
    x, y = data.logic_gate(gate)
    np.testing.assert_array_equal(x, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, outputs)
    assert x.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(data.logic_gate(f" {gate.lower()} ")[1], outputs)


def test_make_moons_two_balanced_classes():
    x, y = data.make_moons(n=201)
    assert x.shape == (201, 2) and x.dtype == np.float64
    assert y.shape == (201,) and y.dtype == np.int64
    assert sorted(np.bincount(y)) == [100, 101]


@pytest.mark.parametrize("n, classes", [(300, 2), (100, 3), (11, 5)])
def test_make_spirals_splits_points_evenly(n, classes):
    x, y = data.make_spirals(n=n, classes=classes)
    assert x.shape == (n, 2) and x.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=classes)
    assert len(counts) == classes and counts.max() - counts.min() <= 1
    assert np.linalg.norm(x, axis=1).max() <= 1 + 1e-12


@pytest.mark.parametrize("make", [data.make_line, data.make_moons, data.make_spirals])
def test_toy_sets_are_deterministic_given_seed(make):
    first, again, other = make(seed=3), make(seed=3), make(seed=4)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])
    assert make(seed=None)[0].shape == first[0].shape


@pytest.mark.parametrize("call, error, message", [
    (functools.partial(data.make_line, n=0), ValueError, "n must be at least 1"),
    (functools.partial(data.make_line, n=2.5), TypeError, "n must be an integer"),
    (functools.partial(data.make_line, n=True), TypeError, "n must be an integer"),
    (functools.partial(data.make_line, slope="2"), TypeError, "slope must be a number"),
    (functools.partial(data.make_line, intercept=float("nan")), ValueError, "finite"),
    (functools.partial(data.make_line, noise=-0.1), ValueError, "noise must be >= 0"),
    (functools.partial(data.make_line, seed=-1), ValueError, "seed must be at least 0"),
    (functools.partial(data.make_line, seed="0"), TypeError, "seed must be an integer"),
    (functools.partial(data.logic_gate, "NOR"), ValueError, "AND, OR, XOR, NAND"),
    (functools.partial(data.logic_gate, 1), TypeError, "name must be a string"),
    (functools.partial(data.make_moons, n=1), ValueError, "n must be at least 2"),
    (functools.partial(data.make_spirals, classes=1), ValueError, "classes must be at least 2"),
    (functools.partial(data.make_spirals, n=3, classes=5), ValueError, "n must be at least 5"),
    (functools.partial(data.load_images, "cifar10"), ValueError, "choose one of 'digits', 'fashion_mnist', 'mnist'"),
    (functools.partial(data.load_images, 10), TypeError, "name must be a string"),
    (functools.partial(data.load_images, offline="yes"), TypeError, "offline must be"),
    (functools.partial(data.load_images, verbose=1), TypeError, "verbose must be"),
])
def test_bad_arguments_say_what_is_wrong(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---------------------------------------------------------------- offline switch and cache folder

@pytest.mark.parametrize("value, expected", [
    ("1", True), ("true", True), ("YES", True), ("0", False), ("", False), ("no", False),
])
def test_offline_mode_reads_course_offline(monkeypatch, value, expected):
    monkeypatch.setenv("COURSE_OFFLINE", value)
    assert data.offline_mode() is expected
    assert data.offline_mode(not expected) is not expected


def test_cache_is_dot_keras_in_home_without_keras_home(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data.keras_datasets_dir() == tmp_path / ".keras" / "datasets"
    register(monkeypatch, write_files("mnist", tmp_path / ".keras" / "datasets", sample_arrays()))
    data.load_images("mnist")
    assert "(~/.keras/datasets/mnist.npz)" in capsys.readouterr().out


# ---------------------------------------------------------------- images from the Keras cache

@BOTH
def test_loads_small_files_from_the_cache(name, datasets_dir, monkeypatch, capsys):
    arrays = sample_arrays()
    register(monkeypatch, write_files(name, cache_folder(datasets_dir, name), arrays))
    loaded = data.load_images(name)
    assert_arrays(loaded, arrays)
    assert loaded.name == name and not loaded.is_fallback
    assert loaded.source == f"{TITLES[name]} from the Keras cache"
    assert loaded.class_names[0] == ("0" if name == "mnist" else "T-shirt/top")
    where = datasets_dir / "mnist.npz" if name == "mnist" else f"{datasets_dir}/fashion-mnist/"
    untested = data.UNTESTED if name == "mnist" else ""  # real MNIST says the tests never run it
    expected = f"Data: {loaded.source} ({where}): 12 train / 5 test images.{untested}\n"
    assert capsys.readouterr().out == expected


def test_fashion_mnist_accepts_a_dash_and_capitals(datasets_dir, monkeypatch):
    paths = write_files("fashion_mnist", datasets_dir / "fashion-mnist", sample_arrays())
    register(monkeypatch, paths)
    loaded = data.load_images("Fashion-MNIST", verbose=False)
    assert loaded.name == "fashion_mnist" and not loaded.is_fallback


def test_quiet_when_not_verbose(datasets_dir, monkeypatch, capsys):
    register(monkeypatch, write_files("mnist", datasets_dir, sample_arrays()))
    data.load_images("mnist", verbose=False)
    data.load_images("fashion_mnist", verbose=False)
    assert capsys.readouterr().out == ""


@BOTH
def test_file_with_wrong_checksum_is_reported_and_kept(name, datasets_dir, capsys):
    paths = write_files(name, cache_folder(datasets_dir, name), sample_arrays())
    before = [path.read_bytes() for path in paths]
    loaded = data.load_images(name)
    first_line, data_line = capsys.readouterr().out.splitlines()
    assert paths[0].name in first_line and "checksum" in first_line
    assert "left as it is" in first_line
    assert data_line.startswith("Data: offline fallback")
    assert loaded.is_fallback
    assert [path.read_bytes() for path in paths] == before


def _with_x_train(array: np.ndarray):
    return lambda good: npz_bytes({**sample_arrays(), "x_train": array})


@pytest.mark.parametrize("name, filename, damage, reason", [
    ("mnist", "mnist.npz", lambda good: good[: len(good) // 2], "not a readable .npz"),
    ("mnist", "mnist.npz", lambda good: b"not a zip file", "not a readable .npz"),
    ("mnist", "mnist.npz", lambda good: npz_bytes({"x_train": np.zeros((1, 28, 28))}), "no array"),
    ("mnist", "mnist.npz", _with_x_train(np.zeros((12, 8, 8), np.uint8)), "images of shape"),
    ("fashion_mnist", FASHION_FILES["x_train"], lambda good: good[:-20], "not a readable gzip"),
    ("fashion_mnist", FASHION_FILES["y_train"], lambda good: b"plain bytes", "not a readable gzip"),
    ("fashion_mnist", FASHION_FILES["y_train"],
     lambda good: gzip.compress(struct.pack(">I", 2049)), "too short for an IDX header"),
    ("fashion_mnist", FASHION_FILES["x_test"],
     lambda good: gzip.compress(struct.pack(">IIII", 2049, 5, 28, 28)), "magic number 2049"),
    ("fashion_mnist", FASHION_FILES["x_test"],
     lambda good: gzip.compress(gzip.decompress(good)[:-1]), "header promises"),
    ("fashion_mnist", FASHION_FILES["y_test"],
     lambda good: idx_gz_bytes(np.zeros(4, np.uint8)), "labels (4,) for 5 images"),
])
def test_broken_file_with_known_checksum_falls_back(name, filename, damage, reason,
                                                    datasets_dir, monkeypatch, capsys):
    paths = write_files(name, cache_folder(datasets_dir, name), sample_arrays())
    broken = cache_folder(datasets_dir, name) / filename
    broken.write_bytes(damage(broken.read_bytes()))
    register(monkeypatch, paths)
    loaded = data.load_images(name)
    first_line, data_line = capsys.readouterr().out.splitlines()
    assert f"Problem with {broken}" in first_line and reason in first_line
    assert data_line.startswith("Data: offline fallback")
    assert loaded.is_fallback and broken.exists()


# ---------------------------------------------------------------- the offline fallback

@BOTH
def test_offline_fallback_looks_like_mnist(name, capsys):
    loaded = data.load_images(name)
    assert loaded.is_fallback and loaded.name == name
    assert loaded.class_names == tuple("0123456789")
    for images, labels in loaded:
        assert images.ndim == 3 and images.shape[1:] == (28, 28) and images.dtype == np.uint8
        assert labels.shape == (len(images),) and set(labels) == set(range(10))
        assert images.min() == 0 and images.max() == 255
        assert not images[:, :4].any() and not images[:, :, -4:].any()  # 4-pixel empty border
    assert len(loaded.y_train) == 1437 and len(loaded.y_test) == 360
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert out.startswith("Data: offline fallback - scikit-learn's bundled digits resized to "
                          f"28x28, instead of '{name}'")
    assert "1437 train / 360 test images" in out
    assert ("digits, not clothes" in out) == (name == "fashion_mnist")


def test_fallback_gives_fresh_arrays_each_call():
    first = data.load_images("mnist", verbose=False)
    first.x_train[:] = 0
    assert data.load_images("mnist", verbose=False).x_train.max() == 255


def test_unpacks_like_keras_and_is_frozen():
    (x_train, y_train), (x_test, y_test) = loaded = data.load_images("mnist", offline=True, verbose=False)
    assert x_train is loaded.x_train and y_test is loaded.y_test
    assert len(x_train) == len(y_train) and len(x_test) == len(y_test)
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.name = "other"


# ---------------------------------------------------------------- downloads (127.0.0.1 only)

@BOTH
def test_downloads_into_the_cache(name, server_root, datasets_dir, monkeypatch, capsys):
    arrays = sample_arrays()
    register(monkeypatch, write_files(name, server_root, arrays))
    loaded = data.load_images(name, offline=False)
    assert_arrays(loaded, arrays)
    assert loaded.source == f"{TITLES[name]} downloaded into the Keras cache"
    folder = cache_folder(datasets_dir, name)
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in server_root.iterdir())
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"Data: {loaded.source}")
    assert data.load_images(name).source == f"{TITLES[name]} from the Keras cache"


@pytest.mark.parametrize("setting, downloads", [("0", True), ("yes", False)])
def test_course_offline_decides_about_downloads(setting, downloads, server_root, monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", setting)
    register(monkeypatch, write_files("mnist", server_root, sample_arrays()))
    assert data.load_images("mnist", verbose=False).is_fallback is not downloads


def test_bad_cached_file_is_replaced_only_by_a_verified_download(server_root, datasets_dir,
                                                                 monkeypatch, capsys):
    register(monkeypatch, write_files("mnist", server_root, sample_arrays()))
    datasets_dir.mkdir(parents=True)
    (datasets_dir / "mnist.npz").write_bytes(b"half a download")
    loaded = data.load_images("mnist", offline=False)
    assert "Problem with" in capsys.readouterr().out
    assert not loaded.is_fallback
    assert (datasets_dir / "mnist.npz").read_bytes() == (server_root / "mnist.npz").read_bytes()


def _assert_nothing_cached(datasets_dir: Path) -> None:
    assert not datasets_dir.exists() or not any(datasets_dir.iterdir())


def test_download_with_wrong_checksum_is_not_kept(server_root, datasets_dir, capsys):
    write_files("mnist", server_root, sample_arrays())  # not registered: real MNIST hash expected
    loaded = data.load_images("mnist", offline=False)
    assert loaded.is_fallback
    assert "wrong checksum" in capsys.readouterr().out
    _assert_nothing_cached(datasets_dir)


def test_download_over_the_time_limit_is_not_kept(server_root, datasets_dir, monkeypatch, capsys):
    register(monkeypatch, write_files("mnist", server_root, sample_arrays()))
    monkeypatch.setattr(data, "DOWNLOAD_TIMEOUT", 0.0)
    assert data.load_images("mnist", offline=False).is_fallback
    assert "took longer than" in capsys.readouterr().out
    _assert_nothing_cached(datasets_dir)


def test_file_missing_on_the_server_falls_back(server_root, datasets_dir, capsys):
    assert data.load_images("mnist", offline=False).is_fallback
    assert "HTTP Error 404" in capsys.readouterr().out
    _assert_nothing_cached(datasets_dir)


@pytest.mark.usefixtures("warm_fallback")
def test_unreachable_server_falls_back_quickly(datasets_dir, capsys):
    start = time.monotonic()
    loaded = data.load_images("mnist", offline=False)
    assert time.monotonic() - start < 1.0
    assert loaded.is_fallback
    assert "Could not download" in capsys.readouterr().out
    _assert_nothing_cached(datasets_dir)


@pytest.mark.usefixtures("warm_fallback")
def test_silent_server_times_out(datasets_dir, monkeypatch):
    monkeypatch.setattr(data, "CONNECT_TIMEOUT", 0.2)
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        monkeypatch.setattr(data, "BASE_URL", f"http://127.0.0.1:{listener.getsockname()[1]}/")
        start = time.monotonic()
        loaded = data.load_images("mnist", offline=False, verbose=False)
        assert time.monotonic() - start < 1.5
    assert loaded.is_fallback
    _assert_nothing_cached(datasets_dir)


# ---------------------------------------------------------------- content, not wrapper; system folder

def regzip(path: Path, **options) -> None:
    """Compress the same content again, differently (another level, name and time in the header)."""
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes()), mtime=12345, **options))


def test_a_recompressed_file_is_accepted(datasets_dir, monkeypatch):
    arrays = sample_arrays()
    paths = write_files("fashion_mnist", datasets_dir / "fashion-mnist", arrays)
    register(monkeypatch, paths)
    before = paths[0].read_bytes()
    regzip(paths[0], compresslevel=1)
    assert paths[0].read_bytes() != before  # another wrapper around the same bytes
    loaded = data.load_images("fashion_mnist", verbose=False)
    assert not loaded.is_fallback
    assert_arrays(loaded, arrays)


def test_a_file_with_other_content_is_rejected_by_name_and_kept(datasets_dir, monkeypatch,
                                                                 capsys):
    paths = write_files("fashion_mnist", datasets_dir / "fashion-mnist", sample_arrays())
    register(monkeypatch, paths)
    other = sample_arrays()["x_train"].copy()
    other[0, 0, 0] ^= 1  # one pixel differs: a well-formed file, but not the original data
    paths[0].write_bytes(idx_gz_bytes(other))
    damaged = paths[0].read_bytes()
    assert data.load_images("fashion_mnist").is_fallback
    first_line = capsys.readouterr().out.splitlines()[0]
    assert f"Problem with {paths[0]}" in first_line
    assert "checksum of the decompressed data" in first_line
    assert paths[0].read_bytes() == damaged


def test_labels_out_of_range_are_rejected(datasets_dir, monkeypatch, capsys):
    arrays = {**sample_arrays(), "y_test": np.full(5, 10, np.uint8)}
    paths = write_files("fashion_mnist", datasets_dir / "fashion-mnist", arrays)
    register(monkeypatch, paths)
    assert data.load_images("fashion_mnist").is_fallback
    assert "label 10 outside 0..9" in capsys.readouterr().out


def test_system_folder_is_used_after_the_cache(datasets_dir, tmp_path, monkeypatch, capsys):
    system = tmp_path / "system" / "fm"
    arrays = sample_arrays()
    register(monkeypatch, write_files("fashion_mnist", system, arrays))
    loaded = data.load_images("fashion_mnist")
    assert_arrays(loaded, arrays)
    assert loaded.source == "Fashion-MNIST from the system data sets"
    assert capsys.readouterr().out == (f"Data: {loaded.source} ({system}/): "
                                       "12 train / 5 test images.\n")
    cached = {**arrays, "y_train": (arrays["y_train"] + 1) % 10}
    register(monkeypatch, write_files("fashion_mnist", datasets_dir / "fashion-mnist", cached))
    assert_arrays(data.load_images("fashion_mnist", verbose=False), cached)  # the cache comes first


def test_a_bad_cache_file_is_reported_then_the_system_folder_used(datasets_dir, tmp_path,
                                                                  monkeypatch, capsys):
    arrays = sample_arrays()
    register(monkeypatch, write_files("fashion_mnist", tmp_path / "system" / "fm", arrays))
    cache = write_files("fashion_mnist", datasets_dir / "fashion-mnist", arrays)
    cache[1].write_bytes(b"truncated")
    loaded = data.load_images("fashion_mnist")
    problem, notice = capsys.readouterr().out.splitlines()
    assert f"Problem with {cache[1]}" in problem and "not a readable gzip" in problem
    assert notice.startswith("Data: Fashion-MNIST from the system data sets")
    assert_arrays(loaded, arrays)


def test_course_data_mirror_replaces_the_download_base(monkeypatch):
    monkeypatch.setattr(data, "BASE_URL", "https://default.example/datasets/")
    assert data.download_url("mnist.npz") == "https://default.example/datasets/mnist.npz"
    for mirror in ("https://mirror.example/keras", "https://mirror.example/keras/", " https://mirror.example/keras/ "):
        monkeypatch.setenv("COURSE_DATA_MIRROR", mirror)
        assert data.download_url("mnist.npz") == "https://mirror.example/keras/mnist.npz"
    monkeypatch.setenv("COURSE_DATA_MIRROR", "")
    assert data.download_url("mnist.npz") == "https://default.example/datasets/mnist.npz"
    monkeypatch.setenv("COURSE_DATA_MIRROR", "mirror.example/keras")
    with pytest.raises(ValueError, match="COURSE_DATA_MIRROR must be a URL"):
        data.download_url("mnist.npz")


def test_a_download_goes_to_the_mirror(server_root, datasets_dir, monkeypatch, capsys):
    """With the default base unreachable, the files come from the mirror (served on 127.0.0.1)."""
    served = data.BASE_URL
    monkeypatch.setattr(data, "BASE_URL", closed_port_url())
    monkeypatch.setenv("COURSE_DATA_MIRROR", served)
    arrays = sample_arrays()
    register(monkeypatch, write_files("mnist", server_root, arrays))
    loaded = data.load_images("mnist", offline=False)
    assert_arrays(loaded, arrays)
    assert f"Downloading {served}mnist.npz" in capsys.readouterr().out


@pytest.mark.parametrize("value, expected", [
    (None, "digits"), ("", "digits"), ("fashion_mnist", "fashion_mnist"),
    (" Fashion-MNIST ", "fashion_mnist"), ("MNIST", "mnist"), ("digits", "digits"),
])
def test_chosen_dataset_reads_course_dataset(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("COURSE_DATASET", raising=False)
    else:
        monkeypatch.setenv("COURSE_DATASET", value)
    assert data.chosen_dataset() == expected
    assert data.chosen_dataset(None) == expected                       # a lesson's DATASET left at None
    assert data.chosen_dataset("fashion_mnist") == "fashion_mnist"     # a value the lesson was given wins


def test_the_default_is_the_bundled_digits(capsys):
    loaded = data.load_images(offline=False)  # no download: the digits ship with scikit-learn
    assert loaded.name == "digits" and not loaded.is_fallback and loaded.class_names == data.DIGIT_NAMES
    assert loaded.x_train.shape == (1437, 28, 28) and loaded.x_test.shape == (360, 28, 28)
    assert capsys.readouterr().out == ("Data: scikit-learn's bundled digits, resized to 28x28: "
                                       "1437 train / 360 test images.\n")


def test_chosen_dataset_rejects_an_unknown_name(monkeypatch):
    monkeypatch.setenv("COURSE_DATASET", "cifar10")
    with pytest.raises(ValueError, match="choose one of 'digits', 'fashion_mnist', 'mnist'"):
        data.chosen_dataset()


# ---------------------------------------------------------------- the genuine files, when installed

DEBIAN = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture
def debian_files():
    """Skip without Debian's dataset-fashion-mnist, except in CI, where its absence fails."""
    if not all((DEBIAN / filename).is_file() for filename in data.RAW_SHA256):
        message = f"Debian's dataset-fashion-mnist is not installed (no files in {DEBIAN})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}; CI must install it (.ci/run does)")
        pytest.skip(message)


@pytest.mark.usefixtures("debian_files")
def test_debian_files_differ_from_the_download_but_hold_the_original_data():
    for filename, raw_sha in data.RAW_SHA256.items():
        assert data._sha256(DEBIAN / filename) != data.SHA256[filename]  # only the wrapper differs
        raw = gzip.decompress((DEBIAN / filename).read_bytes())
        assert hashlib.sha256(raw).hexdigest() == raw_sha


@pytest.mark.usefixtures("debian_files")
@pytest.mark.parametrize("where", ["system", "copied into the cache"])
def test_debian_fashion_mnist_loads(where, datasets_dir, monkeypatch, capsys):
    if where == "system":
        monkeypatch.setattr(data, "SYSTEM_DIRS", {"fashion_mnist": (DEBIAN,)})
    else:
        (datasets_dir / "fashion-mnist").mkdir(parents=True)
        for filename in data.RAW_SHA256:
            copy = datasets_dir / "fashion-mnist" / filename
            copy.write_bytes((DEBIAN / filename).read_bytes())
    loaded = data.load_images("fashion_mnist")
    assert not loaded.is_fallback and loaded.class_names == data.FASHION_NAMES
    assert loaded.x_train.shape == (60000, 28, 28) and loaded.x_test.shape == (10000, 28, 28)
    assert np.bincount(loaded.y_train).tolist() == [6000] * 10
    assert np.bincount(loaded.y_test).tolist() == [1000] * 10
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "60000 train / 10000 test images" in out
    assert ("/usr/share/datasets/fashion-mnist/" in out) == (where == "system")
