"""Where files live: the weights shipped with the package, and the user's data folder.

The program never writes into the source tree or site-packages: retrained weights, their previous
versions and candidates, and stored corrections all go under the user's data folder.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "mnist-canvas"
HOME_ENV = "MNIST_CANVAS_HOME"
SHIPPED_PACKAGE = "mnist_canvas_weights"  # the top-level weights/ folder, installed as package data


def data_home(home: str | os.PathLike[str] | None = None) -> Path:
    """An explicit folder, else $MNIST_CANVAS_HOME, else the platform's user data folder."""
    if home:
        return Path(home).expanduser()
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV]).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def set_home(home: str | os.PathLike[str]) -> None:
    """Make `home` the data folder of this process and of those it starts (through the environment,
    so every default and every worker process sees it)."""
    os.environ[HOME_ENV] = str(Path(home).expanduser().resolve())


def user_weights_dir(home: str | os.PathLike[str] | None = None) -> Path:
    """Where retrained weights (and their previous versions and candidates) are written."""
    return data_home(home) / "weights"


def shipped_weights_dir() -> Path:
    """The weights shipped with the project: package data when installed, else weights/ beside the
    package (a clone run without installing, as a Hugging Face Space does)."""
    from importlib import resources

    try:
        folder = resources.files(SHIPPED_PACKAGE)
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "weights"
    return Path(str(folder))
