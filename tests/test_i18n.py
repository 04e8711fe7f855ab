"""Number style: compact numbers in words each language reads (k/M/bn in English, 万/亿 in
Chinese), the value they stand for unchanged."""

import pytest

import i18n


@pytest.mark.parametrize("value, decimals, en", [
    (9_999, 0, "9,999"),                # below ten thousand: every digit, grouped
    (10_600, 1, "10.6k"),               # a k is a thousand
    (10_600, 0, "10.6k"),               # a compact number keeps one decimal
    (-25_400, 1, "-25.4k"),
    (999_940, 1, "999.9k"),
    (999_960, 1, "1.0M"),               # rounds up into the next word, never "1,000.0k"
    (2_345_678, 1, "2.3M"),
    (4_800_000_000, 1, "4.8bn"),
    (1_234_000_000_000, 1, "1,234.0bn"),
    (None, 1, "—"),
    (float("nan"), 1, "—"),
])
def test_english_compact_numbers_are_thousands_millions_billions(value, decimals, en):
    assert i18n.number(value, "en", decimals) == en


@pytest.mark.parametrize("value, decimals, zh", [
    (9_999, 0, "9999"),
    (10_600, 1, "1.1万"),               # a 万 is ten thousand
    (123_456, 1, "12.3万"),
    (99_990_000, 1, "9999.0万"),
    (99_999_999, 1, "1.0亿"),           # rounds up into the next word, never "10000.0万"
    (480_000_000_000, 1, "4800.0亿"),
    (-35_000, 0, "-3.5万"),
])
def test_chinese_compact_numbers_are_wan_and_yi(value, decimals, zh):
    assert i18n.number(value, "zh", decimals) == zh
