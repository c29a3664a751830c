"""Data for the course: toy sets made on the spot, and MNIST-style images that work offline.

``load_images("digits")``, the image lessons' default, gives scikit-learn's bundled handwritten
digits resized to 28x28: real images that ship inside the package, so the default is the data
the tests run. ``load_images("fashion_mnist")`` reads Fashion-MNIST from the Keras cache, else
from the folder where a distribution installs it (Debian's ``dataset-fashion-mnist``),
downloads it into the cache when allowed, and otherwise falls back to the bundled digits.
``"mnist"`` (real MNIST) works the same way but is opt-in: the course's tests never run it.
Set ``COURSE_OFFLINE=1`` to never touch the network, ``COURSE_DATA_MIRROR`` to download from
another server that holds the same files (a base URL such as ``https://mirror.example.org/datasets/``;
the files are still checked against their checksums), and ``COURSE_DATASET`` to choose the data
set of the image lessons (``chosen_dataset``).
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import http.client
import math
import numbers
import os
import struct
import tempfile
import time
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"  # unless COURSE_DATA_MIRROR is set
CONNECT_TIMEOUT = 2.0  # seconds the server may take to answer (connect, or any single read)
DOWNLOAD_TIMEOUT = 300.0  # seconds one whole file may take

SHA256 = {  # of the original files, as in keras.datasets and Fashion-MNIST's own release
    "mnist.npz":
        "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    "train-images-idx3-ubyte.gz":
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "train-labels-idx1-ubyte.gz":
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "t10k-images-idx3-ubyte.gz":
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    "t10k-labels-idx1-ubyte.gz":
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
}

RAW_SHA256 = {  # of the decompressed IDX files, the same in any re-compressed copy
    "train-images-idx3-ubyte.gz":
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte.gz":
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte.gz":
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte.gz":
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}

SYSTEM_DIRS = {  # where distributions install the data sets, searched after the Keras cache
    "fashion_mnist": (Path("/usr/share/datasets/fashion-mnist"),),  # Debian: dataset-fashion-mnist
}

DIGIT_NAMES = tuple(str(digit) for digit in range(10))
FASHION_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
LOGIC_GATES = {"AND": (0, 0, 0, 1), "OR": (0, 1, 1, 1), "XOR": (0, 1, 1, 0), "NAND": (1, 1, 1, 0)}


# ---------------------------------------------------------------- argument checks

def _integer(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def _number(name: str, value, *, non_negative: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if non_negative and value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return float(value)


def _seed(seed) -> int | None:
    return None if seed is None else _integer("seed", seed, 0)


# ---------------------------------------------------------------- toy data sets

def make_line(n: int = 100, slope: float = 2.0, intercept: float = 1.0, noise: float = 0.5,
              seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points on the line ``y = slope*x + intercept`` plus Gaussian noise; x, y of shape (n, 1)."""
    n = _integer("n", n, 1)
    slope, intercept = _number("slope", slope), _number("intercept", intercept)
    noise = _number("noise", noise, non_negative=True)
    rng = np.random.default_rng(_seed(seed))
    x = rng.uniform(-3.0, 3.0, size=(n, 1))
    y = slope * x + intercept + noise * rng.standard_normal((n, 1))
    return x, y


def logic_gate(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The four inputs of a two-input gate (AND, OR, XOR, NAND) and its 0/1 outputs."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a string such as 'XOR', got {type(name).__name__}")
    outputs = LOGIC_GATES.get(name.strip().upper())
    if outputs is None:
        raise ValueError(f"Unknown logic gate {name!r}; choose one of {', '.join(LOGIC_GATES)}")
    inputs = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    return inputs, np.array(outputs, dtype=np.int64)


def make_moons(n: int = 200, noise: float = 0.1,
               seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles in 2-D, labels 0 and 1."""
    from sklearn.datasets import make_moons as sklearn_moons  # here: sklearn is slow to import

    n = _integer("n", n, 2)
    noise = _number("noise", noise, non_negative=True)
    x, y = sklearn_moons(n_samples=n, noise=noise, random_state=_seed(seed))
    return x.astype(np.float64), y.astype(np.int64)


def make_spirals(n: int = 300, classes: int = 2, noise: float = 0.2,
                 seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """``classes`` interleaved spiral arms in 2-D (CS231n style), n points split evenly."""
    classes = _integer("classes", classes, 2)
    n = _integer("n", n, classes)
    noise = _number("noise", noise, non_negative=True)
    rng = np.random.default_rng(_seed(seed))
    counts = [n // classes + (arm < n % classes) for arm in range(classes)]
    labels = np.repeat(np.arange(classes), counts)
    along = np.concatenate([np.linspace(0.0, 1.0, count) for count in counts])  # radius 0 -> 1
    angle = 4.0 * along + 2.0 * np.pi * labels / classes + noise * rng.standard_normal(n)
    x = np.column_stack([along * np.sin(angle), along * np.cos(angle)])
    order = rng.permutation(n)
    return x[order], labels[order].astype(np.int64)


# ---------------------------------------------------------------- image data sets

@dataclass(frozen=True, eq=False)
class ImageData:
    """Images and labels; unpacks like keras: ``(x_train, y_train), (x_test, y_test) = data``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    name: str
    source: str
    is_fallback: bool

    def __iter__(self):
        yield self.x_train, self.y_train
        yield self.x_test, self.y_test


@dataclass(frozen=True)
class _Spec:
    title: str
    subdir: str  # under <keras home>/datasets/
    files: tuple[str, ...]
    class_names: tuple[str, ...]


DATASETS = {
    "mnist": _Spec("MNIST", "", ("mnist.npz",), DIGIT_NAMES),
    "fashion_mnist": _Spec(
        "Fashion-MNIST", "fashion-mnist",
        ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
        FASHION_NAMES,
    ),
}


class _BadFile(Exception):
    """A data file that cannot be used; the message says why."""

    def __init__(self, path: Path, reason: str):
        super().__init__(reason)
        self.path = path


def offline_mode(offline: bool | None = None) -> bool:
    """True if the network must not be used: ``offline`` itself, or else ``$COURSE_OFFLINE``."""
    if offline is None:
        return os.environ.get("COURSE_OFFLINE", "").strip().lower() in {"1", "true", "yes"}
    if not isinstance(offline, bool):
        raise TypeError(f"offline must be True, False or None, got {offline!r}")
    return offline


def keras_datasets_dir() -> Path:
    """Where Keras caches data sets: ``$KERAS_HOME/datasets``, else ``~/.keras/datasets``."""
    home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(home) / "datasets"


DATASET_NAMES = ("digits", "fashion_mnist", "mnist")
UNTESTED = " Real MNIST is opt-in: the course's tests never run it ('digits' and 'fashion_mnist' they do)."


def chosen_dataset(choice: str | None = None) -> str:
    """The image data set a lesson uses: ``choice`` when given (a lesson's ``DATASET`` setting),
    else ``$COURSE_DATASET`` when set, else "digits"."""
    return _dataset_key(choice or os.environ.get("COURSE_DATASET", "").strip() or "digits")


def load_images(name: str = "digits", *, offline: bool | None = None,
                verbose: bool = True) -> ImageData:
    """Load "digits" (bundled), or "fashion_mnist" / "mnist": Keras cache, system folder,
    download (if online), else the bundled digits as a fallback.

    Files are checked by what they hold (the checksum of the decompressed data, then the IDX
    structure), so a copy that was only re-compressed is accepted. A damaged file is reported
    in one line and skipped, never deleted; only a download whose checksum matches replaces it.
    With ``verbose``, one line says which data is in use and where it came from.
    """
    key = _dataset_key(name)
    is_offline = offline_mode(offline)
    if not isinstance(verbose, bool):
        raise TypeError(f"verbose must be True or False, got {verbose!r}")
    if key == "digits":
        return _bundled_digits(verbose)
    spec = DATASETS[key]
    cache = keras_datasets_dir() / spec.subdir
    places = [(cache, "from the Keras cache")]
    places += [(folder, "from the system data sets") for folder in SYSTEM_DIRS.get(key, ())]
    for folder, how in places:
        paths = [folder / filename for filename in spec.files]
        arrays = _from_folder(key, paths)
        if arrays is not None:
            break
    else:
        paths = [cache / filename for filename in spec.files]
        arrays, how = None, "downloaded into the Keras cache"
        if not is_offline:
            arrays = _from_download(key, paths, verbose)
    if arrays is None:
        return _fallback(key, cache, verbose)

    data = ImageData(*arrays, class_names=spec.class_names, name=key,
                     source=f"{spec.title} {how}", is_fallback=False)
    if verbose:
        location = display_path(paths[0]) if len(paths) == 1 else display_path(paths[0].parent) + "/"
        print(f"Data: {data.source} ({location}): "
              f"{len(data.y_train)} train / {len(data.y_test)} test images."
              + (UNTESTED if key == "mnist" else ""))
    return data


def _dataset_key(name) -> str:
    if not isinstance(name, str):
        raise TypeError(f"name must be a string such as 'mnist', got {type(name).__name__}")
    key = name.strip().lower().replace("-", "_")
    if key not in DATASET_NAMES:
        raise ValueError(f"Unknown image data set {name!r}; choose one of "
                         + ", ".join(repr(known) for known in DATASET_NAMES))
    return key


def display_path(path: Path) -> str:
    """The path with the home folder written as ~."""
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_intact(path: Path) -> bool:
    """True if ``path`` holds the original data (same bytes, or same bytes once decompressed)."""
    if not path.is_file():
        return False
    if path.name not in RAW_SHA256:
        return _sha256(path) == SHA256[path.name]
    try:
        return hashlib.sha256(_gunzip(path)).hexdigest() == RAW_SHA256[path.name]
    except _BadFile:
        return False


def cache_states() -> dict[str, str]:
    """'present', 'missing' or 'damaged' for each real data set in the Keras cache."""
    states = {}
    for name, spec in DATASETS.items():
        paths = [keras_datasets_dir() / spec.subdir / filename for filename in spec.files]
        if not all(path.is_file() for path in paths):
            states[name] = "missing"
        else:
            states[name] = "present" if all(is_intact(path) for path in paths) else "damaged"
    return states


def _report_bad(problem: _BadFile) -> None:
    print(f"Problem with {display_path(problem.path)}: {problem}. "
          "It is not used and was left as it is; "
          "replace it with a good copy to use the real data.")


def _from_folder(key: str, paths: list[Path]):
    """The four arrays from the files in one folder; None if a file is missing or bad."""
    if not all(path.is_file() for path in paths):
        return None
    return _parse_or_report(key, paths)


def _from_download(key: str, paths: list[Path], verbose: bool):
    """Download the missing or bad files into the cache and parse them; None if that fails."""
    needed = [path for path in paths if not is_intact(path)]
    if not needed:  # the original data, yet unusable: a download cannot help
        return None
    for path in needed:
        url = download_url(path.name)
        if verbose:
            print(f"Downloading {url} ...")
        try:
            _download(url, path)
        except (OSError, http.client.HTTPException, _BadFile) as error:
            if verbose:
                print(f"Could not download {url} ({error}).")
            return None
    return _parse_or_report(key, paths)


def download_url(filename: str) -> str:
    """Where a data file is downloaded from: ``$COURSE_DATA_MIRROR`` as the base when set, else ``BASE_URL``."""
    mirror = os.environ.get("COURSE_DATA_MIRROR", "").strip()
    if mirror and "://" not in mirror:
        raise ValueError(f"COURSE_DATA_MIRROR must be a URL such as https://mirror.example.org/datasets/, "
                         f"got {mirror!r}")
    base = mirror.rstrip("/") + "/" if mirror else BASE_URL
    return base + filename


def _parse_or_report(key: str, paths: list[Path]):
    try:
        return _parse(key, paths)
    except _BadFile as problem:
        _report_bad(problem)
        return None


def _download(url: str, target: Path) -> None:
    """Fetch ``url`` to a temporary file, check the original file's checksum, move to ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                         suffix=".part")
    try:
        deadline = time.monotonic() + DOWNLOAD_TIMEOUT
        with (os.fdopen(handle, "wb") as out,
              urllib.request.urlopen(url, timeout=CONNECT_TIMEOUT) as answer):
            for block in iter(lambda: answer.read(1 << 16), b""):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"took longer than {DOWNLOAD_TIMEOUT:g} s")
                out.write(block)
        if _sha256(Path(temporary)) != SHA256[target.name]:
            raise _BadFile(target, "the downloaded file has the wrong checksum")
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _parse(key: str, paths: list[Path]) -> list[np.ndarray]:
    """x_train, y_train, x_test, y_test read from the files; raises _BadFile(path, reason)."""
    if key == "mnist":
        if _sha256(paths[0]) != SHA256[paths[0].name]:
            raise _BadFile(paths[0], "wrong checksum (a damaged or incomplete file)")
        arrays, origins = _read_npz(paths[0]), paths * 4
    else:
        arrays = [_read_idx_gz(path, ndim=3 if "-images-" in path.name else 1) for path in paths]
        origins = paths
    for i in (0, 2):
        images, labels = arrays[i], arrays[i + 1]
        if images.shape[1:] != (28, 28):
            raise _BadFile(origins[i], f"images of shape {images.shape}, expected (N, 28, 28)")
        if labels.shape != (len(images),):
            raise _BadFile(origins[i + 1], f"labels {labels.shape} for {len(images)} images")
        if labels.size and labels.max() >= len(DATASETS[key].class_names):
            raise _BadFile(origins[i + 1], f"label {labels.max()} outside 0..9")
    return arrays


def _read_npz(path: Path) -> list[np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            return [archive[key] for key in ("x_train", "y_train", "x_test", "y_test")]
    except KeyError as error:
        raise _BadFile(path, f"no array {error} in it") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise _BadFile(path, f"not a readable .npz file ({error})") from None


def _gunzip(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as stream:
            return stream.read()
    except (OSError, EOFError, zlib.error) as error:
        raise _BadFile(path, f"not a readable gzip file ({error})") from None


def _read_idx_gz(path: Path, ndim: int) -> np.ndarray:
    """A gzipped IDX file of unsigned bytes with ``ndim`` dimensions, checked by its content."""
    raw = _gunzip(path)
    if hashlib.sha256(raw).hexdigest() != RAW_SHA256[path.name]:
        raise _BadFile(path, "wrong checksum of the decompressed data "
                             "(a damaged or different file)")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise _BadFile(path, f"only {len(raw)} bytes, too short for an IDX header")
    magic, *shape = struct.unpack(f">{1 + ndim}I", raw[:header_size])
    if magic != 0x0800 + ndim:
        raise _BadFile(path, f"IDX magic number {magic}, expected {0x0800 + ndim}")
    if len(raw) - header_size != math.prod(shape):
        raise _BadFile(path, f"header promises {math.prod(shape)} bytes of data, "
                             f"the file has {len(raw) - header_size}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape).copy()


def _bundled_digits(verbose: bool) -> ImageData:
    x_train, y_train, x_test, y_test = (array.copy() for array in _digits_28x28())
    data = ImageData(x_train, y_train, x_test, y_test, class_names=DIGIT_NAMES, name="digits",
                     source="scikit-learn's bundled digits, resized to 28x28", is_fallback=False)
    if verbose:
        print(f"Data: {data.source}: {len(y_train)} train / {len(y_test)} test images.")
    return data


def _fallback(key: str, folder: Path, verbose: bool) -> ImageData:
    x_train, y_train, x_test, y_test = (array.copy() for array in _digits_28x28())
    data = ImageData(x_train, y_train, x_test, y_test, class_names=DIGIT_NAMES, name=key,
                     source="bundled scikit-learn digits (offline fallback)", is_fallback=True)
    if verbose:
        spec = DATASETS[key]
        wanted = "mnist.npz" if key == "mnist" else "the four Fashion-MNIST .gz files"
        not_clothes = " (digits, not clothes)" if key == "fashion_mnist" else ""
        debian = " or install Debian's dataset-fashion-mnist" if key == "fashion_mnist" else ""
        print(f"Data: offline fallback - scikit-learn's bundled digits resized to 28x28, "
              f"instead of {key!r}{not_clothes}: {len(y_train)} train / {len(y_test)} test images. "
              f"(Put {wanted} in {display_path(folder)}/{debian} to use real {spec.title}.)")
    return data


@functools.lru_cache(maxsize=1)
def _digits_28x28() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits as MNIST-like 28x28 uint8 images, split 80/20 stratified."""
    from scipy.ndimage import zoom  # imported here: only the fallback needs scipy and sklearn
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    big = zoom(digits.images, (1, 20 / 8, 20 / 8), order=1)  # each digit 20x20, like MNIST
    big = np.pad(big, ((0, 0), (4, 4), (4, 4)))  # centred in 28x28
    images = np.rint(255 * big / big.max(axis=(1, 2), keepdims=True)).astype(np.uint8)
    labels = digits.target.astype(np.uint8)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=0.2, stratify=labels, random_state=0)
    return x_train, y_train, x_test, y_test
