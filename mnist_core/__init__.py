"""mnist-canvas core: preprocessing, model registry, data, training, weights, prediction.

Never imports gradio. Importing it loads nothing and downloads nothing.
"""

import os as _os

# OpenMP's default busy-waiting was seen to stall training intermittently on small shared CPUs (cause not
# pinned down); passive waiting ran steadily. OpenMP reads this when torch loads, so it is set first.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .errors import InputError, NoInkError  # noqa: E402
from .models import DEFAULT_MODEL, create_model, list_models  # noqa: E402
from .predict import Prediction, Predictor, predict  # noqa: E402
from .preprocess import preprocess, to_mnist  # noqa: E402

__all__ = [
    "DEFAULT_MODEL",
    "InputError",
    "NoInkError",
    "Prediction",
    "Predictor",
    "create_model",
    "list_models",
    "predict",
    "preprocess",
    "to_mnist",
]
