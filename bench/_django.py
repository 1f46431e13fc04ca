"""Set Django up for a benchmark that drives whole pages through the test client."""

import os
import warnings
from pathlib import Path


def configure(sqlite: str | None) -> None:
    """Point Django at `sqlite` (a file) or DATABASE_URL, with production-like settings, and set it up."""
    if sqlite:
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(sqlite).resolve()}"
    os.environ.setdefault("HINDSIGHT_TESTING", "1")  # test-client host and plain static storage
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()
