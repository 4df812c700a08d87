"""The shared corpus of real-world test feeds (feedparser's), read by the corpus and sniffing tests."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ROOT

CORPUS = ROOT.parent / "shared" / "corpora" / "feedparser"


def corpus_files() -> list[Path]:
    return sorted(
        path
        for path in CORPUS.rglob("*")
        if path.is_file() and path.suffix != ".md" and path.name != "LICENSE"
    )
