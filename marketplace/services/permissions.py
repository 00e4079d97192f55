"""Who may see and do what in the policy library, the providers' catalogue,
service requests and evaluations: pure predicates for views, API and templates.

- policies: anyone reads; admins and the provincial regulator add and edit;
- a provider profile: edited by the provider's own staff (role provider or
  financier, role in force) and admins; shown once the organization is approved;
- a service request: the requester side (members with powers of the requesting
  organization) and the provider side (its staff); admins read; nobody else
  (404); the provider quotes, declines, completes; the requester accepts,
  cancels and rates, once, after completion;
- an evaluation: the asset's owner side asks; the evaluation body records the
  result; both sides and admins see it; the result itself is public once
  completed (it shows on the asset's listings).
"""

from __future__ import annotations

from ..core.catalog import PROVINCE_CODE
from ..ip.permissions import is_owner_member
from .models import Evaluation, ProviderProfile, ServiceRequest
from .states import EvaluationStatus, RequestStatus

PROVIDER_ROLES = ("provider", "financier")


def _authed(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def can_manage_policies(user) -> bool:
    if not _authed(user):
        return False
    if user.is_admin:
        return True
    return user.acts_as("regulator") and user.scope_region == PROVINCE_CODE


def is_provider_staff(user, provider: ProviderProfile) -> bool:
    return _authed(user) and user.acts_as(*PROVIDER_ROLES) and user.organization_id == provider.org_id


def can_edit_profile(user, provider: ProviderProfile) -> bool:
    return is_provider_staff(user, provider) or (_authed(user) and user.is_admin)


def can_have_profile(user) -> bool:
    """Staff of an approved service provider or financial institution (role in force)."""
    return _authed(user) and user.acts_as(*PROVIDER_ROLES)


def is_listed(provider: ProviderProfile) -> bool:
    return provider.organization.is_approved


def can_view_provider(user, provider: ProviderProfile) -> bool:
    return is_listed(provider) or can_edit_profile(user, provider)


def can_request(user, provider: ProviderProfile) -> bool:
    """Any logged-in user whose role is in force, outside the provider itself."""
    return (
        _authed(user)
        and user.has_powers
        and not user.is_admin
        and is_listed(provider)
        and user.organization_id != provider.org_id
    )


def request_side(user, request: ServiceRequest) -> str | None:
    if not _authed(user):
        return None
    if is_provider_staff(user, request.provider):
        return "provider"
    if user.has_powers and user.organization_id == request.requester_org_id:
        return "requester"
    return None


def can_view_request(user, request: ServiceRequest) -> bool:
    return request_side(user, request) is not None or (_authed(user) and user.is_admin)


def can_quote(user, request: ServiceRequest) -> bool:
    return request_side(user, request) == "provider" and request.status in (
        RequestStatus.REQUESTED,
        RequestStatus.QUOTED,
    )


def can_decline(user, request: ServiceRequest) -> bool:
    return can_quote(user, request)


def can_accept(user, request: ServiceRequest) -> bool:
    return request_side(user, request) == "requester" and request.status == RequestStatus.QUOTED


def can_cancel(user, request: ServiceRequest) -> bool:
    return request_side(user, request) == "requester" and request.status in (
        RequestStatus.REQUESTED,
        RequestStatus.QUOTED,
    )


def can_complete(user, request: ServiceRequest) -> bool:
    return request_side(user, request) == "provider" and request.status == RequestStatus.ACCEPTED


def can_rate(user, request: ServiceRequest) -> bool:
    return (
        request_side(user, request) == "requester"
        and request.status == RequestStatus.COMPLETED
        and request.rating is None
    )


def can_post_message(user, request: ServiceRequest) -> bool:
    return request_side(user, request) is not None


def can_ask_evaluation(user, asset) -> bool:
    return is_owner_member(user, asset) and user.acts_as("seller")


def evaluation_side(user, evaluation: Evaluation) -> str | None:
    if is_provider_staff(user, evaluation.provider):
        return "provider"
    if _authed(user) and user.has_powers and user.organization_id == evaluation.requester_org_id:
        return "requester"
    return None


def can_view_evaluation(user, evaluation: Evaluation) -> bool:
    if evaluation.status == EvaluationStatus.COMPLETED:
        return True
    return evaluation_side(user, evaluation) is not None or (_authed(user) and user.is_admin)


def can_record_result(user, evaluation: Evaluation) -> bool:
    return evaluation_side(user, evaluation) == "provider" and evaluation.status == EvaluationStatus.REQUESTED


def can_see_report(user, evaluation: Evaluation) -> bool:
    """The report file: both sides and admins (the result's figures are public)."""
    return evaluation_side(user, evaluation) is not None or (_authed(user) and user.is_admin)


def can_record_startups(user, provider: ProviderProfile) -> bool:
    return is_provider_staff(user, provider) and provider.kind == "incubator"
