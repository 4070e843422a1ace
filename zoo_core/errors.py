"""Every exception zoo raises on purpose.

Each subclasses :class:`ZooError` *and* the stdlib type a caller would naturally catch, so
``except KeyError`` around ``get_model`` keeps working. The CLI turns any ``ZooError`` into a
one-line message and exit code 1.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Iterable

_WARNED: set[str] = set()


def warn(message: str) -> None:
    """Print ``zoo: warning: message`` to stderr, once per process (the catalog and the registry both report)."""
    if message not in _WARNED:
        _WARNED.add(message)
        print(f"zoo: warning: {message}", file=sys.stderr)


def reset_warnings() -> None:
    _WARNED.clear()


class ZooError(Exception):
    """Raised for any expected failure; the base of every zoo exception."""

    hint: str | None = None

    def __str__(self) -> str:
        msg = super().__str__()
        return f"{msg}. {self.hint}" if self.hint else msg


class UnknownModelError(ZooError, KeyError):
    """Raised when no installed plugin provides the requested model id."""

    def __init__(self, model_id: str, known: Iterable[str] = ()) -> None:
        self.model_id = model_id
        close = difflib.get_close_matches(model_id, list(known), n=1)
        guess = f" Did you mean '{close[0]}'?" if close else ""
        allow = os.environ.get("ZOO_LOAD_PLUGINS")
        # an allowlist (even an empty one, which loads no plugin) is the likeliest reason an installed model is unknown
        restricted = f" (ZOO_LOAD_PLUGINS='{allow}' restricts plugins; unset it to load all)" if allow is not None else ""
        super().__init__(f"Unknown model '{model_id}'.{guess} Run `zoo list` to see installed models{restricted}")

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class ModelSpecError(ZooError, ValueError):
    """Raised when a model.yaml is missing, malformed or fails validation."""

    def __init__(self, path: object, field: str, reason: str) -> None:
        self.path, self.field, self.reason = path, field, reason
        super().__init__(f"{path}: {field}: {reason}")


class PluginLoadError(ZooError, ImportError):
    """Raised (and recorded) when a plugin fails to import or to register its models."""

    def __init__(self, plugin: str, error: BaseException, hook: str | None = None) -> None:
        self.plugin, self.error, self.hook = plugin, error, hook
        where = f" ({hook})" if hook else ""
        super().__init__(f"plugin '{plugin}' failed to load{where}: {type(error).__name__}: {error}")


class DuplicateModelError(ZooError, ValueError):
    """Raised when two plugins register the same model id (or command), or one plugin registers it twice."""


class WeightsNotFoundError(ZooError, FileNotFoundError):
    """Raised when a weights file is neither bundled, cached nor downloadable."""


class WeightsIntegrityError(ZooError, ValueError):
    """Raised when a weights file's sha256 differs from the one pinned in model.yaml."""

    def __init__(self, path: object, expected: str, actual: str) -> None:
        self.path, self.expected, self.actual = path, expected, actual
        super().__init__(
            f"{path}: sha256 mismatch (expected {expected}, got {actual}); refusing corrupt weights"
        )


class InputError(ZooError, ValueError):
    """Raised when an input file or record does not fit the model (alphabet, length, format)."""

    def __init__(self, source: object, reason: str, record: str | None = None) -> None:
        self.source, self.record, self.reason = source, record, reason
        where = f"{source}: record '{record}'" if record is not None else f"{source}"
        super().__init__(f"{where}: {reason}")


class ExplainError(ZooError, ValueError):
    """Raised when a model cannot run the requested attribution method."""


class LoadError(ZooError, RuntimeError):
    """Raised when a model handle is asked to load other weights than the ones it already loaded."""


class OutputError(ZooError, OSError):
    """Raised when an output cannot be written (a full disk, a read-only folder, a file that is also an input)."""

    def __init__(self, path: object, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(f"{path}: {reason}")

    def __str__(self) -> str:  # OSError would format its own way
        return f"{self.path}: {self.reason}"
