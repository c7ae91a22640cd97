"""bench/load.py on a short setting: the real servers under concurrent clients, zero errors."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow


def test_load_bench_short_setting_has_no_errors():
    res = subprocess.run([sys.executable, str(REPO / "bench" / "load.py"), "--clients", "4", "--requests", "3",
                          "--driver", "python"],
                         capture_output=True, text=True, timeout=600, cwd=REPO)  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    rows = [line for line in res.stdout.splitlines() if re.match(r"(gradio|POST) ", line)]
    assert len(rows) == 4, res.stdout
    for row in rows:
        rps, errors = float(row.split()[-5]), int(row.split()[-1])
        assert errors == 0 and rps > 0, row
