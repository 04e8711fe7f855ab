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
    "report_value": ("本月", "This month"),
    "report_met": ("是否达标", "Met"),
    "report_mom": ("较上月", "vs last month"),
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
    "wall_alert_line": ("{where} {what}：{value}（阈值 {threshold}），自 {since} 起",
                        "{where}: {what} {value} (threshold {threshold}) since {since}"),
    "wall_more_alerts": ("共{n}条", "{n} in all"),
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
    "mr_alert_item": ("{where}{name}{value}（预警线{line}）",
                      "{where}: {name} {value} (alert line {line})"),
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


def number(value, lang: str, decimals: int = 1) -> str:
    """Format a plain number: 万/亿 in Chinese, k/M/bn in English."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    v = float(value)
    a = abs(v)
    if lang == "en":
        for size, suffix in ((1e9, "bn"), (1e6, "M"), (1e4, "k")):
            if a >= size:
                return f"{v / size:,.{max(decimals, 1)}f}{suffix}"
        return f"{v:,.{decimals}f}"
    for size, suffix in ((1e8, "亿"), (1e4, "万")):
        if a >= size:
            return f"{v / size:.{max(decimals, 1)}f}{suffix}"
    return f"{v:.{decimals}f}"


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
