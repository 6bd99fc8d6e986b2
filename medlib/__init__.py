"""medlib: what deep CNNs learn from medical images (reproduction of Apostolopoulos et al.
2022 and Kim et al. 2019 CRM). See README.md."""
import os as _os
import sys as _sys

__version__ = "0.1.0"


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow with its C++ start-up lines (absl's "All log messages before
    absl::InitializeLog()", oneDNN's note) kept off stderr, where they would show as a
    red block under the first import cell of every notebook and in its HTML report.

    Only the import is silenced, at the file-descriptor level (those lines come from C++);
    a failing import still raises its Python error. ``MEDLIB_TF_VERBOSE=1`` keeps the lines."""
    if "tensorflow" in _sys.modules or _os.environ.get("MEDLIB_TF_VERBOSE") == "1" \
            or _os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        return
    _os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        _sys.stderr.flush()
        saved = _os.dup(2)
    except (OSError, ValueError):  # no real stderr (some embedded interpreters)
        return
    try:
        with open(_os.devnull, "w") as devnull:
            _os.dup2(devnull.fileno(), 2)
            try:
                import tensorflow  # noqa: F401
            except ImportError:
                pass  # data-only installs without TensorFlow
    finally:
        _os.dup2(saved, 2)
        _os.close(saved)


_import_tensorflow_quietly()
