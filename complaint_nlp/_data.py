"""Where the shipped data files live (``complaint_nlp/data``)."""

from importlib import resources
from pathlib import Path


def data_file(name: str) -> Path:
    """Path of a data file shipped in ``complaint_nlp/data``."""
    return Path(str(resources.files("complaint_nlp") / "data" / name))
