"""Onboarding with trust: consents at sign-up, enterprise sellers vetted, what a waiting
person is told, the business licence, the approval queue, suspensions with a reason."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Organization, User
from marketplace.core.models import audit_trail

from ..factories import PASSWORD, OrganizationFactory, UserFactory, user_with_role
from .test_registration import form

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- Consents -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "terms_message", "privacy_message"),
    [
        ("zh", "须同意用户协议才能创建账户", "须同意隐私政策才能创建账户"),
        (
            "en",
            "Accept the user agreement to create an account",
            "Accept the privacy policy to create an account",
        ),
    ],
)
def test_sign_up_needs_both_consents(client, db, lang, terms_message, privacy_message):
    before = (_count(db, User), _count(db, Organization))
    data = form()
    del data["accept_terms"], data["accept_privacy"]
    response = client.post(f"/register?lang={lang}", data=data)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert terms_message in text and privacy_message in text
    assert (_count(db, User), _count(db, Organization)) == before
    only_terms = client.post(f"/register?lang={lang}", data=form(accept_privacy=""))
    assert privacy_message in only_terms.get_data(as_text=True)
    assert terms_message not in only_terms.get_data(as_text=True)
    assert (_count(db, User), _count(db, Organization)) == before


def test_the_sign_up_form_links_the_agreement_and_the_policy(client, db):
    page = client.get("/register").get_data(as_text=True)
    assert 'href="/terms"' in page and 'href="/privacy"' in page
    assert "我已阅读并同意用户协议" in page and "我已阅读并同意隐私政策" in page


def test_the_consent_time_is_kept(client, db):
    assert client.post("/register", data=form()).status_code == 302
    user = db.session.scalar(select(User).where(User.email == "wang@example.cn"))
    assert user.terms_accepted_at is not None and user.privacy_accepted_at is not None


@pytest.mark.parametrize(
    ("path", "lang", "heading", "phrase"),
    [
        ("/terms", "zh", "用户协议", "合同由当事人之间订立"),
        ("/terms", "en", "User agreement", "Contracts are concluded between the parties"),
        ("/privacy", "zh", "隐私政策", "个人信息保护法"),
        ("/privacy", "en", "Privacy policy", "Personal Information Protection Law"),
    ],
)
def test_the_agreement_and_the_policy_read_in_both_languages(client, db, path, lang, heading, phrase):
    response = client.get(f"{path}?lang={lang}")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and f"<h1>{heading}</h1>" in text and phrase in text


# --- Vetting ------------------------------------------------------------------


def test_a_new_enterprise_seller_waits_for_an_administrator(client, db):
    client.post("/register", data=form(role="seller"))
    user = db.session.scalar(select(User).where(User.email == "wang@example.cn"))
    assert user.organization.status == "pending"
    assert not user.has_powers and user.acting_role == "member"
    user.organization.status = "approved"
    assert user.acting_role == "seller"


def test_a_university_seller_is_not_held_up(client, db):
    client.post("/register", data=form(role="seller", org_kind="university", uscc=""))
    client.post("/register", data=form(role="seller", org_kind="university"))
    user = db.session.scalar(select(User).where(User.email == "wang@example.cn"))
    assert user.organization.status == "approved" and user.has_powers


@pytest.mark.parametrize(
    ("lang", "what", "who"),
    [
        ("zh", "正在等待平台管理员审核", "平台管理员将审核机构信息及其营业执照"),
        ("en", "is waiting for approval by a platform administrator", "A platform administrator checks"),
    ],
)
def test_a_pending_member_is_told_what_they_wait_for_on_a_refused_page(client, db, login_as, lang, what, who):
    org = OrganizationFactory(kind="enterprise", pending=True, name="哈尔滨待审科技有限公司")
    login_as(UserFactory(role="seller", organization=org))
    refused = client.get(f"/listings/new?lang={lang}")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 404  # the status stays: nothing is revealed
    assert 'id="waiting-for-approval"' in text and what in text and who in text
    assert "哈尔滨待审科技有限公司" in text
    page = client.get(f"/account/organization?lang={lang}").get_data(as_text=True)
    assert 'id="waiting-for-approval"' in page and what in page


def test_a_pending_membership_is_explained_too(client, db, login_as):
    login_as(UserFactory(role="seller", pending_member=True))
    text = client.get("/listings/new").get_data(as_text=True)
    assert "成员资格正在等待平台管理员审核" in text


def test_an_approved_user_sees_a_plain_404(client, db, login_as):
    login_as("buyer")
    text = client.get("/listings/999999").get_data(as_text=True)
    assert 'id="waiting-for-approval"' not in text


# --- Business licence ---------------------------------------------------------


def _pending_seller():
    org = OrganizationFactory(kind="enterprise", pending=True, name="哈尔滨执照测试有限公司")
    return UserFactory(role="seller", organization=org)


def test_a_member_uploads_the_licence_and_an_admin_sees_it(app, client, db, login_as):
    seller = login_as(_pending_seller())
    response = client.post(
        "/account/organization/licence",
        data={"licence": (io.BytesIO(PDF), "营业执照.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    org = seller.organization
    trail = audit_trail(org)
    assert trail[-1].action == "organization.licence_uploaded" and trail[-1].actor_id == seller.id
    page = client.get("/account/organization").get_data(as_text=True)
    assert "营业执照.pdf" in page
    admin_client = app.test_client()
    admin = user_with_role("admin")
    with admin_client.session_transaction() as s:
        s["_user_id"] = str(admin.id)
    detail = admin_client.get(f"/admin/organizations/{org.id}").get_data(as_text=True)
    assert "哈尔滨执照测试有限公司" in detail and org.uscc in detail and "营业执照.pdf" in detail
    link = f"/admin/organizations/{org.id}/licence/"
    attachment_id = detail.split(link, 1)[1].split('"', 1)[0]
    download = admin_client.get(link + attachment_id)
    assert download.status_code == 200 and download.data == PDF
    download.close()
    # Another organization's member cannot fetch it.
    login_as("buyer")
    assert client.get(f"/account/organization/licence/{attachment_id}").status_code == 404


@pytest.mark.parametrize(
    ("lang", "message"), [("zh", "PDF"), ("en", "Only PDF, PNG and JPEG files are accepted")]
)
def test_a_licence_that_is_not_a_pdf_or_an_image_is_refused(client, db, login_as, lang, message):
    login_as(_pending_seller())
    response = client.post(
        f"/account/organization/licence?lang={lang}",
        data={"licence": (io.BytesIO(b"MZ\x90\x00 not a licence"), "licence.exe")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and message in response.get_data(as_text=True)


# --- The queue ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "heading"), [("zh", "待审核的机构"), ("en", "Organizations waiting for approval")]
)
def test_the_admin_queue_counts_what_waits(client, db, login_as, lang, heading):
    login_as("admin")
    OrganizationFactory(kind="enterprise", pending=True, name="待审企业甲")
    OrganizationFactory(kind="agency", pending=True, name="待审机构乙")
    UserFactory(pending_member=True, name="待审成员丙")
    UserFactory(pending_member=True, suspended=True, name="已暂停成员")
    page = client.get(f"/admin/?lang={lang}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"{heading} (2)" in text
    assert "待审企业甲" in text and "待审机构乙" in text and "待审成员丙" in text
    assert "已暂停成员" not in text
    counts = text.split('id="approval-counts"', 1)[1].split("</dl>", 1)[0]
    assert "<dd>2</dd>" in counts and "<dd>1</dd>" in counts
    tabs = client.get(f"/admin/users?lang={lang}").get_data(as_text=True)
    assert '<span class="count">3</span>' in tabs


def test_the_queue_is_for_admins_only(client, db, login_as):
    login_as("regulator")
    assert client.get("/admin/").status_code == 404
    assert client.get(f"/admin/organizations/{OrganizationFactory().id}").status_code == 404


def test_the_queue_query_count_does_not_grow(client, db, login_as, count_queries):
    login_as("admin")
    OrganizationFactory(pending=True)
    UserFactory(pending_member=True)
    client.get("/admin/")
    with count_queries() as q1:
        client.get("/admin/")
    for _ in range(19):
        OrganizationFactory(pending=True)
        UserFactory(pending_member=True)
    with count_queries() as q20:
        client.get("/admin/")
    assert q20.count == q1.count


def test_an_admin_approves_from_the_organization_page(client, db, login_as):
    admin = login_as("admin")
    org = OrganizationFactory(kind="enterprise", pending=True)
    seller = UserFactory(role="seller", organization=org)
    response = client.post(
        f"/admin/organizations/{org.id}/approve", data={"next": f"/admin/organizations/{org.id}"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/admin/organizations/{org.id}"
    )
    assert org.status == "approved" and seller.acting_role == "seller"
    assert audit_trail(org)[-1].actor_id == admin.id


# --- Suspensions --------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "message"), [("zh", "请填写暂停原因"), ("en", "Give the reason for the suspension")]
)
def test_a_suspension_needs_a_reason(client, db, login_as, lang, message):
    login_as("admin")
    victim = UserFactory()
    org = OrganizationFactory()
    client.post(f"/admin/users/{victim.id}/suspend?lang={lang}", data={"reason": "  "})
    client.post(f"/admin/organizations/{org.id}/suspend?lang={lang}")
    assert victim.status == "active" and org.status == "approved"
    page = client.get(f"/admin/users?lang={lang}").get_data(as_text=True)
    assert message in page


def test_the_reason_is_in_the_trail_and_told_to_the_suspended_user(app, client, db, login_as):
    login_as("admin")
    victim = UserFactory(email="victim@example.cn")
    client.post(f"/admin/users/{victim.id}/suspend", data={"reason": "冒用他人专利挂牌"})
    assert victim.status == "suspended" and victim.suspension_reason == "冒用他人专利挂牌"
    event = audit_trail(victim)[-1]
    assert event.to_state == "suspended" and event.data == {"reason": "冒用他人专利挂牌"}
    assert "冒用他人专利挂牌" in client.get(f"/admin/users/{victim.id}").get_data(as_text=True)
    other = app.test_client()
    told = other.post("/login", data={"email": "victim@example.cn", "password": PASSWORD})
    assert "该账户已被平台管理员暂停：冒用他人专利挂牌" in told.get_data(as_text=True)
    wrong = other.post("/login?lang=en", data={"email": "victim@example.cn", "password": "wrong-password-1"})
    assert "冒用他人专利挂牌" not in wrong.get_data(as_text=True)  # not without the password
    client.post(f"/admin/users/{victim.id}/reinstate")
    assert victim.status == "active" and victim.suspension_reason is None


def test_members_of_a_suspended_organization_are_told_its_reason(app, client, db, login_as):
    login_as("admin")
    org = OrganizationFactory()
    UserFactory(email="member@example.cn", organization=org)
    client.post(f"/admin/organizations/{org.id}/suspend", data={"reason": "Licence revoked"})
    assert org.status == "suspended" and audit_trail(org)[-1].data == {"reason": "Licence revoked"}
    told = app.test_client().post("/login?lang=en", data={"email": "member@example.cn", "password": PASSWORD})
    assert "This account is suspended by the platform administrator: Licence revoked" in told.get_data(
        as_text=True
    )


# --- Over-long names ----------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "message"),
    [("zh", "最多 100 个字符（现为 101 个）"), ("en", "At most 100 characters (this has 101)")],
)
def test_an_over_long_name_is_refused_not_cut(client, db, login_as, lang, message):
    page = client.get("/register").get_data(as_text=True)
    assert "maxlength" not in page  # a browser would cut what is pasted beyond it, silently
    response = client.post(f"/register?lang={lang}", data=form(name="王" * 101))
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert _count(db, User) == 0
    user = login_as("buyer")
    before = user.name
    client.post(f"/account/profile?lang={lang}", data={"name": "李" * 101, "phone": "", "locale": "zh_Hans"})
    assert user.name == before


def test_the_service_refuses_an_over_long_name_too(app, db):
    from marketplace.accounts import services
    from marketplace.core.errors import ValidationError

    user = UserFactory()
    with app.test_request_context(), pytest.raises(ValidationError) as refused:
        services.update_profile(user, name="名" * 101, phone=None, locale=None, actor=user)
    assert "name" in refused.value.fields
