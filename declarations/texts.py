"""The commitment texts of 002 附件4 二、三, shown to the enterprise and printed in the package."""

from django.utils.translation import gettext as _

BASES = (
    "依据生态环境部《重污染天气重点行业应急减排措施制定技术指南（2020年修订版）》（环办大气函〔2020〕340号）、"
    "《关于印发〈重污染天气重点行业绩效分级及减排措施〉补充说明的通知》（环办便函〔2021〕341号），"
    "省生态环境厅《河南省重污染天气重点行业应急减排措施制定技术指南（2021年修订版）》、"
    "《河南省重污染天气通用行业应急减排措施制定技术指南（2021年修订版）》（豫环文〔2021〕94号）"
)


def truth_commitment(*, city: str, year: int, industry: str, grade: str) -> str:
    return _(
        "%(city)s生态环境局：\n我公司此次申报河南省%(year)s年重污染天气重点行业绩效分级%(industry)s行业"
        "%(grade)s企业，所提交的一切材料均真实、合法、有效。如有不实之处，愿承担相应的法律责任，"
        "并承担由此产生的一切后果。\n特此承诺。"
    ) % {"city": city, "year": year, "industry": industry, "grade": grade}


def reduction_commitment(*, industry: str, grade: str) -> str:
    return _(
        "%(bases)s，我公司经申报审核后，被评定为%(industry)s行业%(grade)s绩效等级。\n"
        "现承诺：在重污染天气预警期间，将严格按照重污染天气应急减排清单要求，落实不同预警级别相应的减排措施。"
    ) % {"bases": BASES, "industry": industry, "grade": grade}
