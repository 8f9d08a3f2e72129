"""The seed text the official lists follow, verbatim (tab-separated as in the seed files), so
the tests can compare a workbook's header with it. ``test_official_lists`` checks these lines
against the seed files themselves when ``SEEDS_DIR`` names their folder."""

#: 001_01fd9bec312491a7.txt, 附件3 重点行业绩效分级提升企业清单 (header row).
IMPROVEMENT_HEADER = (
    "序号\t省辖市\t县(市、区)\t企业名称\t重点行业类型\t重点行业分支\t绩效现状\t绩效提升目标"
    "\t差异化指标\t存在问题\t改造措施\t拟完成时间\t备注"
)
IMPROVEMENT_TITLE = "重点行业绩效分级提升企业清单"
#: 001 附件3 注3: the order.
IMPROVEMENT_ORDER = "按照县（市、区）、行业类型、绩效提升目标、差异化指标排序"
#: 002_247cbe625e1b7174.txt, 附件3 (header row, title, instruction).
DECLARATION_HEADER = "序号\t企业名称\t详细地址\t行业类型\t评定等级\t企业负责人\t联系方式"
DECLARATION_TITLE = "XX市重点行业企业绩效分级申报清单"
DECLARATION_ORDER = "(填报要求：按技术指南区分行业类型、评定等级排序填报)"
#: 001 四(三): the province's list, named but not laid out in the seed.
PROVINCE_AB_NAME = "A 级、B 级、绩效引领性企业清单"
#: 002 第十条(4): the guarantee-class list, named but not laid out.
GUARANTEE_NAME = "保障类企业清单"

SEED_LINES = {
    "001_01fd9bec312491a7.txt": [
        IMPROVEMENT_HEADER,
        IMPROVEMENT_TITLE,
        IMPROVEMENT_ORDER,
        PROVINCE_AB_NAME,
    ],
    "002_247cbe625e1b7174.txt": [
        DECLARATION_HEADER,
        DECLARATION_TITLE,
        DECLARATION_ORDER,
        GUARANTEE_NAME,
    ],
}
