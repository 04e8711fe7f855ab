"""The demo city's key tasks (重点工作督办) of the as-of year and their monthly progress."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from data.demo.city import PLANTED_KEY_TASKS, SOURCE, Calendar, _add_months

#: The year's key tasks, numbered in this order: (title_zh, title_en, lead department,
#: district or None for city-wide, start month, due month), months of the as-of year.
_KEY_TASKS = [
    # digital government
    ("推进“一网通办”事项全覆盖", "Bring every service onto one-network handling",
     "D16", None, 1, 6),
    ("建设城市运行管理中心", "Build the city operations management centre", "D15", None, 2, 12),
    ("高频事项电子证照应用率达到95%", "Use electronic licences in 95% of high-frequency services",
     "D16", None, 1, 9),
    ("“掌上办”事项占比达到95%", "Make 95% of services doable on a phone", "D15", None, 3, 10),
    ("政务数据共享交换平台升级", "Upgrade the government data-sharing and exchange platform",
     "D15", None, 1, 7),
    ("公共视频资源接入市级平台共享率达到80%", "Share 80% of public video with the city platform",
     "D02", None, 3, 11),
    ("12345政务服务便民热线归并优化", "Merge and streamline the 12345 service hotlines",
     "D16", None, 2, 8),
    ("非现场监管资源对接率达到50%", "Link up 50% of non-site supervision resources",
     "D06", None, 2, 8),
    # grid governance and public safety
    ("网格化服务管理“多网合一”", "Merge every grid into one for service and management",
     "D21", None, 1, 6),
    ("城市管理掌上执法率达到90%", "Mobile law enforcement in 90% of urban-management cases",
     "D01", None, 3, 10),
    ("“双随机、一公开”监管全覆盖", "Double-random, one-public inspections everywhere",
     "D06", None, 1, 12),
    ("中心城区老旧小区改造开工200个", "Start renovating 200 old residential compounds",
     "D05", "360702", 3, 11),
    ("安全生产专项整治", "Work-safety special rectification", "D03", None, 1, 12),
    ("防汛抗旱指挥调度系统建设", "Build the flood and drought command system", "D11", None, 1, 5),
    # economy
    ("赣南脐橙产业数字化", "Digitalise the Gannan navel-orange industry", "D18", "360722", 2, 11),
    ("中国稀金谷稀土新材料产业链招商", "Rare-earth materials investment at China Rare Earth Valley",
     "D17", "360702", 1, 12),
    ("南康家具产业智能制造升级", "Smart manufacturing for the Nankang furniture industry",
     "D17", "360703", 2, 10),
    ("赣州国际陆港扩能提升", "Expand the Ganzhou International Inland Port", "D19", "360703", 3, 12),
    ("企业开办一个工作日内办结", "Open a business within one working day", "D14", None, 1, 6),
    ("省市重点项目完成年度投资计划", "Complete the year's investment plan for key projects",
     "D14", None, 1, 12),
    ("新建5G基站3000个", "Build 3,000 new 5G base stations", "D17", None, 1, 9),
    ("龙南经开区电子信息产业集群建设", "Grow the Longnan electronic-information cluster",
     "D17", "360783", 2, 12),
    # ecology
    ("章江水环境综合治理", "Clean up the Zhang River", "D04", "360702", 2, 12),
    ("贡江国考断面水质稳定达标", "Keep the Gong River's national sections at standard",
     "D04", "360731", 1, 12),
    ("稀土矿山生态修复", "Restore abandoned rare-earth mines", "D20", "360728", 3, 12),
    ("中心城区雨污分流管网改造", "Separate storm and foul sewers in the central city",
     "D05", None, 4, 12),
    ("生活垃圾分类示范片区建设", "Build household waste-sorting demonstration areas",
     "D01", None, 3, 10),
    ("东江源水土保持综合治理", "Soil and water conservation at the Dongjiang source",
     "D11", "360734", 3, 11),
]

#: Progress notes (zh, en) by the progress reached: (below this %, note).
_PROGRESS_NOTES = [
    (1, "开展前期准备", "Preparatory work"),
    (30, "实施方案印发，启动建设", "Plan issued, work started"),
    (70, "按计划推进实施", "Work under way"),
    (100, "主体工作完成，推进收尾", "Main work done, finishing"),
    (101, "已完成并通过验收", "Completed and accepted"),
]
_NOTE_OVERDUE = ("逾期未完成，已发督办函", "Overdue: supervision letter issued")
_NOTE_BEHIND = ("进度滞后，已提醒牵头单位", "Behind plan: lead department reminded")


#: Who co-operates (配合单位) on a task, by its lead department: the departments a ledger
#: names beside it most often.
_CO_DEPARTMENTS = {
    "D01": ("D05", "D13"), "D02": ("D15", "D01"), "D03": ("D06", "D13"),
    "D04": ("D05", "D11", "D13"), "D05": ("D01", "D14"), "D06": ("D16", "D15"),
    "D11": ("D03", "D20"), "D14": ("D19", "D17"), "D15": ("D16", "D02", "D21"),
    "D16": ("D15", "D06"), "D17": ("D14", "D15"), "D18": ("D19", "D17"),
    "D19": ("D12", "D14"), "D20": ("D04", "D11"), "D21": ("D07", "D13", "D15"),
}
#: A task's milestones (节点): (share of the plan's span by its due date, zh, en).
_MILESTONES = (
    (0.25, "印发实施方案，明确责任分工", "Plan issued, responsibilities assigned"),
    (0.5, "完成招标采购，全面启动实施", "Procurement done, work under way"),
    (0.75, "主体工作完成", "Main work done"),
    (1.0, "通过验收，形成长效机制", "Accepted, made routine"),
)
#: The responsible leaders (责任领导) of the demo's ledger, by lead department's domain.
_LEADERS = ("常务副市长", "分管副市长（政务）", "分管副市长（城建）", "分管副市长（经济）",
            "分管副市长（生态）")


def key_task_ledger(tasks: pd.DataFrame, progress: pd.DataFrame, now: dt.date
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the demo ledger's milestones and departments (lead and co-operating) of
    ``tasks``, for ``key_task_milestones`` and ``key_task_departments``: four milestones
    spread over each task's months, done once the task's progress reached their share,
    behind when due by ``now`` and not done."""
    latest = progress.sort_values("period").groupby("task_code")["progress"].last()
    milestones, departments = [], []
    for task in tasks.itertuples():
        months = _months_between(task.start_month, task.due_month) + 1
        reached = float(latest.get(task.code, 0.0))
        for seq, (share, zh, en) in enumerate(_MILESTONES, start=1):
            month = _add_months(task.start_month, max(0, round(share * months) - 1))
            due = _add_months(month, 1) - dt.timedelta(days=1)
            done = reached >= 100 * share
            milestones.append({"task_code": task.code, "seq": seq, "name_zh": zh,
                               "name_en": en, "due_date": due, "done": done,
                               "behind": not done and due < now,
                               "status_text": "已完成" if done else (
                                   "滞后" if due < now else "推进中")})
        departments.append({"task_code": task.code,
                            "department_code": task.lead_department_code, "role": "lead"})
        departments.extend({"task_code": task.code, "department_code": code, "role": "co"}
                           for code in _CO_DEPARTMENTS.get(task.lead_department_code, ())
                           if code != task.lead_department_code)
    return pd.DataFrame(milestones), pd.DataFrame(departments)


def key_task_code(year: int, number: int) -> str:
    """Return the code of the year's key task ``number`` (1-based): KT2026-03."""
    return f"KT{year}-{number:02d}"


def key_tasks(cal: Calendar, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the as-of year's key tasks and their monthly cumulative progress (whole %,
    one row per month from the start month to the as-of month), ready for ``key_tasks``
    and ``key_task_progress``.

    Most tasks follow their plan closely and reach 100% at or a month before the due month;
    the ones in PLANTED_KEY_TASKS stall (overdue) or trail the plan (at risk). Early in the
    year a planted task's months move so the plant holds whenever the city is built: an
    overdue task falls due the month before the as-of month, an at-risk one has been running
    for at least three months and is not yet due (either may then start in the year before).
    """
    now_month = cal.now.date().replace(day=1)
    year = now_month.year
    tasks, progress = [], []
    for number, (zh, en, dept, district, first, due) in enumerate(_KEY_TASKS, start=1):
        code = key_task_code(year, number)
        start, end = dt.date(year, first, 1), dt.date(year, due, 1)
        planted = PLANTED_KEY_TASKS.get(number)
        if planted == "overdue" and end >= now_month:
            end = _add_months(now_month, -1)
            start = min(start, _add_months(end, -3))
        elif planted == "at_risk":
            end = max(end, now_month)
            start = min(start, _add_months(now_month, -2))
        tasks.append({"code": code, "title_zh": zh, "title_en": en,
                      "lead_department_code": dept, "district_code": district,
                      "start_month": start, "due_month": end,
                      "leader": _LEADERS[(number - 1) * len(_LEADERS) // len(_KEY_TASKS)]})
        total = _months_between(start, end) + 1
        n = _months_between(start, now_month) + 1     # months reported so far
        if n <= 0:
            continue
        months = np.arange(1, n + 1)
        pct = _progress_path(rng, months, total, planted)
        plan = 100.0 * months / total
        for k, p in zip(months, pct):
            period = _add_months(start, int(k) - 1)
            note = next((zh_, en_) for limit, zh_, en_ in _PROGRESS_NOTES if p < limit)
            if p < 100 and period > end:
                note = _NOTE_OVERDUE
            elif p < plan[k - 1] - 20:
                note = _NOTE_BEHIND
            progress.append({"task_code": code, "period": period, "progress": float(p),
                             "note_zh": note[0], "note_en": note[1]})
    as_of = pd.Timestamp(cal.now)
    tasks = pd.DataFrame(tasks).assign(source=SOURCE, as_of=as_of)
    return tasks, pd.DataFrame(progress)


def _months_between(a: dt.date, b: dt.date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def _progress_path(rng: np.random.Generator, months: np.ndarray, total: int,
                   planted: str | None) -> np.ndarray:
    """Cumulative whole-% progress after each of ``months`` (1 = the start month) of a task
    planned over ``total`` months: monotone, 0..100."""
    plan = 100.0 * months / total
    if planted == "at_risk":
        # trail the plan by 25-35 points at the as-of month, having started slowly
        target = max(0.0, plan[-1] - rng.uniform(25, 35))
        path = target * (months / months[-1]) ** rng.uniform(1.0, 1.4)
        return np.maximum.accumulate(np.floor(path))
    if planted == "overdue":
        # on plan, then stuck at 60-90% from some month on
        stall = np.floor(rng.uniform(60, 90))
        return np.minimum(np.floor(plan), stall)
    # finish at the due month (or, one in four, a month early); a little noise, never far
    # behind the plan
    finish = max(1, total - int(rng.random() < 0.25))
    path = 100.0 * np.minimum(months / finish, 1.0) ** rng.uniform(0.85, 1.2)
    path = np.round(path + rng.normal(0, 1.5, len(months)))
    path = np.clip(np.maximum(path, np.ceil(plan - 10)), 0, 99)
    path = np.maximum.accumulate(path)
    return np.where(months >= finish, 100.0, path)
