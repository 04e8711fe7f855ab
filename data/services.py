"""Government service cases (政务服务办件): the channels and ratings a case may have, and the
legal limit's due day counted in working days.

A case's legal limit (法定办结时限) is in working days (工作日) counted from the day after it
was accepted (the acceptance day itself does not count); the case is within the limit when it
is completed on or before the limit's last working day. Working days are Monday to Friday:
public holidays and the weekend days worked in exchange (调休) are not known to the store.
A limit of 0 is a case done at once (即办件): due the day it was accepted.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

#: The channels a case comes in through: code -> (Chinese, English).
CHANNELS: dict[str, tuple[str, str]] = {
    "online": ("网上办理", "Online"),
    "mobile": ("掌上办理", "On a phone"),
    "window": ("窗口办理", "At a counter"),
    "kiosk": ("自助终端", "Self-service terminal"),
}
#: What offices write for each channel (compared after NFKC, case-folded, without spaces).
CHANNEL_WORDS: dict[str, tuple[str, ...]] = {
    "online": ("网上办理", "网办", "全程网办", "网上", "网上申报", "在线", "在线办理", "线上",
               "政务服务网", "online", "web"),
    "mobile": ("掌上办理", "掌上", "掌办", "手机", "手机端", "移动端", "app", "小程序",
               "赣服通", "mobile", "phone"),
    "window": ("窗口办理", "窗口", "现场", "现场办理", "大厅", "线下", "综合窗口", "counter",
               "window", "offline"),
    "kiosk": ("自助终端", "自助", "自助机", "自助办理", "一体机", "kiosk", "selfservice"),
}
#: The rating scale stored (the three kinds of 好差评): code -> (Chinese, English).
RATINGS: dict[str, tuple[str, str]] = {
    "good": ("好评", "Good"),
    "fair": ("中评", "Fair"),
    "bad": ("差评", "Bad"),
}
#: What a rating cell may say: the three kinds, and the five grades of the national 好差评
#: system (非常满意 and 满意 are 好评, 基本满意 中评, 不满意 and 非常不满意 差评).
RATING_WORDS: dict[str, tuple[str, ...]] = {
    "good": ("好评", "非常满意", "满意", "good"),
    "fair": ("中评", "基本满意", "一般", "fair", "neutral"),
    "bad": ("差评", "不满意", "非常不满意", "bad", "poor"),
}
#: A cell saying the case was not rated.
NOT_RATED = ("未评价", "无评价", "未评", "无", "notrated", "none")
#: Rectification of a 差评 (差评整改): done, not done, or a cell that says it does not apply.
RECTIFIED_WORDS = ("已整改", "整改完成", "已完成", "完成", "是", "yes", "y", "true", "1")
NOT_RECTIFIED_WORDS = ("未整改", "整改中", "未完成", "否", "no", "n", "false", "0")
NOT_APPLICABLE_WORDS = ("无需整改", "不涉及", "不适用", "无", "na")


def due_dates(accepted: np.ndarray, limit_days: np.ndarray) -> np.ndarray:
    """Return each case's due day (datetime64[D]): the ``limit_days``-th working day after
    its acceptance day, or the acceptance day itself for a limit of 0. ``accepted`` holds
    days (datetime64[D])."""
    accepted = np.asarray(accepted, dtype="datetime64[D]")
    limit = np.asarray(limit_days, dtype=np.int64)
    # roll backward: a Saturday's acceptance counts from the Friday, whose next working day
    # is the Monday, the first working day after the Saturday
    due = np.busday_offset(accepted, limit, roll="backward")
    return np.where(limit == 0, accepted, due)


def working_days_taken(accepted: np.ndarray, completed: np.ndarray) -> np.ndarray:
    """Return the working days from the day after acceptance through the completion day
    (0 for a case completed on the day it was accepted). Days as datetime64[D]."""
    one = np.timedelta64(1, "D")
    return np.busday_count(np.asarray(accepted, dtype="datetime64[D]") + one,
                           np.asarray(completed, dtype="datetime64[D]") + one)


def due_date(accepted: dt.date, limit_days: int) -> dt.date:
    """The due day of one case (``due_dates`` for one)."""
    day = due_dates(np.array([accepted], dtype="datetime64[D]"), np.array([limit_days]))[0]
    return day.astype(dt.date)
