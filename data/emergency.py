"""The emergency scene's vocabulary (应急): warning kinds and levels, resource kinds.

Warnings follow the national four-level scheme (突发事件预警级别): 红色 I (most severe), 橙色 II,
黄色 III, 蓝色 IV. The store keeps the level as that number, so "at least orange" is
``level <= ALERT_LEVEL`` everywhere (the alert rule, the wall, the map's colours).
"""

from __future__ import annotations

#: Warning kinds: code -> (Chinese, English).
WARNING_KINDS: dict[str, tuple[str, str]] = {
    "flood": ("洪涝", "Flood"),
    "geohazard": ("地质灾害", "Geological hazard"),
    "weather": ("气象", "Weather"),
    "forest_fire": ("森林火险", "Forest fire"),
    "work_safety": ("安全生产", "Work safety"),
}
#: Warning levels, most severe first: number -> (code, Chinese, English, Roman numeral).
WARNING_LEVELS: dict[int, tuple[str, str, str, str]] = {
    1: ("red", "红色", "Red", "I"),
    2: ("orange", "橙色", "Orange", "II"),
    3: ("yellow", "黄色", "Yellow", "III"),
    4: ("blue", "蓝色", "Blue", "IV"),
}
#: A warning at this level or more severe (orange, red) raises an alert.
ALERT_LEVEL = 2
#: A warning given as a point without a radius covers this many km around it.
DEFAULT_RADIUS_KM = 5.0
#: Emergency resources: code -> (Chinese, English).
RESOURCE_KINDS: dict[str, tuple[str, str]] = {
    "shelter": ("避难场所", "Shelter"),
    "rescue_team": ("救援队伍", "Rescue team"),
    "depot": ("物资储备点", "Supply depot"),
}


def level_name(level: int, lang: str) -> str:
    """红色预警 / Red warning."""
    _, zh, en, _ = WARNING_LEVELS[int(level)]
    return f"{zh}预警" if lang == "zh" else f"{en} warning"


def kind_name(kind: str, lang: str, names: dict[str, tuple[str, str]] = WARNING_KINDS) -> str:
    zh, en = names.get(kind, (kind, kind))
    return en if lang == "en" else zh
