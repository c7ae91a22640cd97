"""Training in several processes with DistributedDataParallel, as started by torchrun.

torchrun sets WORLD_SIZE, RANK and LOCAL_RANK in each process it starts; without them (or with one
process) training runs in this process alone, as it always has. Each process trains on its own
device (CPU processes share the CPU through gloo; CUDA process LOCAL_RANK takes cuda:LOCAL_RANK and
talks through nccl) and takes its own part of every batch (shard), so the batch the optimizer steps
on, and the number of steps, are the recipe's whatever the number of processes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import torch

from .devices import DeviceError

# Longer than any one process works alone between two collectives (rank 0's test evaluation after
# an epoch, the data each process prepares before its first step), so only a lost peer reaches it.
DEFAULT_TIMEOUT = timedelta(minutes=10)


@dataclass(frozen=True)
class World:
    """This process's place among the training processes: one process (the default) or torchrun's."""

    rank: int = 0
    local_rank: int = 0  # rank on this machine: which GPU is this process's
    size: int = 1

    def __post_init__(self) -> None:
        if self.size < 1 or not 0 <= self.rank < self.size or self.local_rank < 0:
            raise ValueError(f"not a place among training processes: rank {self.rank} of {self.size}, "
                             f"local rank {self.local_rank}")  # fmt: skip

    @property
    def is_main(self) -> bool:
        """Rank 0: the one process that reports progress, evaluates and writes the weights."""
        return self.rank == 0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> World:
        """torchrun's WORLD_SIZE, RANK and LOCAL_RANK; one process when WORLD_SIZE is not set."""
        env = os.environ if env is None else env
        if "WORLD_SIZE" not in env:
            return cls()
        try:
            size, rank = int(env["WORLD_SIZE"]), int(env.get("RANK", "0"))
            return cls(rank, int(env.get("LOCAL_RANK", str(rank))), size)
        except ValueError as exc:
            raise ValueError(f"WORLD_SIZE, RANK and LOCAL_RANK must be integers, as torchrun sets ({exc})") from None


def current_world() -> World:
    """The world of the initialized default process group (see process_group), else one process."""
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return World()
    rank, size = torch.distributed.get_rank(), torch.distributed.get_world_size()
    return World(rank, World.from_env().local_rank if size > 1 else 0, size)


def rank_device(device: torch.device, world: World) -> torch.device:
    """This process's device: with several processes, CUDA means cuda:LOCAL_RANK. Raises DeviceError
    for what several processes cannot share (MPS, one given GPU, more processes than GPUs)."""
    if world.size == 1 or device.type == "cpu":
        return device
    if device.type != "cuda":
        raise DeviceError(f"training in several processes runs on cpu or cuda, not {device.type}")
    if device.index is not None:
        raise DeviceError(f"with several processes each uses cuda:LOCAL_RANK; give --device cuda, not {device}")
    count = torch.cuda.device_count()
    if world.local_rank >= count:
        raise DeviceError(f"process {world.rank} (LOCAL_RANK {world.local_rank}) has no GPU: this machine has "
                          f"{count}; start at most {count} processes on it")  # fmt: skip
    return torch.device("cuda", world.local_rank)


def backend_for(device: torch.device) -> str:
    return "nccl" if device.type == "cuda" else "gloo"


@contextmanager
def process_group(world: World, device: torch.device, timeout: timedelta = DEFAULT_TIMEOUT) -> Iterator[World]:
    """Join the other processes (torchrun's env:// rendezvous) for the duration; nothing with one.
    A collective that waits longer than `timeout` for a lost peer raises instead of hanging."""
    if world.size == 1:
        yield world
        return
    if device.type == "cuda":
        torch.cuda.set_device(device)  # nccl talks on the current device
    torch.distributed.init_process_group(backend_for(device), rank=world.rank, world_size=world.size, timeout=timeout)
    try:
        yield world
    finally:
        torch.distributed.destroy_process_group()


def shard(batch: torch.Tensor, world: World) -> torch.Tensor:
    """This process's part of a batch of indices: contiguous parts as equal as they can be."""
    return batch if world.size == 1 else batch.tensor_split(world.size)[world.rank]


def check_batch(batch_size: int, world: World) -> None:
    """Every process needs a part of every batch."""
    if batch_size < world.size:
        raise ValueError(f"a batch of {batch_size} images cannot be shared by {world.size} processes; "
                         "give a batch size of at least the number of processes")  # fmt: skip


def steps_per_epoch(n: int, batch_size: int, world: World) -> int:
    """Batches in an epoch of `n` images: the last, smaller one too, unless it has fewer images than
    there are processes (then it is left out, a few different images each epoch)."""
    steps = math.ceil(n / batch_size)
    return steps - 1 if world.size > 1 and 0 < n % batch_size < world.size and steps > 1 else steps
