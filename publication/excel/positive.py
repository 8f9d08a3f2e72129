"""The positive enforcement list (监管执法正面清单, R-PUB-3; 002 第十七条) for inspection
planning: the bureaus' own file, with the address and the person to call on site."""

from pathlib import Path

from publication.excel.sheets import write_list
from publication.models import ExportFile
from publication.selectors.positive import positive_enterprises
from publication.selectors.public import bureau_name

COLUMNS = [
    ("序号", 6),
    ("省辖市", 10),
    ("县（市、区）", 14),
    ("企业名称", 36),
    ("统一社会信用代码", 22),
    ("详细地址", 36),
    ("主行业", 16),
    ("绩效等级", 14),
    ("联系人", 10),
    ("联系电话", 14),
    ("备注", 16),
]


def write(export: ExportFile, path: Path) -> int:
    region = export.region

    def rows():
        for n, e in enumerate(positive_enterprises(region).iterator(chunk_size=2000), 1):
            county = e.county
            city = county.parent if county.level == "county" else county
            main = e.main_industries[0] if e.main_industries else None
            yield [
                n,
                city.name,
                county.name,
                e.name,
                e.uscc,
                e.address,
                main.industry.name if main else "",
                e.overall_grade.name,
                e.contact_person,
                e.contact_mobile,
                "涉密，不对外公开" if e.is_confidential else "",
            ]

    return write_list(
        path,
        sheet="正面清单",
        title=f"{region.name}监管执法正面清单",
        lines=[
            f"{bureau_name(region)}  导出日期：{export.requested_at:%Y-%m-%d}  "
            "（A级、绩效引领性、符合绩效先进性指标企业，002 第十七条）"
        ],
        columns=COLUMNS,
        rows=rows(),
    )
