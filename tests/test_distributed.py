"""Training in several processes: torchrun's environment, sharding, the process group, and the CLI
under torchrun (two CPU processes through gloo)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import torch

from mnist_core.devices import DeviceError
from mnist_core.distributed import World, check_batch, process_group, rank_device, shard, steps_per_epoch
from mnist_core.mnist import Split
from mnist_core.train import evaluate, train
from mnist_core.train_config import TrainConfig
from mnist_core.weights import load_weights, previous_path


def test_world_from_torchruns_environment():
    assert World.from_env({}) == World() and World().is_main
    world = World.from_env({"WORLD_SIZE": "4", "RANK": "3", "LOCAL_RANK": "1"})
    assert world == World(rank=3, local_rank=1, size=4) and not world.is_main
    with pytest.raises(ValueError, match="integers"):
        World.from_env({"WORLD_SIZE": "two"})
    with pytest.raises(ValueError, match="rank 2 of 2"):
        World.from_env({"WORLD_SIZE": "2", "RANK": "2"})


@pytest.mark.parametrize("n", [128, 96, 5, 2])
@pytest.mark.parametrize("size", [2, 3])
def test_shards_split_every_batch_between_the_processes(n, size):
    batch = torch.randperm(1000)[:n]
    parts = [shard(batch, World(r, r, size)) for r in range(size)]
    assert torch.equal(torch.cat(parts), batch)  # each image once, in one process
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert shard(batch, World()) is batch


def test_steps_per_epoch_are_the_recipes():
    two = World(0, 0, 2)
    assert steps_per_epoch(60000, 128, World()) == steps_per_epoch(60000, 128, two) == 469
    assert steps_per_epoch(2000, 128, two) == 16  # the last batch, 80 images, is shared 40 and 40
    assert steps_per_epoch(257, 128, World()) == 3 and steps_per_epoch(257, 128, two) == 2  # 1 image for 2: left out
    check_batch(2, two)
    with pytest.raises(ValueError, match="a batch of 1 images cannot be shared by 2 processes"):
        check_batch(1, two)


def test_each_process_takes_its_own_device():
    cpu = torch.device("cpu")
    assert rank_device(cpu, World(1, 1, 2)) == cpu
    with pytest.raises(DeviceError, match="not mps"):
        rank_device(torch.device("mps"), World(1, 1, 2))
    with pytest.raises(DeviceError, match="give --device cuda, not cuda:1"):
        rank_device(torch.device("cuda:1"), World(1, 1, 2))
    if torch.cuda.device_count() < 2:
        with pytest.raises(DeviceError, match="process 1 .* has no GPU"):
            rank_device(torch.device("cuda"), World(1, 1, 2))


# --- two processes in a process group (torch.multiprocessing), without torchrun ----------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _join(rank: int, size: int, port: int) -> World:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE=str(size), RANK=str(rank),
                      LOCAL_RANK=str(rank))  # fmt: skip
    return World.from_env()


def _train_in_two(rank: int, port: int, split: Split, config: TrainConfig, out: str) -> None:
    world = _join(rank, 2, port)
    with process_group(world, torch.device("cpu")):
        result = train("lenet5", split, None, config)
    if world.is_main:
        torch.save(result.model.state_dict(), out)


def test_two_processes_take_the_same_steps_as_one(mnist_train, tmp_path):
    """Without batch norm, dropout or augmentation, the processes' averaged gradients are the whole
    batch's: two processes end where one does, up to the order of float sums."""
    split = mnist_train.subset(slice(0, 1000))
    config = TrainConfig(epochs=1, batch_size=100, lr=0.05, optimizer="sgd", augment=False, limit=1000)
    out = tmp_path / "two.pt"
    torch.multiprocessing.spawn(_train_in_two, args=(_free_port(), split, config, str(out)), nprocs=2)
    one = train("lenet5", split, None, config).model.state_dict()
    two = torch.load(out)
    assert one.keys() == two.keys()
    for key in one:
        torch.testing.assert_close(two[key], one[key], rtol=1e-4, atol=1e-5, msg=key)
    other = train("lenet5", split, None, replace(config, seed=1)).model.state_dict()
    # the tolerance still tells two runs apart
    assert any(not torch.allclose(other[k], one[k], rtol=1e-4, atol=1e-5) for k in one)


def _lost_peer(rank: int, port: int, out: str) -> None:
    world = _join(rank, 2, port)
    with process_group(world, torch.device("cpu"), timeout=timedelta(seconds=2)):
        if rank == 1:  # alive, but never joins the all-reduce
            deadline = time.monotonic() + 60
            while not Path(out).exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            return
        start = time.perf_counter()
        try:
            torch.distributed.all_reduce(torch.ones(1))
            outcome = "returned"
        except RuntimeError as exc:
            outcome = f"raised after {time.perf_counter() - start:.1f} s: {exc}"
        Path(out + ".tmp").write_text(outcome)
        os.replace(out + ".tmp", out)


def test_a_process_left_alone_gives_up_after_the_timeout(tmp_path):
    out = tmp_path / "outcome.txt"
    torch.multiprocessing.spawn(_lost_peer, args=(_free_port(), str(out)), nprocs=2)
    outcome = out.read_text()
    assert outcome.startswith("raised after"), outcome
    assert float(outcome.split()[2]) < 10


# --- mnist-train under torchrun ------------------------------------------------------------------------


def torchrun(*args: str) -> list[str]:
    exe = shutil.which("mnist-train")
    assert exe, "mnist-train is not installed: pip install -e ."
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "--no-python", exe,
            "--model", "cnn_small", "--device", "cpu", *args]  # fmt: skip


def test_torchrun_trains_one_model_and_rank_0_writes_it_once(tmp_path, data_root, mnist_test):
    out = tmp_path / "ddp.safetensors"
    cmd = torchrun("--limit", "2000", "--epochs", "1", "--lr", "0.1", "--data-root", str(data_root), "--out", str(out))
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)  # one line: only rank 0 reports
    assert not previous_path(out).exists()  # a second write would have kept the first as the previous version
    model, info = load_weights(out)
    assert info.test_accuracy == pytest.approx(summary["test_accuracy"])
    assert info.test_accuracy > 0.8  # far above chance, as one process on these 2000 images
    assert info.train_config["limit"] == 2000 and info.train_config["device"] == "cpu"
    assert evaluate(model, mnist_test)[0] == pytest.approx(info.test_accuracy, abs=1e-4)
    assert res.stderr.count("cnn_small: 100%") >= 1 and res.stderr.count("cnn_small:   0%") == 1  # rank 0's bar


def _children(pid: int) -> dict[str, int]:
    """RANK -> pid of the processes `pid` started (torchrun's workers)."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                env = dict(kv.split("=", 1) for kv in (entry / "environ").read_text().split("\0") if "=" in kv)
                found[env.get("RANK", "?")] = int(entry.name)
        except OSError:  # gone meanwhile
            continue
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds torchrun's workers through /proc")
def test_a_killed_rank_leaves_the_weights_as_they_were_and_fails(tmp_path, data_root):
    out = tmp_path / "cnn_small.safetensors"
    shutil.copy(Path(__file__).parent.parent / "weights" / "cnn_small.safetensors", out)
    before = out.read_bytes()
    cmd = torchrun("--limit", "20000", "--epochs", "3", "--data-root", str(data_root), "--out", str(out))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = bytearray()
    threading.Thread(target=lambda: [err.extend(c) for c in iter(lambda: proc.stderr.read1(4096), b"")],
                     daemon=True).start()  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while b"loss=" not in err and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)  # until rank 0 reports its first steps: both ranks are training
        ranks = _children(proc.pid)
        assert proc.poll() is None and "1" in ranks, err.decode(errors="replace")
        os.kill(ranks["1"], signal.SIGKILL)
        code = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code != 0
    assert out.read_bytes() == before and not previous_path(out).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # no temporary file left either
