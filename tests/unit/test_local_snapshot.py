"""forge dev's state snapshot: saved after a change reached the emulation, not again while nothing changed."""

from __future__ import annotations

from pathlib import Path

from devserver.emulation import EmulationChanges, LocalAws, LocalEndpoints, changes


def test_reads_leave_the_generation_and_writes_advance_it() -> None:
    counted = EmulationChanges()
    for read in (
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/bucket/key"},
        {"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.GetItem"},
        {"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.Query"},
        {"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "AWSStepFunctions.DescribeExecution"},
    ):
        counted.seen(read)
    assert counted.generation == 0

    for write in (
        {"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.TransactWriteItems"},
        {"REQUEST_METHOD": "PUT", "PATH_INFO": "/bucket/key"},
        {"REQUEST_METHOD": "POST", "PATH_INFO": "/schedules/nightly"},
    ):
        before = counted.generation
        counted.seen(write)
        assert counted.generation > before


def test_a_snapshot_is_saved_once_per_change(tmp_path: Path) -> None:
    aws = LocalAws(tmp_path, LocalEndpoints("127.0.0.1", 0))

    assert aws.save_snapshot_if_changed()  # never saved yet
    saved = aws.snapshot_path.stat().st_mtime_ns
    assert not aws.save_snapshot_if_changed()
    assert aws.snapshot_path.stat().st_mtime_ns == saved

    changes.seen({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.PutItem"})
    assert aws.save_snapshot_if_changed()
    assert not aws.save_snapshot_if_changed()
    assert aws.next_snapshot_delay(5.0) >= 5.0
