"""AG Grid's own interface text (its filter menus, overlays and screen-reader labels) in
Chinese: the grid's ``localeText``. English is the grid's built-in text.

The keys are those AG Grid Community 35 asks its locale for in what the event table uses
(text, number and date filters, the infinite row model's loading and empty states, column
headers); a key missing here shows the grid's English. Served with the page, no CDN.
"""

from __future__ import annotations

LOCALE_ZH: dict[str, str] = {
    # filter menus
    "applyFilter": "应用",
    "clearFilter": "清除",
    "resetFilter": "重置",
    "cancelFilter": "取消",
    "textFilter": "文本筛选",
    "numberFilter": "数字筛选",
    "bigintFilter": "大整数筛选",
    "dateFilter": "日期筛选",
    "setFilter": "集合筛选",
    "filterOoo": "筛选...",
    "empty": "请选择",
    "equals": "等于",
    "notEqual": "不等于",
    "lessThan": "小于",
    "greaterThan": "大于",
    "inRange": "介于",
    "inRangeStart": "从",
    "inRangeEnd": "到",
    "lessThanOrEqual": "小于或等于",
    "greaterThanOrEqual": "大于或等于",
    "contains": "包含",
    "notContains": "不包含",
    "startsWith": "开头是",
    "endsWith": "结尾是",
    "blank": "为空",
    "notBlank": "不为空",
    "before": "早于",
    "after": "晚于",
    "andCondition": "且",
    "orCondition": "或",
    "dateFormatOoo": "年-月-日",
    "blanks": "（空白）",
    "filterSummaryInactive": "为（全部）",
    "filterSummaryContains": "包含",
    "filterSummaryNotContains": "不包含",
    "filterSummaryTextEquals": "等于",
    "filterSummaryTextNotEqual": "不等于",
    "filterSummaryStartsWith": "开头是",
    "filterSummaryEndsWith": "结尾是",
    "filterSummaryBlank": "为空",
    "filterSummaryNotBlank": "不为空",
    "filterSummaryInRange": "介于",
    "yesterday": "昨天",
    "today": "今天",
    "tomorrow": "明天",
    "last7Days": "最近 7 天",
    "lastWeek": "上周",
    "thisWeek": "本周",
    "nextWeek": "下周",
    "last30Days": "最近 30 天",
    "lastMonth": "上月",
    "thisMonth": "本月",
    "nextMonth": "下月",
    "last90Days": "最近 90 天",
    "lastQuarter": "上季度",
    "thisQuarter": "本季度",
    "nextQuarter": "下季度",
    "lastYear": "去年",
    "thisYear": "今年",
    "yearToDate": "今年以来",
    "nextYear": "明年",
    "last6Months": "最近 6 个月",
    "last12Months": "最近 12 个月",
    "last24Months": "最近 24 个月",
    "invalidDate": "无效日期",
    "invalidNumber": "无效数字",
    "invalidBigInt": "无效大整数",
    # overlays and row states
    "loadingOoo": "加载中...",
    "loadingError": "出错",
    "noRowsToShow": "没有可显示的行",
    "noMatchingRows": "没有匹配的行",
    "exportingOoo": "导出中...",
    "more": "更多",
    "to": "至",
    "of": "共",
    "page": "页",
    "pageLastRowUnknown": "?",
    "firstPage": "第一页",
    "lastPage": "最后一页",
    "nextPage": "下一页",
    "previousPage": "上一页",
    "pageSizeSelectorLabel": "每页行数：",
    "thousandSeparator": ",",
    "decimalSeparator": ".",
    # screen readers
    "ariaChecked": "已选中",
    "ariaUnchecked": "未选中",
    "ariaIndeterminate": "部分选中",
    "ariaColumnFiltered": "列已筛选",
    "ariaDateFilterInput": "日期筛选输入",
    "ariaFilterColumn": "按 CTRL ENTER 打开筛选",
    "ariaFilterFromValue": "筛选起始值",
    "ariaFilterInput": "筛选输入",
    "ariaFilterMenuOpen": "打开筛选菜单",
    "ariaFilterToValue": "筛选结束值",
    "ariaFilterValue": "筛选值",
    "ariaFilteringOperator": "筛选条件",
    "ariaLabelColumnFilter": "列筛选",
    "ariaLabelColumnMenu": "列菜单",
    "ariaLabelTooltip": "提示",
    "ariaMenuColumn": "按 ALT DOWN 打开列菜单",
    "ariaPageSizeSelectorLabel": "每页行数",
    "ariaSkeletonCellLoading": "正在加载行数据",
    "ariaSkeletonCellLoadingFailed": "行加载失败",
    "ariaDeferSkeletonCellLoading": "单元格加载中",
    "ariaSortableColumn": "按 ENTER 排序",
    "ariaSortableColumnWithCellSelection": "按 ALT ENTER 排序",
    "ariaHeaderSelection": "带表头选择的列",
    "ariaToggleCellValue": "按空格键切换单元格的值",
    "ariaInputEditor": "输入编辑器",
    "ariaHasNote": "此单元格有备注。",
}


def locale_text(lang: str) -> dict[str, str]:
    """The grid's ``localeText`` for a language: Chinese, or {} for the grid's English."""
    return {} if lang == "en" else dict(LOCALE_ZH)


#: The grid's filter types in English, as its menus name them (a download's table filters).
_FILTER_WORDS_EN = {"equals": "equals", "notEqual": "does not equal", "lessThan": "less than",
                    "greaterThan": "greater than", "lessThanOrEqual": "at most",
                    "greaterThanOrEqual": "at least", "inRange": "between",
                    "contains": "contains", "notContains": "does not contain",
                    "startsWith": "begins with", "endsWith": "ends with", "blank": "blank",
                    "notBlank": "not blank", "before": "before", "after": "after"}


def filter_word(kind: str, lang: str) -> str:
    """A filter type (AG Grid's name: contains, inRange, ...) in words, as the grid's menu says
    it."""
    words = _FILTER_WORDS_EN if lang == "en" else LOCALE_ZH
    return words.get(kind, kind)
