"""Where the shipped data files live (``complaint_nlp/data``)."""

import threading
from importlib import resources
from pathlib import Path
from typing import Any, Callable


def data_file(name: str) -> Path:
    """Path of a data file shipped in ``complaint_nlp/data``."""
    return Path(str(resources.files("complaint_nlp") / "data" / name))


class LazyDefault:
    """A shipped object built on first use, once, thread-safely: ``get = LazyDefault(load)``,
    then ``get()``."""

    def __init__(self, load: "Callable[[], Any]") -> None:
        self._load = load
        self._value: Any = None
        self._lock = threading.Lock()

    def __call__(self) -> Any:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._load()
        return self._value
