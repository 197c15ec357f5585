"""`rag serve --watch [SECONDS]` sets watch_seconds (the server-side behaviour is tested in tests/api/test_live_rebuild.py)."""

from __future__ import annotations

from api.cli import build_parser, main
from api.cli.serve import WATCH_SECONDS


def test_watch_without_a_value_polls_every_default_interval_and_is_off_when_absent() -> None:
    parser = build_parser()
    assert parser.parse_args(["serve", "--watch"]).watch == WATCH_SECONDS
    assert parser.parse_args(["serve", "--watch", "2", "--port", "9"]).watch == 2.0
    assert parser.parse_args(["serve"]).watch is None


def test_a_watch_interval_out_of_range_is_a_usage_error_before_anything_loads(capsys) -> None:
    assert main(["serve", "--watch", "0.01"]) == 2
    err = capsys.readouterr().err
    assert "watch_seconds=0.01" in err and "0.1..3600" in err and "Traceback" not in err
