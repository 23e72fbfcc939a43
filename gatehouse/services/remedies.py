"""Where a subject can turn for help, and the language to tell them in."""

from __future__ import annotations

from gatehouse.domain.errors import NotFound
from gatehouse.domain.policy import RulePack
from gatehouse.domain.subjects import Subject
from gatehouse.services.runtime import Gatehouse

__all__ = ["remedies", "language_of", "remedies_for"]


def remedies(pack: RulePack, language: str) -> list[dict[str, str]]:
    """The pack's public remedies (e.g. 118, 1833-6972, 1301, 182) in ``language``."""
    return [
        {
            "name": remedy.name.text(language, pack.required_language),
            "phone": remedy.phone,
            "url": remedy.url,
        }
        for remedy in pack.remedies
    ]


def language_of(subject: Subject, pack: RulePack) -> str:
    """The pack language to speak to this subject in: their locale's, else the required one."""
    language = subject.locale.split("-")[0].lower()
    return language if language in pack.languages else pack.required_language


def remedies_for(gh: Gatehouse, subject_id: str) -> list[dict[str, str]]:
    """The remedies of the subject's rule pack, in the subject's language (erased or not)."""
    with gh.unit_of_work(read_only=True) as uow:
        subject = uow.subjects.get(subject_id)
    if subject is None:
        raise NotFound(f"no subject with id {subject_id!r}", code="subject_not_found")
    pack = gh.packs.by_id(subject.rule_pack)
    return remedies(pack, language_of(subject, pack))
