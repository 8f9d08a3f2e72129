"""Public notice before publication (R-PUB-1) and objections (R-PUB-2)."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from core.context import request_context
from core.models import AuditEvent
from grading.models import GradeRecord, User
from publication.models import ListVersion, Notice, NoticeItem, Objection
from publication.selectors.notices import candidates_for
from publication.services import lists, notices
from publication.tests import builders
from publication.tests.builders import DAY
from tests import factories

pytestmark = pytest.mark.django_db
AFTER = datetime.date(2026, 3, 10)  # the Tuesday after a five-day window from DAY


@pytest.fixture
def c_results():
    """Two C results decided in 郑州 (新郑市, 中牟县) and one in 洛阳."""
    a = factories.enterprise(county="410184", name="新郑市甲包装有限公司")
    b = factories.enterprise(county="410122", name="中牟县乙印务有限公司")
    c = factories.enterprise(county="410311", name="洛阳丙彩印有限公司")
    return [builders.decided(e, "C") for e in (a, b, c)]


def published_names(version) -> set[str]:
    return set(version.rows.values_list("enterprise_name", flat=True)) if version else set()


def test_r_pub_1_city_notices_its_own_c_results_for_five_working_days(zhengzhou, c_results):
    with time_machine.travel(DAY):
        notice = notices.notice_open(actor=zhengzhou)
    assert notice.tier == "local"
    assert notice.workdays == 5
    assert (notice.starts_on, notice.ends_on) == (DAY, datetime.date(2026, 3, 6))
    assert {i.record_id for i in notice.items.all()} == {c_results[0].pk, c_results[1].pk}
    assert notice.number == "GS2026-410100-001"
    event = AuditEvent.objects.get(code="publication.notice.opened")
    assert event.actor == zhengzhou


def test_r_pub_1_the_bureau_sets_the_length(zhengzhou, c_results):
    with time_machine.travel(DAY):
        notice = notices.notice_open(actor=zhengzhou, workdays_count=10)
    assert notice.ends_on == datetime.date(2026, 3, 13)
    with pytest.raises(ValidationError):
        notices.notice_open(actor=zhengzhou, workdays_count=0)


def test_r_pub_1_province_notices_a_tier_and_the_city_does_not(province, zhengzhou):
    ent = factories.enterprise(county="410184")
    record = builders.decided(ent, "A")
    assert list(candidates_for(viewer=zhengzhou)) == []
    with time_machine.travel(DAY):
        notice = notices.notice_open(actor=province)
    assert notice.tier == "province"
    assert [i.record_id for i in notice.items.all()] == [record.pk]


def test_county_and_enterprise_may_not_notice(county_user, enterprise_user, c_results):
    for user in (county_user, enterprise_user):
        with pytest.raises(PermissionDenied):
            notices.notice_open(actor=user)


def test_r_decl_5_confidential_results_are_never_noticed(province):
    secret = factories.enterprise(county="410184", is_confidential=True)
    builders.decided(secret, "A")
    with pytest.raises(ValidationError):
        notices.notice_open(actor=province)


def test_records_outside_the_bureau_are_refused(zhengzhou, c_results):
    with pytest.raises(ValidationError):
        notices.notice_open(actor=zhengzhou, records=[c_results[2]])


def test_a_result_is_noticed_once(zhengzhou, c_results):
    with time_machine.travel(DAY):
        notices.notice_open(actor=zhengzhou)
        with pytest.raises(ValidationError):
            notices.notice_open(actor=zhengzhou)


def test_r_pub_2_an_objection_during_the_window_makes_publication_wait_for_its_outcome(
    zhengzhou, zhengzhou_handler, c_results
):
    with time_machine.travel(DAY):
        notice = notices.notice_open(actor=zhengzhou)
    objected = notice.items.get(record=c_results[0])
    with time_machine.travel(datetime.datetime(2026, 3, 5, 10)):
        objection = notices.objection_lodge(
            item=objected,
            content="该企业VOCs治理设施长期未运行，等级与实际不符",
            name="张三",
            contact="13900000000",
        )
    with time_machine.travel(AFTER):
        notices.notice_publish(actor=zhengzhou, notice=notice)
    v1 = ListVersion.objects.get(issuer__code="410100", number=1)
    assert published_names(v1) == {"中牟县乙印务有限公司"}
    assert Notice.objects.get(pk=notice.pk).status == "published"

    with time_machine.travel(AFTER + datetime.timedelta(days=1)):
        notices.objection_handle(
            actor=zhengzhou_handler,
            objection=objection,
            outcome=Objection.Outcome.KEPT,
            note="现场核实，治理设施正常运行，维持C级",
        )
    v2 = ListVersion.objects.get(issuer__code="410100", number=2)
    assert published_names(v2) == {"中牟县乙印务有限公司", "新郑市甲包装有限公司"}
    assert published_names(v1) == {"中牟县乙印务有限公司"}  # the old version is frozen


def test_r_pub_2_a_result_sent_back_for_re_review_is_not_published(
    zhengzhou, zhengzhou_handler, c_results
):
    with time_machine.travel(DAY):
        notice = notices.notice_open(actor=zhengzhou)
        item = notice.items.get(record=c_results[0])
        objection = notices.objection_lodge(item=item, content="企业实际生产工艺与申报材料不一致")
        notices.objection_handle(
            actor=zhengzhou_handler,
            objection=objection,
            outcome=Objection.Outcome.RE_REVIEW,
            note="组织专家重新审核",
        )
    assert NoticeItem.objects.get(pk=item.pk).status == "withdrawn"
    with time_machine.travel(AFTER):
        notices.notice_publish(actor=zhengzhou, notice=notice)
    assert "新郑市甲包装有限公司" not in published_names(
        ListVersion.objects.get(issuer__code="410100")
    )


def test_r_pub_2_grade_changed_records_the_new_grade_and_publishes_it(
    zhengzhou, zhengzhou_handler, c_results
):
    with time_machine.travel(DAY):
        notice = notices.notice_open(actor=zhengzhou)
        item = notice.items.get(record=c_results[0])
        objection = notices.objection_lodge(item=item, content="该企业存在超标排放问题，应评为D级")
    with time_machine.travel(datetime.date(2026, 3, 4)):
        notices.objection_handle(
            actor=zhengzhou_handler,
            objection=objection,
            outcome=Objection.Outcome.GRADE_CHANGED,
            note="核实存在超标排放，改评D级",
            new_grade=builders.grade("D"),
        )
    current = GradeRecord.objects.get(enterprise=item.enterprise, effective_to__isnull=True)
    assert current.grade.code == "D"
    assert current.source_ref == notice.number
    with time_machine.travel(AFTER):
        notices.notice_publish(actor=zhengzhou, notice=notice)
    version = ListVersion.objects.get(issuer__code="410100")
    assert dict(version.rows.values_list("enterprise_name", "grade_code")) == {
        "新郑市甲包装有限公司": "D",
        "中牟县乙印务有限公司": "C",
    }


def test_objections_only_while_the_window_is_open(zhengzhou, c_results):
    with time_machine.travel(DAY):
        notice = notices.notice_open(actor=zhengzhou)
    item = notice.items.first()
    with time_machine.travel(AFTER), pytest.raises(ValidationError, match="公示期已于"):
        notices.objection_lodge(item=item, content="等级与实际情况不符，请核实处理")
    with pytest.raises(ValidationError, match="至少10个字"):
        notices.objection_lodge(item=item, content="不对")


def test_publication_waits_for_the_end_of_the_window(zhengzhou, c_results):
    with time_machine.travel(DAY):
        notice = notices.notice_open(actor=zhengzhou)
    with time_machine.travel(datetime.date(2026, 3, 6)), pytest.raises(ValidationError):
        notices.notice_publish(actor=zhengzhou, notice=notice)
    assert not ListVersion.objects.exists()


def test_r_pub_2_only_the_issuers_designated_handlers_handle(
    zhengzhou, c_results, luoyang, province_handler
):
    luoyang_handler = builders.designated(User.Role.CITY, "410300")
    with time_machine.travel(DAY):
        notice = notices.notice_open(actor=zhengzhou)
        objection = notices.objection_lodge(
            item=notice.items.first(), content="等级与实际情况不符，请核实处理"
        )
    for user in (zhengzhou, luoyang_handler, province_handler, factories.admin_user()):
        with pytest.raises(PermissionDenied):
            notices.objection_handle(actor=user, objection=objection, outcome="kept", note="维持")


def test_r_pub_2_the_audit_trail_keeps_the_objector_secret(zhengzhou, c_results):
    with time_machine.travel(DAY):
        notice = notices.notice_open(actor=zhengzhou)
        with request_context(address="203.0.113.9"):
            notices.objection_lodge(
                item=notice.items.first(),
                content="等级与实际情况不符，请核实处理",
                name="李四",
                contact="13911112222",
            )
    event = AuditEvent.objects.get(code="publication.objection.lodged")
    text = f"{event.summary}{event.reason}{event.data}"
    assert "李四" not in text and "13911112222" not in text
    assert event.address is None


def test_r_pub_2_rate_limit_per_address(zhengzhou, c_results):
    with time_machine.travel(DAY):
        notice = notices.notice_open(actor=zhengzhou)
        item = notice.items.first()
        with request_context(address="198.51.100.7"):
            for _ in range(5):
                notices.objection_lodge(item=item, content="等级与实际情况不符，请核实处理")
            with pytest.raises(ValidationError, match="提交过于频繁"):
                notices.objection_lodge(item=item, content="等级与实际情况不符，请核实处理")
        with request_context(address="198.51.100.8"):
            notices.objection_lodge(item=item, content="等级与实际情况不符，请核实处理")


def test_a_list_with_nothing_new_publishes_no_version(zhengzhou, c_results):
    for r in c_results:
        GradeRecord.objects.filter(pk=r.pk).update(source=GradeRecord.Source.IMPORT)
    first = lists.list_publish(actor=zhengzhou, issuer=zhengzhou.region, tier="local")
    assert first.number == 1 and first.row_count == 2
    assert lists.list_publish(actor=zhengzhou, issuer=zhengzhou.region, tier="local") is None


def test_r_pub_1_a_later_downgrade_publishes_a_new_version_and_the_old_stays(province):
    ent = factories.enterprise(county="410184", name="新郑市丁金属制品有限公司")
    builders.decided(ent, "A", source=GradeRecord.Source.IMPORT)
    v1 = lists.list_publish(actor=province, issuer=province.region, tier="province")
    builders.decided(ent, "B", on=DAY, source=GradeRecord.Source.SPOT_CHECK)
    with time_machine.travel(DAY):
        v2 = lists.list_publish(actor=province, issuer=province.region, tier="province")
    assert (v2.number, v2.changed) == (2, 1)
    assert v1.rows.get().grade_code == "A"
    assert v2.rows.get().grade_code == "B"
