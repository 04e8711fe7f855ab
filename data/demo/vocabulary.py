"""The demo city's two-level event vocabulary: the grid's seven categories (大类, the codes of
``catalog.EVENT_CATEGORIES``), each with its second-level categories (小类) and how often an
event of the category is one of them.

The 小类 are those a Chinese city's operations centre files cases under: the digital city
management standard's event and component classes (GB/T 30428.2: 暴露垃圾, 乱堆物料, 道路不洁,
非法小广告, 占道经营, 无照经营游商, 施工扬尘, 井盖损坏, 路灯不亮 ...) and the 12345 hotline's
subjects (供水, 供电, 社保, 物业 ...), filed under the grid's categories. Codes are the
standard's style: the category's two digits, then two of the 小类's own.
"""

from __future__ import annotations

#: category -> its 小类 as (code, name_zh, name_en, weight); weights need not add up to 1.
SUBCATEGORIES: dict[str, tuple[tuple[str, str, str, float], ...]] = {
    "appearance": (
        ("0101", "暴露垃圾", "Exposed rubbish", 0.22),
        ("0102", "乱堆物料", "Materials piled in public", 0.12),
        ("0103", "道路不洁", "Unclean roads", 0.12),
        ("0104", "非法小广告", "Illegal small adverts", 0.14),
        ("0105", "占道经营", "Street vending on the road", 0.14),
        ("0106", "无照经营游商", "Unlicensed hawkers", 0.08),
        ("0107", "乱拉乱挂", "Lines and banners hung at random", 0.06),
        ("0108", "违规户外广告", "Unauthorised outdoor advertising", 0.05),
        ("0109", "乱停放非机动车", "Bicycles parked at random", 0.07),
    ),
    "safety": (
        ("0201", "井盖损坏", "Damaged manhole covers", 0.18),
        ("0202", "路灯不亮", "Street lights out", 0.16),
        ("0203", "施工围挡破损", "Damaged site hoardings", 0.10),
        ("0204", "消防通道堵塞", "Blocked fire lanes", 0.14),
        ("0205", "燃气安全隐患", "Gas safety hazards", 0.10),
        ("0206", "危旧房屋", "Dangerous old buildings", 0.08),
        ("0207", "道路塌陷", "Road subsidence", 0.06),
        ("0208", "电动车违规充电", "E-bikes charged unsafely", 0.18),
    ),
    "dispute": (
        ("0301", "邻里纠纷", "Neighbour disputes", 0.30),
        ("0302", "劳资纠纷", "Wage disputes", 0.22),
        ("0303", "物业纠纷", "Property-management disputes", 0.20),
        ("0304", "婚姻家庭纠纷", "Family disputes", 0.12),
        ("0305", "土地山林纠纷", "Land and forest disputes", 0.10),
        ("0306", "消费纠纷", "Consumer disputes", 0.06),
    ),
    "order": (
        ("0401", "噪声扰民", "Noise nuisance", 0.30),
        ("0402", "治安隐患", "Public-order hazards", 0.20),
        ("0403", "非法营运", "Unlicensed taxis", 0.15),
        ("0404", "违章停车", "Illegal parking", 0.25),
        ("0405", "聚众滋事", "Crowd disturbances", 0.10),
    ),
    "livelihood": (
        ("0501", "供水问题", "Water supply", 0.18),
        ("0502", "供电问题", "Power supply", 0.14),
        ("0503", "社保就业", "Social insurance and jobs", 0.16),
        ("0504", "医疗卫生", "Health care", 0.10),
        ("0505", "教育咨询", "Schools", 0.10),
        ("0506", "公交出行", "Buses and transport", 0.12),
        ("0507", "物业服务", "Property services", 0.12),
        ("0508", "燃气供应", "Gas supply", 0.08),
    ),
    "ecology": (
        ("0601", "河道漂浮物", "Floating rubbish on rivers", 0.20),
        ("0602", "污水直排", "Sewage discharged untreated", 0.18),
        ("0603", "露天焚烧", "Open burning", 0.16),
        ("0604", "施工扬尘", "Construction dust", 0.20),
        ("0605", "餐饮油烟", "Restaurant fumes", 0.14),
        ("0606", "非法采砂", "Illegal sand mining", 0.06),
        ("0607", "畜禽养殖污染", "Livestock farm pollution", 0.06),
    ),
    "other": (
        ("0701", "咨询建议", "Enquiries and suggestions", 0.50),
        ("0702", "其他事项", "Other matters", 0.50),
    ),
}
