"""The OpenAPI contract, tested with schemathesis: every operation, every check, zero failures.

schemathesis's own command runs against a real server (with a corpus store, so the query endpoints answer):
its coverage phase sends each operation valid and invalid input per schema keyword, its examples phase the
documented example article, and its fuzzing phase a bounded number of generated requests per operation and
mode. tests/schemathesis.toml holds the two things the schema cannot say (see there).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from schemathesis.checks import CHECKS, load_all_checks

sys.path.insert(0, str(Path(__file__).parent))
from test_serve import ServerProcess, running_server
from test_serve import store as store

HERE = Path(__file__).parent
MAX_EXAMPLES = 25  # per operation and generation mode in the fuzzing phase
OPERATIONS = {"POST /analyze", "POST /report", "GET /health", "GET /said", "GET /actors", "GET /claims"}


@pytest.fixture(scope="module")
def server(store: Path) -> Iterator[ServerProcess]:
    with running_server("--max-bytes", "300000", "--timeout", "120", "--store", str(store), workers=2) as srv:
        yield srv


def test_every_check_over_every_operation_finds_nothing(server: ServerProcess, tmp_path: Path) -> None:
    report = tmp_path / "run.json"
    schemathesis = Path(sys.executable).with_name("schemathesis")
    cmd = [str(schemathesis), "--config-file", str(HERE / "schemathesis.toml"), "run", f"{server.url}/openapi.json",
           "--checks", "all", "--max-examples", str(MAX_EXAMPLES), "--seed", "1", "--workers", "1",
           "--report", "json", "--report-json-path", str(report)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, cwd=tmp_path)  # its cache goes there
    assert report.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    run = json.loads(report.read_text(encoding="utf-8"))
    assert run["complete"] and run["exit_code"] == 0, proc.stdout[-6000:]
    assert run["operations"]["tested"] == run["operations"]["total"] == len(OPERATIONS)
    assert run["failures"] == [] and run["errors"] == [] and run["test_cases"]["with_failures"] == 0
    assert all(phase["status"] == "success" for name, phase in run["phases"].items() if name != "stateful")
    # the example article reaches the analysis, so the record's schema is checked against a real record
    assert run["valid_rates"]["POST /analyze"]["examples"]["accepted"] >= 1, run["valid_rates"]["POST /analyze"]
    load_all_checks()
    print(f"\nschemathesis: {run['operations']['tested']} operations, {run['test_cases']['generated']} cases, "
          f"{len(CHECKS.get_all_names())} checks each, {len(run['failures'])} failures "
          f"({run['running_time']:.0f} s)")
