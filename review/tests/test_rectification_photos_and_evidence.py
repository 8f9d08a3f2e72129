"""Issue 10, what each role finds: rectification replies carry photos, checked by their
content like every upload (R-DECL-6); the panel's experts read the evidence of the cases they
sit on, and of no other (R-REV-6)."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from declarations.models import Evidence
from review.models import Rectification, RectificationPhoto
from review.services import onsite
from review.tests import builders
from review.tests.api_client import CASES, client_for
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    builders.isolate(settings, tmp_path, monkeypatch)


def open_item(case) -> Rectification:
    return Rectification.objects.get(verification__case=case)


def test_r_decl_6_rectification_reply_carries_photos(
    verified_case, enterprise_user, city_user, other_county_user
):
    item = open_item(verified_case)
    onsite.rectification_report(
        actor=enterprise_user,
        rectification=item,
        note="已补充台账",
        photos=[builders.png_upload("台账.png"), builders.png_upload("现场.png")],
    )
    photos = list(item.photos.order_by("id"))
    assert [p.name for p in photos] == ["台账.png", "现场.png"]
    assert all(p.content_type == "image/png" and len(p.sha256) == 64 for p in photos)
    page = Client()
    page.force_login(city_user)
    html = page.get(f"/review/cases/{verified_case.pk}/").content.decode()
    assert f"/review/rectification-photos/{photos[0].pk}/" in html
    assert page.get(f"/review/rectification-photos/{photos[0].pk}/").status_code == 200
    other = Client()
    other.force_login(other_county_user)
    assert other.get(f"/review/rectification-photos/{photos[0].pk}/").status_code == 404


def test_r_decl_6_rectification_photos_are_checked_like_every_upload(
    verified_case, enterprise_user
):
    item = open_item(verified_case)
    disguised = SimpleUploadedFile("照片.png", b"MZ\x90\x00" + b"\x00" * 300)
    pdf = SimpleUploadedFile("说明.png", b"%PDF-1.4\n%%EOF\n")
    for bad in (disguised, pdf):
        with pytest.raises(ValidationError):
            onsite.rectification_report(
                actor=enterprise_user, rectification=item, note="已整改", photos=[bad]
            )
    with pytest.raises(ValidationError):
        onsite.rectification_report(
            actor=enterprise_user,
            rectification=item,
            note="已整改",
            photos=[builders.png_upload(f"{n}.png") for n in range(11)],
        )
    item.refresh_from_db()
    assert item.status == Rectification.Status.OPEN and not RectificationPhoto.objects.exists()


def test_r_decl_6_rectification_photos_through_the_api_and_the_page(verified_case, enterprise_user):
    item = open_item(verified_case)
    response = client_for(enterprise_user).post(
        f"{CASES}{verified_case.pk}/rectifications/{item.pk}/report/",
        {"note": "已整改", "photos": [builders.png_upload()]},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    assert [p["name"] for p in response.json()["photos"]] == ["现场.png"]
    page = Client()
    page.force_login(enterprise_user)
    response = page.post(
        f"/review/rectifications/{item.pk}/",
        {"note": "补充照片", "photos": [builders.png_upload("补充.png")]},
    )
    assert response.status_code == 302
    assert item.photos.count() == 2


def test_r_rev_6_panel_expert_reads_the_evidence_of_its_cases_only(
    verified_case, n31_expert, declaration
):
    evidence = Evidence.objects.filter(declaration=verified_case.declaration).first()
    assert evidence is not None
    expert = Client()
    expert.force_login(n31_expert)
    url = f"/review/cases/{verified_case.pk}/evidence/{evidence.pk}/"
    assert expert.get(url).status_code == 200
    html = expert.get(f"/review/cases/{verified_case.pk}/").content.decode()
    assert url in html
    # The declarations stage still answers 404 to an expert.
    assert expert.get(f"/declarations/evidence/{evidence.pk}/download/").status_code == 404
    listed = client_for(n31_expert).get(f"{CASES}{verified_case.pk}/evidence/").json()
    assert evidence.pk in [e["id"] for e in listed] and listed[0]["download_url"]
    # Another expert of the industry, not on the panel, sees nothing.
    outsider = Client()
    outsider.force_login(builders.expert("N31", pool="410100"))
    assert outsider.get(url).status_code == 404
    assert (
        client_for(builders.expert("N31")).get(f"{CASES}{verified_case.pk}/evidence/").status_code
        == 404
    )
    # Evidence of another declaration through this case: 404 as well.
    other_user = factories.enterprise_user(factories.enterprise())
    other = builders.submitted(other_user)
    foreign = Evidence.objects.filter(declaration=other).first()
    assert expert.get(f"/review/cases/{verified_case.pk}/evidence/{foreign.pk}/").status_code == 404
