"""tinydistill.verify: the CLI's verify without a model, from Python (the same checks, the same document)."""
import json
import shutil
import sqlite3

import pytest

import tinydistill
from conftest import DATA, cli


def test_a_clean_store_verifies_with_no_problems_and_agrees_with_the_cli(cli_store):
    report = tinydistill.verify(cli_store, data=DATA)
    assert report["problem_count"] == 0 and report["complete"] and report["dataset"] == "match"
    assert report["records"] == 320
    theirs = json.loads(cli("verify", cli_store, "--data", DATA, "--json").stdout)
    assert {k: report[k] for k in ("records", "chunks", "problem_count", "complete")} == \
        {k: theirs[k] for k in ("records", "chunks", "problem_count", "complete")}


def test_a_damaged_chunk_is_reported_as_a_problem_not_raised(cli_store, tmp_path):
    copy = tmp_path / "damaged.tdstore"
    shutil.copy(cli_store, copy)
    with sqlite3.connect(copy) as db:
        blob = bytearray(db.execute("SELECT payload FROM chunks LIMIT 1").fetchone()[0])
        blob[len(blob) // 2] ^= 0xFF
        db.execute("UPDATE chunks SET payload = ? WHERE id = (SELECT id FROM chunks LIMIT 1)", (bytes(blob),))
    report = tinydistill.verify(str(copy))
    assert report["problem_count"] >= 1
    assert report["problems"][0]["kind"] in ("corrupt-chunk", "chunk-mismatch")


def test_an_unknown_option_or_a_model_teacher_is_an_invalid_argument(cli_store):
    with pytest.raises(tinydistill.InvalidArgumentError, match="sample"):
        tinydistill.verify(cli_store, sample=-1)
    with pytest.raises(ValueError, match="synthetic:C"):
        tinydistill.verify(cli_store, data=DATA, teacher="teacher.pt")
