"""The interface font (layouts/fonts.py): cut from Debian's Noto Sans CJK once, kept on disk for
the next process, and a cache that cannot be written costs time, never the font."""

from __future__ import annotations

import io

from fontTools.ttLib import TTFont

from layouts import fonts

CHARS = "赣州市城市大脑ABC123%"


def _glyphs(woff2: bytes) -> set[str]:
    return {chr(code) for code in TTFont(io.BytesIO(woff2)).getBestCmap()}


def test_a_cut_is_kept_on_disk_and_read_back_by_the_next_process(tmp_path, monkeypatch):
    monkeypatch.setenv("CITYBRAIN_FONT_CACHE", str(tmp_path / "fonts"))
    fonts.subset_woff2.cache_clear()
    first = fonts.subset_woff2(CHARS, 400)
    assert set(CHARS) <= _glyphs(first)
    kept = list((tmp_path / "fonts").iterdir())
    assert [p.suffix for p in kept] == [".woff2"] and kept[0].read_bytes() == first
    # the next process (no memory of the first) reads the file instead of cutting
    fonts.subset_woff2.cache_clear()
    monkeypatch.setattr(fonts, "cut_woff2", lambda *a: (_ for _ in ()).throw(
        AssertionError("cut again although the cut was on disk")))
    assert fonts.subset_woff2(CHARS, 400) == first
    # other characters are another cut, in a file of their own
    monkeypatch.undo()
    monkeypatch.setenv("CITYBRAIN_FONT_CACHE", str(tmp_path / "fonts"))
    fonts.subset_woff2.cache_clear()
    assert "区" in _glyphs(fonts.subset_woff2(CHARS + "区", 400))
    assert len(list((tmp_path / "fonts").glob("*.woff2"))) == 2
    assert list((tmp_path / "fonts").glob("*.partial")) == []
    fonts.subset_woff2.cache_clear()


def test_an_unwritable_cache_still_serves_the_font(tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("CITYBRAIN_FONT_CACHE", str(blocked / "fonts"))
    fonts.subset_woff2.cache_clear()
    assert set(CHARS) <= _glyphs(fonts.subset_woff2(CHARS, 700))
    assert blocked.read_text().startswith("a file")
    fonts.subset_woff2.cache_clear()
