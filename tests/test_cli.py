"""The command line: formats, stdin, one record per input, and bad input as one clear line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "talks-geneva.txt"
ARTICLE = ("Foreign Minister Lena Vogt told CNN that sanctions would remain in place. "
           "“We will not lift them before the troops leave,” Vogt said on Monday.\n\n"
           "Grain exports fell by 30% in March.\n")


def run(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "onrecord.cli", *args], input=stdin, capture_output=True,
                          timeout=300, cwd=ROOT, env={**os.environ, **(env or {})})


def no_traceback(proc: subprocess.CompletedProcess) -> str:
    err = proc.stderr.decode()
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err


def test_text_summary_of_example() -> None:
    proc = run("analyze", str(EXAMPLE))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert "WHO SAYS WHAT" in out and "UNSOURCED STATEMENTS" in out and "FLAGS" in out


def test_json_record_offsets(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    proc = run("analyze", "--format", "json", str(path))
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    assert record["schema"] == "onrecord/1"
    assert record["attributions"], record
    for a in record["attributions"]:
        for span in (a["content"], a["cue"], a["speaker"]):
            assert record["text"][span["start"] : span["end"]] == span["text"]


def test_stdin_plain_text() -> None:
    proc = run("analyze", "--format", "json", "-", stdin=ARTICLE.encode())
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["attributions"]


def test_jsonl_one_record_per_file_in_order_with_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(ARTICLE, encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    html = tmp_path / "page.html"
    html.write_text(f"<html><body><nav>Home | World</nav><article><p>{ARTICLE}</p></article></body></html>",
                    encoding="utf-8")
    proc = run("analyze", "--format", "jsonl", str(good), str(empty), str(tmp_path / "missing.txt"), str(html))
    lines = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert len(lines) == 4
    assert "error" not in lines[0] and "error" not in lines[3]
    assert "empty" in lines[1]["error"] and "no such file" in lines[2]["error"]
    assert proc.returncode == 1


def test_jsonl_stdin_bad_line_in_the_middle() -> None:
    rows = [json.dumps({"text": ARTICLE, "url": "https://example.org/1"}), "{not json",
            json.dumps({"text": ARTICLE, "url": "https://example.org/3"})]
    proc = run("analyze", "--format", "jsonl", "-", stdin="\n".join(rows).encode())
    lines = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [line.get("article", {}).get("url") for line in lines] == ["https://example.org/1", None,
                                                                      "https://example.org/3"]
    assert "line 2" in lines[1]["error"]


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"),
    (b"   \n\t  \n", "whitespace"),
    (b"\x00\x01\x02binary\x00\xff" * 50, "binary"),
    ("Le gouvernement a annoncé mardi que les négociations reprendraient la semaine prochaine à Genève, "
     "selon le ministre des affaires étrangères.".encode(), "English"),
    (b"The minister said \x81\x8d\x8f\x90\x9d\x81 the talks had resumed. " * 3, "UTF-8"),
    (b"<html><head><script>var a = 1;</script></head><body><div></div></body></html>", "HTML"),
])
def test_bad_input_is_one_clear_line(tmp_path: Path, content: bytes, message: str) -> None:
    suffix = ".html" if content.startswith(b"<html") else ".txt"
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(content)
    proc = run("analyze", "--format", "json", str(path))
    assert proc.returncode == 2
    assert message.lower() in no_traceback(proc).lower()


def test_huge_input_refused_naming_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(ARTICLE.encode() * 50_000)  # about 10 MB
    proc = run("analyze", "--format", "json", str(path))
    assert proc.returncode == 2
    err = no_traceback(proc)
    assert "5" in err and "ONRECORD_MAX_BYTES" in err


def test_unbalanced_quotes_never_fail(tmp_path: Path) -> None:
    path = tmp_path / "quotes.txt"
    path.write_text("The minister said “we will win.\n\nHe added: \"the army is ready and \u201d then left. "
                    "Officials said ‘nothing was agreed.\n", encoding="utf-8")
    proc = run("analyze", "--format", "json", str(path))
    assert proc.returncode == 0, proc.stderr
    json.loads(proc.stdout)


def test_several_inputs_need_jsonl(tmp_path: Path) -> None:
    proc = run("analyze", "--format", "json", str(EXAMPLE), str(EXAMPLE))
    assert proc.returncode == 2 and "jsonl" in no_traceback(proc)


def test_analyze_with_issues_adds_positions(tmp_path: Path) -> None:
    path = tmp_path / "nato.txt"
    path.write_text("President Amara Diallo said on Monday that her country would never join NATO.\n", encoding="utf-8")
    proc = run("analyze", "--issues", str(ROOT / "examples" / "issues.toml"), "--format", "json", str(path))
    assert proc.returncode == 0, proc.stderr
    positions = json.loads(proc.stdout)["positions"]
    assert [(p["actor"], p["issue"]) for p in positions] == [("amara-diallo", "nato")]
