"""Interface text in Chinese (default) and English, and number formatting per language.

Chinese numbers follow Chinese style: 万 and 亿 rather than thousands separators.
"""

from __future__ import annotations

import math

TEXT: dict[str, tuple[str, str]] = {
    "title": ("城市大脑", "City Brain"),
    "nav_overview": ("运行总览", "Overview"),
    "nav_grid": ("网格治理", "Grid governance"),
    "nav_events": ("事件明细", "Event records"),
    "nav_environment": ("生态环境", "Environment"),
    "nav_economy": ("经济运行", "Economy"),
    "nav_report": ("月报", "Monthly report"),
    "nav_wall": ("大屏", "Wall"),
    "nav_data": ("数据管理", "Data"),
    "data_load": ("导入数据", "Load data"),
    "data_kind": ("数据类型", "Kind"),
    "data_sheet": ("工作表（可选）", "Sheet (optional)"),
    "data_source_crs": ("坐标系（边界、点位）", "Datum (boundaries, points)"),
    "data_drop": ("拖放文件到这里，或点击选择文件（不超过 {mb} MB，更大的文件请用 citybrain load）",
                  "Drop a file here, or click to choose one (up to {mb} MB; larger files: "
                  "citybrain load)"),
    "data_loaded": ("已导入 {file}：{rows}", "Loaded {file}: {rows}"),
    "data_failed": ("{file} 未导入，现有数据未改变：", "{file} was not loaded; the data served is unchanged:"),
    "data_feeds": ("数据集与时效", "Datasets and freshness"),
    "feed_name": ("数据集", "Dataset"),
    "feed_source": ("来源", "Source"),
    "feed_frequency": ("频度", "Frequency"),
    # a feed's frequency (data/freshness.py), as the data screen's table shows it
    "freq_hourly": ("逐小时", "hourly"), "freq_daily": ("逐日", "daily"),
    "freq_event": ("逐件", "per event"), "freq_monthly": ("月度", "monthly"),
    "freq_quarterly": ("季度", "quarterly"), "freq_yearly": ("年度", "yearly"),
    "feed_as_of": ("数据截至", "Data as of"),
    "feed_loaded": ("导入时间", "Loaded"),
    "feed_rows": ("行数", "Rows"),
    "feed_status": ("状态", "Status"),
    "feed_ok": ("正常", "current"),
    "kind_catalogue": ("指标目录", "Indicator catalogue"),
    "kind_districts": ("区县边界", "District boundaries"),
    "kind_townships": ("乡镇（街道）边界", "Township boundaries"),
    "kind_grid_cells": ("网格边界", "Grid-cell boundaries"),
    "kind_departments": ("处置部门", "Departments"),
    "kind_categories": ("事件分类（大类/小类）", "Event categories (two levels)"),
    "kind_channels": ("事件来源渠道", "Event channels"),
    "kind_stations": ("空气监测站点", "Air stations"),
    "kind_sections": ("水质断面（点位）", "Water sections (sites)"),
    "kind_indicators": ("统计指标", "Indicators"),
    "kind_air": ("空气监测（小时）", "Air readings (hourly)"),
    "kind_water": ("水质断面（月）", "Water sections (monthly)"),
    "kind_events": ("网格事件", "Grid events"),
    "kind_targets": ("目标值", "Targets"),
    "kind_key_tasks": ("重点工作督办台账", "Key-task ledger"),
    "data_targets": ("执行中的目标值（{year}年）", "Targets in force ({year})"),
    "data_targets_other_years": ("目标值文件另有 {years} 年的目标。",
                                 "The targets files also set targets for {years}."),
    "target_indicator": ("指标", "Indicator"),
    "target_where": ("范围", "Applies to"),
    "target_value": ("目标值", "Target"),
    "target_alert": ("预警线", "Alert line"),
    "target_source": ("来源", "Source"),
    "target_city": ("全市", "City-wide"),
    "target_from_built_in": ("系统内置", "Built in"),
    "target_from_catalogue": ("指标目录文件 {file}", "Catalogue file {file}"),
    "target_from_targets": ("目标值文件 {file}", "Targets file {file}"),
    "target_from_demo": ("演示城市的规划（生成）", "The demo city's plan (generated)"),
    "own_target": ("本区县目标", "District's own target"),
    "not_found": ("没有这个页面", "No such screen"),
    "no_access": ("{role}角色无权查看此页面", "The {role} role may not open this screen"),
    "sign_out": ("退出", "Sign out"),
    "data_scope_refused": ("导入会改动全市数据，限定区县的账户不能导入；请联系管理员。",
                           "A load changes the whole city's data: an account limited to some "
                           "districts cannot load files. Ask an administrator."),
    "role_leader": ("领导", "leader"),
    "role_analyst": ("分析员", "analyst"),
    "role_staff": ("工作人员", "staff"),
    "role_admin": ("管理员", "admin"),
    "source": ("数据来源", "Source"),
    # --- the monthly report ---
    "report_title": ("城市运行月报", "Monthly operations report"),
    "report_month": ("报告月份", "Month"),
    "report_no_sections": ("请至少勾选一个部分：报告按勾选的部分生成。",
                           "Tick at least one section: the report holds the sections ticked."),
    "report_building": ("正在生成{fmt}，已用{s}秒…", "Building the {fmt}: {s} s…"),
    "report_built": ("{fmt}已生成（{s}秒）", "{fmt} ready ({s} s)"),
    "report_failed": ("未能生成：{msg}", "Not built: {msg}"),
    "report_issuer": ("{city}城市运行管理中心", "{city} City Operations Centre"),
    "report_issue": ("{year}年第{n}期", "No. {n}, {year}"),
    "report_issued": ("{day} 印发", "issued {day}"),
    "report_contents": ("目录", "Contents"),
    "report_page": ("第 {page} 页 / 共 {pages} 页", "Page {page} of {pages}"),
    "report_summary": ("综述", "Summary"),
    "report_figures": ("图表", "Figures"),
    "report_figure": ("图", "Figure"),
    "report_kpis": ("主要指标完成情况", "Key indicators against targets"),
    "report_indicator": ("指标", "Indicator"),
    "report_unit": ("单位", "Unit"),
    "report_value": ("本期", "This period"),
    "report_period": ("期别", "Period"),
    "report_level": ("总量", "Level"),
    "report_level_unit": ("总量单位", "Level unit"),
    "report_met": ("是否达标", "Met"),
    "report_mom": ("较上期", "vs period before"),
    "report_yoy": ("较上年同期", "vs a year ago"),
    "report_rank": ("排名", "Rank"),
    "report_district": ("区县", "District"),
    "report_alerts": ("本月异常与预警", "Anomalies and alerts this month"),
    "report_what": ("事项", "What"),
    "report_threshold": ("阈值", "Threshold"),
    "report_since": ("起始", "Since"),
    "section_kpis": ("主要指标", "Key indicators"),
    "section_economy": ("经济运行", "Economy"),
    "section_environment": ("生态环境", "Environment"),
    "section_grid": ("网格治理", "Grid governance"),
    "section_alerts": ("异常预警", "Alerts"),
    "download_chart": ("下载图表", "Download chart"),
    "grain_areas": ("下级区域", "Sub-areas"),
    "grain_cells": ("全部网格", "All grid cells"),
    "all_cells": ("全部网格", "all grid cells"),
    # --- screens: grid governance, event records, environment, economy ---
    "department": ("部门", "Department"),
    "departments": ("部门办理情况（可排序）", "Departments (sortable)"),
    "events_n": ("事件数", "Events"),
    "closure_rate_pct": ("办结率 %", "Closure %"),
    "on_time_rate_pct": ("按期办结率 %", "On time %"),
    "satisfaction_pct": ("满意率 %", "Satisfied %"),
    "mean_hours": ("平均办理 小时", "Mean hours"),
    "overdue": ("超期未办结事件", "Overdue open events"),
    "event_id": ("事件编号", "Event"),
    "where": ("位置", "Where"),
    "category": ("类别", "Category"),
    "hours_overdue": ("超期 小时", "Hours overdue"),
    "filter_hint": ("点表头排序；在表头下方输入筛选，漏斗按钮可选大于、介于等条件；区县、类别等列输入名称即可",
                    "Click a header to sort; type under the headers to filter (the funnel "
                    "offers greater than, between...); districts, categories and the like "
                    "by name"),
    "download_csv": ("下载 CSV", "Download CSV"),
    "download_xlsx": ("下载 Excel", "Download Excel"),
    "events_matching": ("共 {n} 条事件", "{n} events"),
    "filter_unreadable": ("无法识别的筛选条件", "Unreadable filter"),
    "col_event_id": ("事件编号", "Event"),
    "col_reported_at": ("上报时间", "Reported"),
    "col_district_code": ("区县", "District"),
    "col_township_code": ("乡镇街道", "Township"),
    "col_grid_code": ("网格", "Grid cell"),
    "col_category": ("类别", "Category"),
    "col_subcategory": ("小类", "Subcategory"),
    "col_channel": ("来源", "Source"),
    "col_department_code": ("处置部门", "Department"),
    "col_status": ("状态", "Status"),
    "col_deadline_at": ("办理时限", "Deadline"),
    "col_closed_at": ("结案时间", "Closed"),
    "col_returned_count": ("退回次数", "Returns"),
    "col_satisfaction": ("满意度", "Rating"),
    "col_reporter_name": ("上报人", "Reporter"),
    "col_reporter_phone": ("联系电话", "Phone"),
    # a download's columns beyond the table's (it loads back), and a named column's codes
    "col_accepted_at": ("受理时间", "Accepted"),
    "col_dispatched_at": ("派遣时间", "Dispatched"),
    "col_handled_at": ("处置时间", "Handled"),
    "col_verified_at": ("核查时间", "Verified"),
    "col_lon": ("经度", "Longitude"),
    "col_lat": ("纬度", "Latitude"),
    "col_code": ("{name}代码", "{name} code"),
    # what a download says about itself (its first line, its 说明 sheet)
    "about_sheet": ("说明", "About"),
    "about_item": ("项目", "Item"),
    "about_text": ("内容", "Value"),
    "about_area": ("区域", "Area"),
    "about_period": ("时间", "Period"),
    "about_table_filters": ("表格筛选", "Table filters"),
    "about_none": ("无", "none"),
    "about_sort": ("排序", "Sorted by"),
    "about_ascending": ("升序", "ascending"),
    "about_descending": ("降序", "descending"),
    "about_rows": ("行数", "Rows"),
    "about_as_of": ("数据截至", "Data as of"),
    "about_made": ("导出时间", "Exported at"),
    "about_source": ("数据来源", "Source"),
    "about_tasks_filters": ("部门与状态", "Department and status"),
    "about_judged": ("评估截至", "Judged at"),
    "about_report": ("报告", "Report"),
    "about_issue": ("发布", "Issued"),
    "yes": ("是", "Yes"),
    "no": ("否", "No"),
    "pollutant": ("污染物", "Pollutant"),
    "compare_with": ("对比区县", "Compare with"),
    "shares": ("各区县占全市比重", "Share of the city"),
    "shares_totals_only": ("比重仅适用于总量指标", "Shares exist for totals only"),
    "compare": ("区县对比", "Two districts"),
    "compare_hint": ("请选择一个区县和对比区县", "Pick a district and one to compare with"),
    # --- the wall (/wall) ---
    "wall_title": ("运行指挥大屏", "Operations wall"),
    "scene_overview": ("城市运行总览", "City at a glance"),
    "scene_economy": ("经济运行", "Economy"),
    "scene_environment": ("生态环境", "Environment"),
    "scene_grid": ("网格化治理", "Grid governance"),
    "scene_services": ("政务服务", "Government services"),
    "scene_tasks": ("重点工作督办", "Key-task supervision"),
    "wall_window": ("近30天", "last 30 days"),
    "wall_alerts": ("实时告警", "Live alerts"),
    "wall_no_alerts": ("当前无告警", "No alerts now"),
    "wall_alert": ("告警", "ALERT"),
    "wall_alert_line": ("{where} {what} {value}（{basis}），阈值 {threshold}，自 {since} 起",
                        "{where}: {what} {value} ({basis}); threshold {threshold}, "
                        "since {since}"),
    "wall_more_alerts": ("共{n}条", "{n} in all"),
    "wall_alert_position": ("第{i}/{n}条", "{i} of {n}"),
    "wall_alert_page": ("第{i}/{n}页", "page {i} of {n}"),
    # an alert's window and the events its value rests on (data/alerts.py)
    "alert_window_days": ("近{n}天", "last {n} days"),
    "alert_window_to": ("{month}（截至{day}日）", "{month} (days 1–{day})"),
    "alert_basis": ("{window}，{count}", "{window}, {count}"),
    "alert_events": ("{n}件", "{n} events"),
    "alert_cases": ("{n}件", "{n} cases"),
    "report_events": ("事件数", "Events"),
    "wall_more_tasks": ("另有{n}项未列出", "{n} more not listed"),
    "wall_no_tasks": ("尚未加载重点工作督办台账（citybrain load key_tasks）",
                      "No key-task ledger loaded yet (citybrain load key_tasks)"),
    "wall_hot_cells": ("近3天事件最多的网格", "Busiest grid cells, last 3 days"),
    "wall_cell": ("网格", "Grid cell"),
    "wall_last3": ("近3天", "Last 3 days"),
    "wall_usual": ("常态", "Usual"),
    "wall_surge": ("激增", "SURGE"),
    "wall_services": ("政务服务指标完成情况", "Government services against targets"),
    "wall_notice": ("已忽略：{items}", "Ignored: {items}"),
    "task_title": ("重点工作", "Task"),
    "task_lead": ("牵头单位", "Lead"),
    "task_progress": ("进度", "Progress"),
    "task_due": ("完成时限", "Due"),
    "task_status": ("状态", "Status"),
    "task_total": ("重点工作总数", "Key tasks"),
    "task_done": ("已完成", "Done"),
    "task_on_track": ("正常推进", "On track"),
    "task_at_risk": ("进度滞后", "At risk"),
    "task_overdue": ("逾期未完成", "Overdue"),
    # --- the key-task screen (/tasks) and the report's section ---
    "nav_tasks": ("重点工作", "Key tasks"),
    "tasks_by_department": ("重点工作（按牵头单位、状态）", "Key tasks by lead department and status"),
    "tasks_all_departments": ("全部牵头单位", "All lead departments"),
    "tasks_all_statuses": ("全部状态", "All statuses"),
    "tasks_count": ("{n} 项重点工作 · {m} 个待完成节点", "{n} key tasks · {m} open milestones"),
    "tasks_hint": ("点选一项查看节点与进展；点部门柱条按部门筛选",
                   "Select a task: its milestones and progress; click a bar: that department"),
    "tasks_milestones": ("待完成节点（逾期、滞后在前）", "Open milestones, overdue and at risk first"),
    "tasks_table": ("重点工作台账", "Key-task ledger"),
    "tasks_timeline": ("节点时间轴与进度", "Milestones and progress"),
    "tasks_pick": ("在台账或节点表中选择一项重点工作", "Select a task in the ledger or the milestones"),
    "task_code": ("编号", "Code"),
    "task_district": ("区县", "District"),
    "task_leader": ("责任领导", "Leader"),
    "task_co": ("配合单位", "Co-operating"),
    "task_span": ("起止月份", "Months"),
    "task_start": ("开始月份", "Start"),
    "task_planned": ("计划", "plan"),
    "task_progress_pct": ("进度 %", "Progress %"),
    "task_planned_pct": ("计划进度 %", "Plan %"),
    "task_notes": ("月度进展", "Monthly progress"),
    "task_no_notes": ("尚无进展报告", "No progress reported yet"),
    "milestone": ("节点", "Milestone"),
    "milestone_due": ("节点时限", "Due"),
    "ms_overdue": ("逾期", "Overdue"),
    "ms_at_risk": ("滞后风险", "At risk"),
    "ms_open": ("推进中", "Open"),
    "ms_done": ("已完成", "Done"),
    "ms_ledger_status": ("台账状态", "Ledger status"),
    "timeline_as_of": ("截至", "as of"),
    "section_tasks": ("重点工作", "Key tasks"),
    "report_tasks": ("重点工作完成情况（按牵头单位）", "Key tasks by lead department"),
    "report_tasks_total": ("重点工作", "Tasks"),
    "report_overdue_milestones": ("逾期节点", "Overdue milestones"),
    "report_days_overdue": ("逾期天数", "Days overdue"),
    "report_total": ("合计", "Total"),
    "mr_tasks": ("{when}，{scope}{n}项重点工作中已完成{done}项、正常推进{on_track}项、"
                 "进度滞后{at_risk}项、逾期未完成{overdue}项，逾期节点{late}个{worst}",
                 "{when}, of the {n} key tasks {scope}, {done} were done, {on_track} on "
                 "track, {at_risk} at risk and {overdue} overdue, with {late} milestone{s} "
                 "overdue{worst}"),
    "mr_tasks_worst": ("，其中{department}最多（{k}个）", ", {department} having the most ({k})"),
    "mr_tasks_none": ("{scope}尚无重点工作督办台账", "no key-task ledger has been loaded {scope}"),
    "stale": ("数据过期", "stale"),
    "demo": ("演示数据", "DEMO DATA"),
    "demo_hint": ("本屏所示数值均为生成的演示数据", "All values on this screen are generated demo data"),
    "as_of": ("数据截至", "Data as of"),
    "map_indicator": ("地图指标", "Map indicator"),
    "filters": ("筛选", "Filters"),
    "clear": ("清除筛选", "Clear filters"),
    "whole_city": ("全市", "Whole city"),
    "to": ("至", "to"),
    "target": ("目标", "Target"),
    "no_data": ("暂无数据", "No data"),
    "yoy": ("同比", "YoY"),
    "ytd": ("累计", "year to date"),
    "points": ("个百分点", "pts"),
    "air": ("空气质量指数（日）", "Air quality index (daily)"),
    "events_status": ("网格事件（按月、按状态）", "Grid events by month and status"),
    "events_category": ("网格事件类别", "Grid events by category"),
    "events_subcategory": ("{name} · 小类（点击返回大类）",
                           "{name}: subcategories (click: back)"),
    "no_subcategory": ("未分小类", "No subcategory"),
    "ranking": ("区县排名", "District ranking"),
    # the ranking follows the map's drill: a district's townships, a township's grid cells
    "ranking_townships": ("乡镇排名", "Township ranking"),
    "ranking_grid_cells": ("网格排名", "Grid-cell ranking"),
    "ranking_no_townships": ("按区县；本指标无乡镇数据",
                             "By district: no township figures for this indicator"),
    "ranking_no_grid_cells": ("按区县；本指标无网格数据",
                              "By district: no grid-cell figures for this indicator"),
    "ranking_worst": ("最差{shown}个（共{total}个）", "Worst {shown} of {total}"),
    "ranking_more_without_data": ("另有{n}个暂无数据", "{n} more without data"),
    "ranking_few": ("浅色：不足{n}件，仅供参考", "Pale: fewer than {n}, indicative"),
    # what a rate rests on, beside it: 86.2%（214件）
    "with_count": ("{value}（{n}件）", "{value} (n={n})"),
    "count_n": ("{n}件", "n={n}"),
    "few_events": ("不足{n}件，仅供参考", "fewer than {n}: indicative only"),
    "kpi_district_figure": ("区县", "district"),
    "kpi_district_figure_hint": ("所在区县的数据：本指标无乡镇、网格数据",
                                 "The district's figure: none below the districts"),
    "select_hint": ("在趋势图上拖选时间段以筛选", "Drag across a trend chart to pick a time range"),
    "closure": ("办结", "closed"),
    "language": ("English", "中文"),
    "notice_dropped": ("链接中的参数无效，已忽略：", "Ignored invalid link parameters: "),
    "value": ("数值", "Value"),
    "layers": ("图层", "Layers"),
    "picked": ("框选 {n} 个区域", "{n} areas picked"),
    "play": ("播放/暂停：逐步推移时间窗口", "Play/pause: step the time window"),
    "quick_range": ("时段", "Period"),
    "range_this_month": ("本月", "This month"),
    "range_last_month": ("上月", "Last month"),
    "range_last_30_days": ("近30天", "Last 30 days"),
    "range_this_quarter": ("本季度", "This quarter"),
    "range_this_year": ("本年", "This year"),
    "range_same_period_last_year": ("上年同期", "Same period last year"),
    "step_day": ("按日", "Daily"),
    "step_week": ("按周", "Weekly"),
    "step_month": ("按月", "Monthly"),
    "layer_stations": ("空气站（AQI）", "Air stations (AQI)"),
    "layer_water": ("水质断面", "Water sections"),
    "layer_events": ("事件密度", "Event density"),
    "legend_events": ("事件密度：件数越多越红", "Event density: redder means more events"),
    "area_events_only": ("乡镇及网格仅有事件指标", "below districts: event metrics only"),
    "domain_economy": ("经济运行", "Economy"),
    "domain_environment": ("生态环境", "Environment"),
    "domain_grid": ("网格治理", "Grid governance"),
    "domain_services": ("政务服务", "Government services"),
    # --- environment screen (figures) ---
    "aqi_calendar": ("空气质量日历", "Daily AQI calendar"),
    # comma-separated, Monday first (the calendar's rows)
    "env_weekdays": ("周一,周二,周三,周四,周五,周六,周日", "Mon,Tue,Wed,Thu,Fri,Sat,Sun"),
    "env_by_station": ("各站点日均值", "daily, by station"),
    "station_trends": ("各站点污染物日均值", "Pollutants by station, daily"),
    "env_good_limit": ("优良上限", "Good-air limit"),
    "station_ranking": ("站点空气质量排名（平均AQI）", "Stations by mean AQI"),
    "env_worst_day": ("最差日", "worst day"),
    "water_by_month": ("水质断面类别（按月）", "Water sections by class, monthly"),
    "env_sections": ("个断面", "sections"),
    # --- economy screen (figures) ---
    "econ_by_district": ("各区县逐月", "by district, monthly"),
    "econ_mom": ("环比", "MoM"),
    "econ_qoq": ("环比（季度）", "QoQ"),
    "econ_yoy_mom": ("同比与环比", "YoY and MoM"),
    # --- grid governance screen (figures) ---
    "funnel": ("事件办理流程", "Event life cycle"),
    "handling": ("办理时长分布（对照时限）", "Handling time against deadlines"),
    "matrix": ("事件类别 × 来源", "Event category × source"),
    "of_reported": ("占上报", "of reported"),
    "returned_events": ("退回重办", "Returned for rework"),
    "hours": ("小时", "hours"),
    "closed_on_time": ("按期办结", "Closed on time"),
    "closed_late": ("超期办结", "Closed late"),
    "deadline_median": ("办理时限中位数 {h} 小时", "Median deadline {h} h"),
}

# --- monthly report ---
# The words of report/monthly.py (section names are above): alert names, summary sentence
# templates ({placeholders} filled with the report's own numbers), captions.
TEXT.update({
    "mr_selected_districts": ("所选区县", "the selected districts"),
    "mr_growth": ("同比增速", "YoY growth"),
    "mr_growth_of": ("{name}增速", "{name} growth"),
    "mr_alert_aqi": ("重度及以上污染天数", "Days of heavy air pollution or worse"),
    "mr_alert_surge": ("网格事件激增", "Surge of grid events"),
    "mr_days": ("天", "days"),
    "mr_events": ("件", "events"),
    "mr_opening": ("{period}{scope}运行月报，包括{sections}", "monthly report for {scope}, "
                   "{period}: {sections}"),
    "mr_up": ("同比增长{v}%", "up {v}% year on year"),
    "mr_down": ("同比下降{v}%", "down {v}% year on year"),
    "mr_targets_all": ("{period}，{scope}{n}项重点指标全部达到目标",
                       "in {period}, all {n} key indicators of {scope} met their targets"),
    "mr_targets_some": ("{period}，{scope}{n}项重点指标中{met}项达到目标，未达目标的是{items}",
                        "in {period}, {met} of the {n} key indicators of {scope} met their "
                        "targets; missed: {items}"),
    "mr_missed_item": ("{name}（{value}，目标{target}）", "{name} ({value}; target {target})"),
    "mr_cumulative": ("{period}{scope}{name}{growth}", "in {period} {scope}, {name} was {growth}"),
    "mr_cumulative_more": ("{name}{growth}", "{name} was {growth}"),
    "mr_cumulative_change": ("，增速较{than}{move}", ", {move} {than}"),
    "mr_prev_month": ("上月", "a month earlier"),
    "mr_faster": ("提高{d}个百分点", "{d} points faster than"),
    "mr_slower": ("回落{d}个百分点", "{d} points slower than"),
    "mr_same_pace": ("持平", "at the same pace as"),
    "mr_range": ("{name}最高的是{hi}（{hv}），最低的是{lo}（{lv}）",
                 "{name} was highest in {hi} ({hv}) and lowest in {lo} ({lv})"),
    "mr_highest": ("{name}最高的是{where}（{value}）", "{name} was highest in {where} ({value})"),
    "mr_lowest": ("{name}最低的是{where}（{value}）", "{name} was lowest in {where} ({value})"),
    "mr_by_district": ("分区县看，{period}", "by district in {period}: "),
    "mr_in_period": ("{period}，", "in {period}, "),
    "mr_kpi": ("{scope}{name}{value}", "{name} {scope} was {value}"),
    "mr_kpi_more": ("{name}{value}", "{name} was {value}"),
    "mr_kpi_yoy": ("，同比{move}", " ({move} year on year)"),
    "mr_pts_up": ("提高{d}个百分点", "up {d} points"),
    "mr_pts_down": ("下降{d}个百分点", "down {d} points"),
    "mr_pts_flat": ("持平", "unchanged"),
    "mr_among": ("各区县中{text}", "among the districts, {text}"),
    "mr_alerts_none": ("{period}未触发预警", "no alerts in {period}"),
    "mr_alerts_count": ("{period}共触发{n}条预警：{parts}", "{n} alert{s} in {period}: {parts}"),
    "mr_alerts_threshold": ("指标越过预警线{n}条", "{n} past an alert line"),
    "mr_alerts_aqi": ("重度及以上污染区县{n}个", "{n} heavy-pollution district{s}"),
    "mr_alerts_surge": ("事件激增网格{n}个", "{n} event-surge grid cell{s}"),
    "mr_alerts_top": ("偏离最大的是：{items}", "the furthest out: {items}"),
    "mr_alert_item": ("{where}{name}{value}（{basis}预警线{line}）",
                      "{where}: {name} {value} ({basis}alert line {line})"),
    "mr_alert_basis": ("{count}，", "{count}; "),
    "mr_alert_item_aqi": ("{where}{n}天重度及以上污染（日AQI最高{peak}）",
                          "{where}: {n} day{s} of heavy air pollution (daily AQI up to {peak})"),
    "mr_alert_item_surge": ("{where}网格事件{n}件（阈值{line}件）",
                            "{where}: {n} grid events (threshold {line})"),
    "mr_trend": ("月度走势", "Monthly trend"),
    "mr_cell": ("{name}", "cell {code}"),
    "mr_caption": ("{scope}{what}（{period}）", "{what}, {scope}, {period}"),
    "mr_caption_plain": ("{what}（{period}）", "{what}, {period}"),
    "mr_alert_figure": ("预警：", "Alert: "),
})

# --- the government-services screen (/services) and the report's section ---
TEXT.update({
    "nav_services": ("政务服务", "Services"),
    "kind_service_cases": ("政务服务办件", "Service cases"),
    "section_services": ("政务服务", "Government services"),
    "svc_rates": ("政务服务指标月度走势", "Service rates by month"),
    "svc_cases": ("办件量与法定时限内办结率", "Cases and share completed within the legal limit"),
    "svc_ratings": ("好差评：差评及整改", "Ratings: bad ratings and their rectification"),
    "svc_departments": ("各部门法定时限内办结率", "Completed within the legal limit, by department"),
    "svc_table": ("各部门办件情况", "Cases by department"),
    "svc_cases_accepted": ("受理办件", "Cases accepted"),
    "svc_within_limit": ("法定时限内办结率", "Within the legal limit"),
    "svc_bad_rectified": ("差评·已整改", "Bad, rectified"),
    "svc_bad_open": ("差评·未整改", "Bad, not rectified"),
    "svc_bad_share": ("差评率", "Share of bad ratings"),
    "svc_cases_unit": ("件", " cases"),
    "svc_days_vs_limit": ("平均用时 {days} 个工作日，法定时限平均 {limit} 个工作日",
                          "{days} working days on average, legal limit {limit} on average"),
    "svc_col_cases": ("办件量", "Cases"),
    "svc_col_completed": ("已办结", "Done"),
    "svc_col_within": ("时限内 %", "In limit %"),
    "svc_col_days": ("用时/时限(工作日)", "Days / limit"),
    "svc_col_bad": ("差评", "Bad"),
    "svc_col_rectified": ("整改 %", "Rectified %"),
    "svc_rpt_completed": ("已办结", "Completed"),
    "svc_rpt_within": ("法定时限内办结率 %", "Within the legal limit %"),
    "svc_rpt_days": ("平均用时/法定时限（工作日）", "Working days taken / legal limit"),
    "svc_rpt_bad": ("差评", "Bad ratings"),
    "svc_rpt_rectified": ("差评整改率 %", "Bad ratings rectified %"),
    "svc_no_cases": ("尚未加载政务服务办件数据（citybrain load service_cases）",
                     "No service cases loaded yet (citybrain load service_cases)"),
    "svc_city_only": ("全市口径 · 不分区县", "City-wide · not by district"),
    "svc_counts_note": ("智能审批、一件事一次办事项数为全市口径，不按区县拆分",
                        "Smart-approval and one-thing-once services are counted for the "
                        "whole city, never split by district"),
    "svc_not_by_district": ("该指标为全市口径，不按区县拆分或排名",
                            "A city-wide count: not split or ranked by district"),
    "report_services": ("政务服务（按部门）", "Government services by department"),
    "report_services_city": ("政务服务（全市）", "Government services, city-wide"),
    "report_item": ("项目", "Item"),
    "mr_services": ("{period}{scope}受理政务服务办件{n}件，已办结{done}件，法定时限内办结率{within}；"
                    "评价{rated}件，差评{bad}件（差评率{share}），已整改{fixed}件（整改率{fixed_rate}）",
                    "in {period}, {n} service cases were accepted {scope} and {done} completed; "
                    "{within} were completed within the legal limit; of {rated} rated, {bad} "
                    "were bad ({share}), {fixed} of them rectified ({fixed_rate})"),
    "mr_services_worst": ("法定时限内办结率最低的是{department}（{value}）",
                          "the lowest share within the limit was {department}'s ({value})"),
    "mr_services_counts": ("全市智能审批事项{smart}项、一件事一次办事项{one}项",
                           "the city offers {smart} smart-approval and {one} one-thing-once "
                           "services"),
    "mr_services_none": ("{scope}尚未加载政务服务办件数据", "no service cases have been loaded {scope}"),
})


# --- 指挥调度: alerts with owners (data/command.py, the /command screen, the wall) ---
TEXT.update({
    "nav_command": ("指挥调度", "Command"),
    "scene_command": ("指挥调度", "Command"),
    "cmd_state_open": ("待确认", "Open"),
    "cmd_state_acknowledged": ("已确认", "Acknowledged"),
    "cmd_state_assigned": ("已指派", "Assigned"),
    "cmd_state_resolved": ("已办结", "Resolved"),
    "cmd_state_silenced": ("已静默", "Silenced"),
    "cmd_state_closed": ("已关闭", "Closed"),
    "cmd_state_escalated": ("超时未确认", "Escalated"),
    "cmd_held_open": ("待确认 · 自 {at}", "unacknowledged since {at}"),
    "cmd_held_escalated": ("超时未确认 · 自 {at}", "escalated: unacknowledged since {at}"),
    "cmd_held_acknowledged": ("已由 {who} 确认 · {at}", "acknowledged by {who} · {at}"),
    "cmd_held_assigned": ("已指派 {department} · 截止 {deadline}",
                          "assigned to {department}, due {deadline}"),
    "cmd_held_overdue": ("已指派 {department} · 已超期（截止 {deadline}）",
                         "assigned to {department}, overdue (due {deadline})"),
    "cmd_held_resolved": ("{who} 已办结 · {at}", "resolved by {who} · {at}"),
    "cmd_held_silenced": ("已静默至 {until}：{reason}", "silenced until {until}: {reason}"),
    "cmd_alerts": ("待处置预警", "Open alerts"),
    "cmd_alerts_count": ("{n} 条，其中超时 {late} 条", "{n} open, {late} overdue or escalated"),
    "cmd_supervision": ("督办", "Supervision (督办)"),
    "cmd_supervision_pending": ("督办清单尚未接入。", "The supervision list is not connected yet."),
    "cmd_by_department": ("按责任部门", "By department"),
    "cmd_by_district": ("按区县", "By district"),
    "cmd_unassigned": ("未指派", "Not assigned"),
    "cmd_city_wide": ("全市", "City-wide"),
    "cmd_col_alert": ("预警", "Alert"),
    "cmd_col_district": ("区县", "District"),
    "cmd_col_state": ("状态", "State"),
    "cmd_col_holder": ("处置情况", "Held by"),
    "cmd_acknowledge": ("确认", "Acknowledge"),
    "cmd_assign": ("指派", "Assign"),
    "cmd_close": ("关闭", "Close"),
    "cmd_resolve": ("办结", "Resolve"),
    "cmd_silence": ("静默", "Silence"),
    "cmd_form": ("处置", "Act on an alert"),
    "cmd_until": ("静默至", "Silence until"),
    "cmd_reason": ("静默原因", "Reason"),
    "cmd_department": ("责任部门", "Department"),
    "cmd_deadline": ("截止时间", "Deadline"),
    "cmd_note": ("备注", "Note"),
    "cmd_none": ("当前没有待处置的预警。", "No open alerts."),
    "cmd_read_only": ("您的角色只能查看预警，不能处置。", "Your role may see alerts but not act on them."),
    "cmd_choose": ("请先在列表中选择一条预警。", "Choose an alert in the list first."),
    "cmd_done_acknowledge": ("已确认：{what}", "Acknowledged: {what}"),
    "cmd_done_assign": ("已指派：{what}", "Assigned: {what}"),
    "cmd_done_close": ("已关闭：{what}", "Closed: {what}"),
    "cmd_done_resolve": ("已办结：{what}", "Resolved: {what}"),
    "cmd_done_silence": ("已静默：{what}", "Silenced: {what}"),
    "cmd_err_role": ("您的角色（{role}）不能处置预警。", "Your role ({role}) may not act on alerts."),
    "cmd_err_city": ("全市性预警只能由全市范围的用户处置。",
                     "A city-wide alert is for users of the whole city."),
    "cmd_err_district": ("这条预警不在您负责的区县。", "This alert is outside your districts."),
    "cmd_err_unknown": ("没有这条预警：{alert}", "No such alert: {alert}"),
    "cmd_err_state": ("预警当前状态为「{state}」，不能{step}。",
                      "The alert is {state}: it cannot be {step}d now."),
    "cmd_err_department": ("未知的责任部门：{department}", "Unknown department: {department}"),
    "cmd_err_deadline_bad": ("截止时间无法识别（格式：2026-12-05 18:00）。",
                             "The deadline is not a time (e.g. 2026-12-05 18:00)."),
    "cmd_err_deadline_past": ("截止时间 {deadline} 已过去，请选择将来的时间。",
                              "The deadline {deadline} is in the past: choose a later time."),
    "cmd_err_note": ("请填写办结说明。", "Say what was done."),
    "cmd_err_reason": ("请填写静默原因。", "Give a reason to silence the alert."),
    "cmd_err_until_bad": ("静默截止时间无法识别。", "The silence's end is not a time."),
    "cmd_err_until_past": ("静默截止时间已过去。", "The silence would end in the past."),
    "wall_command_alerts": ("预警处置", "Alerts and who holds them"),
    "wall_supervision": ("督办事项 · {n}", "Open supervision · {n}"),
    "cmd_step_acknowledge": ("确认", "acknowledge"), "cmd_step_assign": ("指派", "assign"),
    "cmd_step_resolve": ("办结", "resolve"), "cmd_step_close": ("关闭", "close"),
    "cmd_step_silence": ("静默", "silence"),
    "cmd_overdue": ("已超期", "Overdue"), "cmd_more": ("另有 {n} 条", "+{n} more"),
})


# --- notifications out: the line a webhook's robot forwards (data/notify.py) ---
TEXT.update({
    "notify_open": ("【告警】", "[Alert] "),
    "notify_escalated": ("【告警升级】", "[Alert escalated] "),
    "notify_closed": ("【告警解除】", "[Alert closed] "),
    "notify_phone": ("手机：", "On a phone: "),
})


# --- the emergency scene (应急): warnings, resources, their map layers and wall scene ---
TEXT.update({
    "kind_warnings": ("应急预警", "Emergency warnings"),
    "kind_resources": ("应急资源", "Emergency resources"),
    "layer_warnings": ("预警区域", "Warnings"),
    "layer_resources": ("应急资源", "Emergency resources"),
    "scene_emergency": ("应急指挥", "Emergency response"),
    "emergency_until": ("有效至", "until"),
    "emergency_until_lifted": ("解除前持续有效", "until lifted"),
    "emergency_capacity": ("可容纳{n}人", "room for {n}"),
    "emergency_headcount": ("{n}人", "{n} people"),
    "emergency_events": ("区域内事件", "Events in the area"),
    "wall_warnings_active": ("生效中的预警", "Warnings in force"),
    "wall_warning_kind": ("类型", "Kind"),
    "wall_warning_area": ("区域", "Area"),
    "wall_warning_until": ("有效至", "Until"),
    "wall_warning_issuer": ("发布单位", "Issued by"),
    "wall_no_warnings": ("当前无生效预警", "No warning in force"),
    "wall_warning_more": ("另有{n}条", "{n} more"),
    "wall_area_resources": ("预警区内应急资源", "Resources in the warning area"),
    "wall_area_events": ("预警区内事件（近3天）", "Events in the area, last 3 days"),
    "wall_resource_kind": ("资源", "Resource"),
    "wall_resource_count": ("数量", "Count"),
    "wall_resource_holds": ("容纳/人数", "Room / people"),
    "wall_events_open": ("未办结", "Open"),
    "wall_events_all": ("合计", "All"),
    "wall_events_category": ("类别", "Category"),
    "wall_warning_map": ("预警区域与应急资源", "Warning areas and resources"),
    "wall_warning_alert_line": ("{where} {what}，{detail}，自 {since} 起",
                                "{where}: {what}, {detail}, since {since}"),
    "mr_alerts_warning": ("橙色及以上应急预警{n}条", "{n} orange or red warning{s}"),
    "mr_alert_item_warning": ("{where}{what}", "{what} over {where}"),
})


def t(key: str, lang: str) -> str:
    """Return the interface text for ``key`` in ``lang`` ('zh' or 'en')."""
    zh, en = TEXT[key]
    return en if lang == "en" else zh


def name(row, lang: str) -> str:
    """Return a record's display name: its ``name_en`` in English, else ``name_zh``."""
    return row["name_en"] if lang == "en" else row["name_zh"]


# Chinese units that English readers expect converted: (factor, English unit).
_EN_UNITS = {"亿元": (0.1, "bn CNY"), "亿千瓦时": (0.1, "bn kWh"), "万平方米": (0.01, "M m²")}


def unit_factor(ind, lang: str) -> float:
    """Return what a value is multiplied by to be shown in ``unit(ind, lang)``."""
    return _EN_UNITS.get(ind.unit_zh, (1.0, ""))[0] if lang == "en" else 1.0


def unit(ind, lang: str) -> str:
    """Return the unit an indicator's values are shown in, in ``lang``."""
    if lang == "en":
        return _EN_UNITS.get(ind.unit_zh, (1, ind.unit_en))[1]
    return ind.unit_zh


#: Compact number words, largest first: (from, one of them, word). English writes 10,600 as
#: 10.6k (from ten thousand on, so 9,999 keeps its digits), Chinese as 1.1万.
_COMPACT = {"en": ((1e9, 1e9, "bn"), (1e6, 1e6, "M"), (1e4, 1e3, "k")),
            "zh": ((1e8, 1e8, "亿"), (1e4, 1e4, "万"))}


def number(value, lang: str, decimals: int = 1) -> str:
    """Format a plain number: 万/亿 in Chinese, k/M/bn in English (a compact number with at
    least one decimal)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    v = float(value)
    a = abs(v)
    grouping = "," if lang == "en" else ""
    tiers = _COMPACT["en" if lang == "en" else "zh"]
    shown = max(decimals, 1)
    for n, (start, size, word) in enumerate(tiers):
        smaller = tiers[n + 1][1] if n + 1 < len(tiers) else None
        # a value the next smaller word would round up to this one's start takes this word:
        # 999,960 is 1.0M, never 1,000.0k
        if a >= start or (smaller and round(a / smaller, shown) * smaller >= start):
            return f"{v / size:{grouping}.{shown}f}{word}"
    return f"{v:{grouping}.{decimals}f}"


def quantity(value, ind, lang: str, decimals: int | None = None) -> str:
    """Format an indicator's value with its unit in ``lang`` ("4,800.0亿元" style)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    d = ind.decimals if decimals is None else decimals
    v = float(value)
    if lang == "en":
        u = unit(ind, lang)
        text = number(v * unit_factor(ind, lang), lang, d)
        return f"{text}%" if u == "%" else f"{text} {u}".rstrip()
    if ind.unit_zh in ("亿元", "亿千瓦时") and abs(v) >= 1e4:
        return f"{v / 1e4:.2f}万{ind.unit_zh}"
    return f"{number(v, lang, d)}{ind.unit_zh}"


def change(value, ind, lang: str) -> str:
    """Format a year-on-year change: '+5.2%' for growth, '+0.3个百分点' / '+0.3 pts' for rates."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    sign = "+" if value >= 0 else "−"
    body = f"{abs(value):.1f}"
    if ind.is_growth:
        return f"{sign}{body}%"
    if ind.unit_zh == "%":
        return f"{sign}{body}{t('points', lang) if lang == 'zh' else ' pts'}"
    return f"{sign}{number(abs(value), lang, ind.decimals)}"


# supervision of events (督办/催办): data/supervision.py, its panels and the report's section
TEXT.update({
    "section_supervision": ("督办情况", "Supervision of events"),
    "report_supervision": ("督办情况（按责任部门）", "Supervision by department"),
    "sv_issued": ("督办件数", "Issued"),
    "sv_answered_on_time": ("按期答复", "Answered on time"),
    "sv_answered_late": ("逾期答复", "Answered late"),
    "sv_open": ("未答复", "Still open"),
    "sv_open_overdue": ("其中超期", "Of which past deadline"),
    "sv_total": ("合计", "Total"),
    "sv_sentence": ("{when}，{subject}共发出督办{issued}件，按期答复{answered_on_time}件，"
                    "逾期答复{answered_late}件，月末尚未答复{open}件（其中已超期{open_overdue}件）。",
                    "In {when}, {issued} supervision notices (督办) were issued {subject}: "
                    "{answered_on_time} answered on time, {answered_late} late, {open} still "
                    "open at the month's end ({open_overdue} past their deadline)."),
    "sv_sentence_none": ("{when}，{subject}未发出督办。",
                         "In {when}, no supervision notices (督办) were issued {subject}."),
    "sv_title": ("督办", "Supervision"),
    "sv_close": ("关闭", "Close"),
    "sv_event": ("事件 {event}", "Event {event}"),
    "sv_department": ("责任部门", "Department"),
    "sv_deadline": ("答复期限", "Answer by"),
    "sv_note": ("说明", "Note"),
    "sv_issue": ("督办", "Supervise"),
    "sv_remind": ("催办", "Remind"),
    "sv_answer": ("答复", "Answer"),
    "sv_history": ("督办记录", "Supervision history"),
    "sv_none": ("尚无督办记录。", "Not under supervision yet."),
    "sv_step_issue": ("督办", "Issued"),
    "sv_step_remind": ("催办", "Reminded"),
    "sv_step_answer": ("答复", "Answered"),
    "sv_done_issue": ("已发出督办。", "Supervision issued."),
    "sv_done_remind": ("已催办。", "Reminder sent."),
    "sv_done_remind_event": ("已催办事件 {event}。", "Reminded event {event}."),
    "sv_remind_note": ("请加快办理", "Please speed up"),
    "sv_done_answer": ("已记录答复，督办办结。", "Answer recorded: the 督办 is closed."),
    "sv_under": ("督办", "Supervised"),
    "sv_overdue": ("已超期", "Overdue"),
    "sv_open_state": ("督办中", "Open"),
    "sv_answered_state": ("已答复", "Answered"),
    "sv_reminders": ("催办", "Reminders"),
    "sv_holder": ("承办", "Held by"),
    "sv_issued_by": ("督办人", "Issued by"),
    "sv_issued_at": ("督办时间", "Issued"),
    "sv_district": ("区县", "District"),
    "sv_open_title": ("督办事项", "Open supervision"),
    "sv_open_none": ("当前没有未答复的督办。", "No open supervision."),
    "sv_view_only": ("您的角色可查看督办，不能发起或催办。",
                     "Your role may view supervision, not issue or remind it."),
    "sv_err_role": ("您的角色（{role}）不能发起、催办或答复督办。",
                    "Your role ({role}) may not issue, remind or answer supervision."),
    "sv_err_no_event": ("没有编号为 {event} 的事件。", "There is no event {event}."),
    "sv_err_outside": ("事件 {event} 不在您负责的区县内。",
                       "Event {event} is outside your districts."),
    "sv_err_department": ("未知的责任部门：{department}", "Unknown department: {department}"),
    "sv_err_deadline_past": ("答复期限 {deadline} 已过去，请选择将来的时间。",
                             "The deadline {deadline} is past: choose a later one."),
    "sv_err_deadline_far": ("答复期限不能超过 {days} 天之后。",
                            "The deadline may be at most {days} days ahead."),
    "sv_err_deadline_bad": ("请填写答复期限（如 2026-12-31）。",
                            "Give a deadline (e.g. 2026-12-31)."),
    "sv_err_open_already": ("事件 {event} 已在督办中，请使用催办。",
                            "Event {event} is under supervision already: remind instead."),
    "sv_err_none_open": ("事件 {event} 没有未答复的督办。",
                         "Event {event} has no open supervision."),
    "sv_err_answer_note": ("答复须写明办理情况。", "An answer needs a note: what was done."),
    "sv_err_event_id": ("事件编号无法识别：{event}", "Not an event id: {event}"),
})


# the grid screen's panel of a grid cell's open events (督办 from a grid cell)
TEXT.update({
    "gc_title": ("网格未办结事件", "Open events by grid cell"),
    "gc_pick_hint": ("超期未办结事件最多的网格，点击网格查看其事件：",
                     "Cells with the most overdue open events: choose one to see them."),
    "gc_overdue_n": ("超期 {late} 件", "{late} overdue"),
    "gc_open_n": ("未办结 {n} 件", "{n} open"),
    "gc_cell_line": ("{cell}：未办结 {n} 件，超期 {late} 件", "{cell}: {n} open, {late} overdue"),
    "gc_first": ("（列出前 {shown} 件）", " (first {shown} shown)"),
    "gc_late": ("超期 {h} 小时", "{h} h overdue"),
    "gc_left": ("剩余 {h} 小时", "{h} h left"),
    "gc_late_under": ("超期不足 1 小时", "under 1 h overdue"),
    "gc_left_under": ("剩余不足 1 小时", "under 1 h left"),
    "gc_supervise": ("督办", "Supervise"),
    "gc_none_cell": ("该网格在此期间上报的事件均已办结。",
                     "Every event reported in this cell in this period is closed."),
    "gc_none_cells": ("此范围内此期间上报的事件均已办结。",
                      "Every event reported here in this period is closed."),
})


# the leader's phone view (/m)
TEXT.update({
    "m_scope": ("范围", "Area"),
    "m_choose_scope": ("换区县", "Other area"),
    "m_kpis": ("关键指标", "Key figures"),
    "m_alerts": ("预警", "Alerts"),
    "m_alert_count": ("{n}条，其中超时{late}条", "{n}, {late} late"),
    "m_supervision": ("督办", "Supervision"),
    "m_supervision_count": ("{n}件未答复，其中超期{late}件", "{n} open, {late} overdue"),
    "m_supervision_line": ("事件 {event} · {district} · 承办 {department}",
                           "Event {event} · {district} · {department}"),
    "m_supervision_due": ("答复期限 {deadline} · 催办{reminders}次",
                          "Answer by {deadline} · {reminders} reminder(s)"),
    "m_map": ("{area} · {indicator}", "{area} · {indicator}"),
    "m_full": ("完整版", "Full screens"),
    "m_cancel": ("取消", "Cancel"),
    "m_tap_kpi": ("点指标卡看地图", "Tap a figure to map it"),
})
TEXT.update({
    "m_fewer": ("收起", "Show fewer"),
    "m_glance_alerts": ("预警 {n}条（超时{late}）", "Alerts {n} ({late} late)"),
    "m_glance_supervision": ("督办 {n}件", "Supervision {n}"),
    "m_period": ("{start} 至 {end}", "{start} to {end}"),
    "m_due_2h": ("2小时后", "In 2 hours"),
    "m_due_tomorrow": ("明天18:00", "Tomorrow 18:00"),
    "m_due_3d": ("3天后18:00", "In 3 days, 18:00"),
})
