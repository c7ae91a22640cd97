"""Which device to train and evaluate on: "auto", "cpu", "cuda", "cuda:N" or "mps".

A device that is asked for but not there is a DeviceError naming it, raised before any work starts,
never a silent fall back to the CPU. Only "auto" chooses: the machine's accelerator if there is one.
"""

from __future__ import annotations

from typing import TypeVar

import torch
from torch import nn

AUTO = "auto"
KINDS = ("cpu", "cuda", "mps")  # the device types the training loop is written for


M = TypeVar("M", bound=nn.Module)


class DeviceError(ValueError):
    """A device that is not a device, or is not there on this machine."""


def check_device_spec(spec: str) -> str:
    """`spec` normalized ("auto", "cpu", "cuda", "cuda:1", "mps") without asking whether the device is
    there, so a recorded recipe reads on any machine; DeviceError when it names no device we can use."""
    if not isinstance(spec, str):
        raise DeviceError(f"a device is a string such as auto, cpu, cuda, cuda:0 or mps, not {spec!r}")
    text = spec.strip().lower()
    if text == AUTO:
        return AUTO
    try:
        device = torch.device(text)
    except RuntimeError:  # torch's own message lists every type it knows, most of them not ours
        device = None
    if device is None or device.type not in KINDS:
        raise DeviceError(f"unknown device {spec!r} (--device {spec}): choose auto, cpu, cuda, cuda:N or mps")
    return "cpu" if device.type == "cpu" else str(device)


def _accelerator() -> torch.device | None:
    """The machine's accelerator when it is usable now, else None."""
    acc = getattr(torch, "accelerator", None)  # torch >= 2.6
    if acc is not None:
        # current_accelerator() is what torch was built for: a CUDA build answers cuda without a GPU
        found = acc.current_accelerator()
        usable = found is not None and found.type in KINDS and acc.is_available()
        return torch.device(found.type) if usable else None
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    return torch.device("mps") if mps is not None and mps.is_available() else None


def resolve_device(spec: str = AUTO) -> torch.device:
    """The torch.device for `spec`: "auto" is the machine's accelerator if it has one, else the CPU.
    Raises DeviceError, one line naming the device, when it is not there."""
    text = check_device_spec(spec)
    if text == AUTO:
        return _accelerator() or torch.device("cpu")
    device = torch.device(text)
    if device.type == "cuda":
        _check_cuda(device, spec)
    elif device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise DeviceError(f"MPS was asked for (--device {spec}) but torch.backends.mps.is_available() "
                              "is False on this machine")  # fmt: skip
    return device


def _check_cuda(device: torch.device, spec: str) -> None:
    if not torch.cuda.is_available():
        built = "" if torch.version.cuda else " (this torch was built without CUDA)"
        raise DeviceError(f"CUDA was asked for (--device {spec}) but torch.cuda.is_available() is False "
                          f"on this machine{built}")  # fmt: skip
    count = torch.cuda.device_count()
    if device.index is not None and device.index >= count:
        raise DeviceError(f"{device} was asked for (--device {spec}) but this machine has {count} CUDA "
                          f"device(s): cuda:0 to cuda:{count - 1}")  # fmt: skip


def move(module: M, device: torch.device | str, memory_format: torch.memory_format) -> M:
    """`module.to(device, memory_format=memory_format)`: one call, which torch accepts and its type stubs lack."""
    moved: M = module.to(device, memory_format=memory_format)  # type: ignore[call-overload]
    return moved
