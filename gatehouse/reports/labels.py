"""What the reader sees for each code of the audit model: findings, figures, exceptions.

Every label here is an English msgid of the ``audit`` catalog, translated when the report is
rendered. A figure's meaning depends on its finding (``refused`` counts transfers under the
lawful basis, consents under Art. 22), so figures are labelled per finding. A code the tables do
not know is shown as itself: the report then says less than it could, but nothing false.
"""

from __future__ import annotations

from collections.abc import Callable

from gatehouse.domain.audit import Category, FindingKey
from gatehouse.reports.i18n import N_

__all__ = ["FINDING_TITLES", "category_label", "figure_label", "finding_title", "is_breach"]

FINDING_TITLES: dict[FindingKey, str] = {
    FindingKey.BASIS: N_("Lawful basis for overseas transfers"),
    FindingKey.NOTICE: N_("Information given to data subjects before an overseas transfer"),
    FindingKey.SUSPENSION: N_("Suspension of overseas transfers"),
    FindingKey.CONSENT: N_("How consent is obtained"),
    FindingKey.REQUESTS: N_(
        "Data subjects' requests for access, correction, erasure or suspension"
    ),
    FindingKey.ERASURE: N_("Destruction and erasure of personal data"),
    FindingKey.INCIDENTS: N_("Notification and report of personal data breaches"),
    FindingKey.POLICY: N_("Privacy policy"),
}

_FIGURES: dict[FindingKey, dict[str, str]] = {
    FindingKey.BASIS: {
        "allowed": N_("Transfers allowed"),
        "refused": N_("Transfers refused"),
        "without_basis": N_("Transfers allowed without a recorded lawful basis"),
        "basis_not_permitted": N_(
            "Transfers on a basis the rule pack does not permit for their flow or recipient"
        ),
    },
    FindingKey.NOTICE: {
        "allowed": N_("Transfers allowed"),
        "consent_based": N_("Transfers on separate consent"),
        "with_notice": N_("Transfers whose notice is on record"),
        "disclosure_based": N_("Transfers on a published disclosure"),
        "notices": N_("Notices recorded"),
        "unresolved": N_("Transfers whose notice cannot be found"),
    },
    FindingKey.SUSPENSION: {
        "suspensions": N_("Suspensions ordered"),
        "resumptions": N_("Suspensions lifted"),
        "transfers_checked": N_("Transfers checked against suspensions"),
        "breaches": N_("Transfers allowed during a suspension"),
        "refused_while_suspended": N_("Transfers refused because of a suspension"),
    },
    FindingKey.CONSENT: {
        "granted": N_("Consents given"),
        "refused": N_("Consents refused"),
        "withdrawn": N_("Consents withdrawn"),
        "notices": N_("Notices recorded"),
        "without_notice": N_("Consents without a notice on record"),
    },
    FindingKey.REQUESTS: {
        "created": N_("Requests received"),
        "resolved": N_("Requests resolved"),
        "on_time": N_("Resolved within the deadline"),
        "late": N_("Resolved after the deadline"),
        "open_overdue": N_("Open past the deadline"),
        "open_in_time": N_("Open within the deadline"),
    },
    FindingKey.ERASURE: {
        "deletions": N_("Accounts deleted"),
        "erasure_notices": N_("Erasure requests sent to recipients"),
        "acknowledged": N_("Erasures acknowledged by the recipient"),
        "acknowledged_late": N_("Erasures acknowledged after the deadline"),
        "unacknowledged": N_("Erasures not acknowledged"),
        "escalated": N_("Unacknowledged erasures escalated"),
    },
    FindingKey.INCIDENTS: {
        "opened": N_("Breaches recorded"),
        "report_required": N_("Breaches to be reported to the Commission"),
        "notified_on_time": N_("Notified within 72 hours"),
        "notified_late": N_("Notified after 72 hours"),
        "overdue": N_("Past 72 hours and not yet notified"),
    },
    FindingKey.POLICY: {
        "published": N_("Versions published in the period"),
        "versions": N_("Versions on record"),
    },
}

# The lawful bases of Art. 28-8(1), by the pack's codes, with the item each one is.
_BASES: dict[str, str] = {
    "SEPARATE_CONSENT": N_("Lawful basis: separate consent (item 1)"),
    "LAW_TREATY": N_("Lawful basis: statute or treaty (item 2)"),
    "CONTRACT_ENTRUST_STORE": N_(
        "Lawful basis: entrusted processing or storage for a contract (item 3)"
    ),
    "RECIPIENT_CERTIFIED": N_("Lawful basis: recipient's certification (item 4)"),
    "ADEQUATE_COUNTRY": N_("Lawful basis: adequacy recognised by the Commission (item 5)"),
}

_REFUSALS: dict[str, str] = {
    "no_lawful_basis": N_("Refused: no lawful basis"),
    "recipient_not_eligible": N_("Refused: recipient not eligible"),
    "recipient_suspended": N_("Refused: recipient suspended"),
    "country_suspended": N_("Refused: country suspended"),
    "subject_deleted": N_("Refused: the customer deleted their account"),
    "flow_not_permitted": N_("Refused: flow not permitted for the recipient"),
}

_CATEGORIES: dict[Category, str] = {
    Category.TRANSFER_REFUSED: N_("Transfer refused"),
    Category.TRANSFER_WITHOUT_BASIS: N_("Transfer allowed without a recorded lawful basis"),
    Category.BASIS_NOT_PERMITTED: N_("Transfer on a basis not permitted for its flow or recipient"),
    Category.NOTICE_UNRESOLVED: N_("Notice of the transfer cannot be found"),
    Category.SUSPENSION_BREACH: N_("Transfer allowed during a suspension"),
    Category.RECIPIENT_INELIGIBLE: N_("Recipient not eligible"),
    Category.CONSENT_WITHOUT_NOTICE: N_("Consent without a notice on record"),
    Category.REQUEST_LATE: N_("Request resolved after the deadline"),
    Category.REQUEST_OVERDUE: N_("Request open past the deadline"),
    Category.ERASURE_UNACKNOWLEDGED: N_("Erasure not acknowledged"),
    Category.ERASURE_ACKNOWLEDGED_LATE: N_("Erasure acknowledged after the deadline"),
    Category.INCIDENT_LATE: N_("Breach notified after 72 hours"),
    Category.INCIDENT_OVERDUE: N_("Breach past 72 hours and not yet notified"),
}


def figure_label(finding: FindingKey, key: str, gettext: Callable[[str], str]) -> str:
    """The label of a figure in the reader's language.

    ``basis.<CODE>`` and ``refused.<reason>`` name the code after the dot; one the tables do
    not know keeps its family's words and shows the code itself, and an unknown key is shown
    as it is.
    """
    known = _FIGURES.get(finding, {}).get(key)
    if known is not None:
        return gettext(known)
    family, _, code = key.partition(".")
    if family == "basis" and code:
        if code in _BASES:
            return gettext(_BASES[code])
        return gettext(N_("Lawful basis: %(code)s")) % {"code": code}
    if family == "refused" and code:
        if code in _REFUSALS:
            return gettext(_REFUSALS[code])
        return gettext(N_("Refused: %(code)s")) % {"code": code}
    return key


def category_label(category: str, gettext: Callable[[str], str]) -> str:
    """The label of an exception's category in the reader's language, or its code."""
    for known, label in _CATEGORIES.items():
        if known == category:
            return gettext(label)
    return str(category)


def is_breach(category: str) -> bool:
    """Whether an exception shows a duty broken; a category the model does not know counts
    as one, so the report never plays down what it cannot read."""
    known = next((c for c in Category if c == category), None)
    return True if known is None else known.breach


def finding_title(key: FindingKey, gettext: Callable[[str], str]) -> str:
    """The heading of a finding in the reader's language."""
    return gettext(FINDING_TITLES[key])
