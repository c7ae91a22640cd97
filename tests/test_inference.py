from __future__ import annotations

import pytest
import torch

from mnist_core.inference import fuse_batch_norm
from mnist_core.models import create_model, list_models


@pytest.mark.parametrize("name", list_models())
def test_folding_batch_norm_keeps_the_outputs(name):
    torch.manual_seed(0)
    model = create_model(name)
    for m in model.modules():  # batch norms with statistics of their own, not the identity at init
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1), m.running_var.uniform_(0.5, 2), m.weight.data.uniform_(0.5, 2)
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    x = torch.randn(8, 1, 28, 28)
    fused = fuse_batch_norm(model)
    with torch.no_grad():
        assert torch.allclose(fused(x), model.eval()(x), atol=1e-4)
    assert norms == [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]  # the original is untouched
    left = [
        type(m) for m in fused.modules() if isinstance(m, (torch.nn.BatchNorm2d, torch.nn.Dropout, torch.nn.Identity))
    ]
    assert len(left) == (3 if name in ("cnn_small", "cnn_no_digit") else 0)  # their norms follow a pooling
