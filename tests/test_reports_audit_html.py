"""The audit report as HTML: headings, articles, labelled figures, exceptions, charts, escaping.

The reports are built by hand (no database): every finding, exceptions beyond the listing
limit, three months, three countries, and a detail that carries markup.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from gatehouse.domain.audit import (
    ARTICLES,
    AuditReport,
    Category,
    EvidenceEntry,
    Figure,
    Finding,
    FindingKey,
    Integrity,
    Irregularity,
    SeriesPoint,
)
from gatehouse.reports import render_audit_html
from gatehouse.reports.html import css_string
from gatehouse.reports.view import EXCEPTIONS_SHOWN

# The listing limit this report was built with: findings hold at most this many exceptions.
LISTED = 3
MARKUP = '<script>alert("x")</script>'
START = datetime(2026, 7, 1, tzinfo=UTC)
END = datetime(2026, 10, 1, tzinfo=UTC)


def _entry(shard: int, seq: int, kind: str, *, proved: bool = True) -> EvidenceEntry:
    proof = None
    if proved:
        proof = {
            "shard": shard,
            "seq": seq,
            "tree_size": seq + 40,
            "leaf_hash": "ab" * 32,
            "audit_path": ["cd" * 32],
            "shard_root": "ef" * 32,
            "checkpoint_sequence": 17,
            "checkpoint_path": ["01" * 32],
        }
    return EvidenceEntry(
        shard=shard,
        seq=seq,
        kind=kind,
        at=START + timedelta(days=seq, hours=3),
        entry_hash=f"{shard:02x}{seq:04x}" + "9f" * 29,
        detail={"recipient_id": f"rcp_{seq}"},
        proof=proof,
    )


def _figures(**values: int) -> tuple[Figure, ...]:
    return tuple(Figure(key.replace("__", "."), value) for key, value in values.items())


def _basis() -> Finding:
    refused = [
        Irregularity(
            Category.TRANSFER_REFUSED,
            START + timedelta(days=10 + i),
            {"reason": "no_lawful_basis", "recipient_id": f"rcp_{i}"},
            _entry(3, 100 + i, "transfer.refused", proved=False),
        )
        for i in range(LISTED - 1)
    ]
    injected = Irregularity(
        Category.TRANSFER_WITHOUT_BASIS,
        START + timedelta(days=20),
        {"note": MARKUP},
        _entry(5, 210, "transfer.allowed"),
    )
    figures = (
        *_figures(allowed=1234, refused=7, without_basis=1),
        Figure("basis.SEPARATE_CONSENT", 1000),
        Figure("basis.CONTRACT_ENTRUST_STORE", 200),
        Figure("basis.LAW_TREATY", 30),
        Figure("basis.RECIPIENT_CERTIFIED", 3),
        Figure("basis.ADEQUATE_COUNTRY", 1),
        Figure("basis.NEW_BASIS_CODE", 0),
        Figure("refused.no_lawful_basis", 4),
        Figure("refused.recipient_suspended", 2),
        Figure("refused.mystery_reason", 1),
    )
    return Finding(
        key=FindingKey.BASIS,
        figures=figures,
        samples=(_entry(1, 5, "transfer.allowed"), _entry(2, 9, "transfer.allowed", proved=False)),
        exceptions=(*refused, injected),
        exception_count=8,
        breaches=1,
    )


def _erasure() -> Finding:
    missing = Irregularity(
        Category.ERASURE_UNACKNOWLEDGED,
        START + timedelta(days=40),
        {"erasure_id": "era_77", "recipient_id": "rcp_9"},
        None,
    )
    return Finding(
        key=FindingKey.ERASURE,
        figures=_figures(
            deletions=4,
            erasure_notices=6,
            acknowledged=5,
            acknowledged_late=0,
            unacknowledged=1,
            escalated=1,
        ),
        samples=(_entry(4, 12, "erasure.acknowledged"),),
        exceptions=(missing,),
        exception_count=1,
        breaches=1,
    )


def _others() -> tuple[Finding, ...]:
    def plain(key: FindingKey, figures: tuple[Figure, ...], kind: str) -> Finding:
        samples = (_entry(6, 30, kind),) if any(f.value for f in figures) else ()
        return Finding(key, figures, samples, (), 0)

    return (
        plain(
            FindingKey.NOTICE,
            _figures(
                allowed=1234,
                consent_based=1000,
                with_notice=1000,
                disclosure_based=234,
                notices=980,
                unresolved=0,
            ),
            "transfer.allowed",
        ),
        plain(
            FindingKey.SUSPENSION,
            _figures(
                suspensions=1,
                resumptions=1,
                transfers_checked=1241,
                breaches=0,
                refused_while_suspended=2,
            ),
            "recipient.suspended",
        ),
        plain(
            FindingKey.CONSENT,
            _figures(granted=1000, refused=12, withdrawn=3, notices=1015, without_notice=0),
            "consent.granted",
        ),
        plain(
            FindingKey.REQUESTS,
            _figures(created=5, resolved=5, on_time=5, late=0, open_overdue=0, open_in_time=0),
            "request.resolved",
        ),
        plain(
            FindingKey.INCIDENTS,
            _figures(opened=0, report_required=0, notified_on_time=0, notified_late=0, overdue=0),
            "incident.opened",
        ),
        plain(FindingKey.POLICY, _figures(published=1, versions=3), "policy.published"),
    )


def audit_report(*, controller: str | None = "주식회사 게이트하우스 마켓") -> AuditReport:
    """A quarter with every finding, in the report's order."""
    others = {f.key: f for f in _others()}
    findings = [_basis(), *(others[k] for k in (FindingKey.NOTICE, FindingKey.SUSPENSION))]
    findings += [others[FindingKey.CONSENT], others[FindingKey.REQUESTS], _erasure()]
    findings += [others[FindingKey.INCIDENTS], others[FindingKey.POLICY]]
    return AuditReport(
        start=START,
        end=END,
        generated_at=datetime(2026, 10, 2, 1, 30, tzinfo=UTC),
        controller=controller,
        entries=25_317,
        findings=tuple(findings),
        by_month=(
            SeriesPoint("2026-07", 400, 3),
            SeriesPoint("2026-08", 410, 2),
            SeriesPoint("2026-09", 424, 2),
        ),
        by_country=(
            SeriesPoint("CN", 700, 4),
            SeriesPoint("US", 300, 2),
            SeriesPoint("JP", 234, 1),
        ),
        integrity=Integrity(
            ok=True,
            entries=25_317,
            first_bad=None,
            checkpoint_sequence=17,
            checkpoint_at=datetime(2026, 10, 1, 23, 0, tzinfo=UTC),
            uncovered=42,
            scope="window",
            shards_proven=16,
        ),
    )


def quiet_report() -> AuditReport:
    """A window with nothing in it, and a ledger that fails to verify."""
    empty = tuple(Finding(key, (), (), (), 0) for key in FindingKey)
    return AuditReport(
        start=START,
        end=END,
        generated_at=END,
        controller=None,
        entries=0,
        findings=empty,
        by_month=(),
        by_country=(),
        integrity=Integrity(
            ok=False,
            entries=10,
            first_bad="3:7",
            checkpoint_sequence=None,
            checkpoint_at=None,
            uncovered=0,
        ),
    )


class _Sections(HTMLParser):
    """Text of the document, and of each finding's section, with its table rows."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.section: str | None = None
        self.sections: dict[str, list[str]] = {}
        # data-key of a figure row -> the cells' text
        self.figures: dict[str, dict[str, list[str]]] = {}
        self._figure: str | None = None
        self._hidden = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        ident = attributes.get("id") or ""
        self._hidden = tag in {"style", "title"}
        if tag == "section":
            self.section = ident.removeprefix("finding-") if ident.startswith("finding-") else None
            if self.section:
                self.sections[self.section] = []
                self.figures[self.section] = {}
        if tag == "tr" and self.section and attributes.get("data-key"):
            self._figure = attributes["data-key"]
            self.figures[self.section][self._figure] = []

    def handle_endtag(self, tag: str) -> None:
        self._hidden = False
        if tag == "tr":
            self._figure = None
        if tag == "section":
            self.section = None

    def handle_data(self, data: str) -> None:
        if self._hidden or not data.strip():
            return
        self.text.append(data.strip())
        if self.section:
            self.sections[self.section].append(data.strip())
            if self._figure:
                self.figures[self.section][self._figure].append(data.strip())


def parse(document: str) -> _Sections:
    parser = _Sections()
    parser.feed(document)
    return parser


@pytest.fixture(scope="module")
def korean() -> str:
    return render_audit_html(audit_report())


@pytest.fixture(scope="module")
def english() -> str:
    return render_audit_html(audit_report(), locale="en")


def test_korean_is_the_default_with_the_title_the_window_and_the_controller(korean: str) -> None:
    text = " ".join(parse(korean).text)
    assert '<html lang="ko">' in korean
    assert "「개인정보 보호법」 준수 감사 보고서" in text
    # The end is exclusive: a window ending on 1 October shows 30 September as its last day.
    assert "2026년 7월 1일부터 2026년 9월 30일까지" in text
    assert "2026-07-01 00:00:00 UTC부터 2026-10-01 00:00:00 UTC 전까지 기록된 항목" in text
    assert "주식회사 게이트하우스 마켓" in text
    assert "2026-10-02 01:30:00 UTC" in text
    assert "25,317" in text
    for heading in ("요약", "원장 무결성", "국외 이전 결정 현황", "증거에 관하여"):
        assert f">{heading}</h2>" in korean


def test_each_finding_has_its_korean_heading_and_article_in_report_order(korean: str) -> None:
    sections = parse(korean).sections
    assert list(sections) == [str(f.key) for f in audit_report().findings]
    titles = {
        FindingKey.BASIS: "개인정보 국외 이전의 근거",
        FindingKey.NOTICE: "국외 이전에 관하여 정보주체에게 알려야 할 사항",
        FindingKey.SUSPENSION: "개인정보 국외 이전의 중지",
        FindingKey.CONSENT: "동의를 받는 방법",
        FindingKey.REQUESTS: "정보주체의 열람·정정·삭제·처리정지 요구",
        FindingKey.ERASURE: "개인정보의 파기 및 삭제",
        FindingKey.INCIDENTS: "개인정보 유출 등의 통지·신고",
        FindingKey.POLICY: "개인정보 처리방침의 수립 및 공개",
    }
    for key, article in ARTICLES.items():
        section = sections[str(key)]
        assert titles[key] in section
        assert article in section
        # The summary table carries the article too, once per finding.
        assert korean.count(f'<td class="article">{article}</td>') == 1


def test_summary_words_each_status_for_a_reader(korean: str) -> None:
    rows = re.findall(r'<tr class="status-(\w+)" data-finding="(\w+)">(.*?)</tr>', korean, re.S)
    status = {finding: (cls, body) for cls, finding, body in rows}
    assert status["basis"][0] == "exceptions"
    assert "예외 1건" in status["basis"][1]
    assert "이상 없음" in status["notice"][1]
    assert "해당 기간 활동 없음" in status["incidents"][1]


def test_every_figure_has_its_label_and_value(korean: str) -> None:
    figures = parse(korean).figures
    basis = figures["basis"]
    assert basis["allowed"] == ["허용된 국외 이전", "1,234"]
    assert basis["basis.SEPARATE_CONSENT"] == ["근거: 정보주체의 별도 동의(제1호)", "1,000"]
    assert basis["basis.CONTRACT_ENTRUST_STORE"][0].endswith("(제3호)")
    assert basis["refused.no_lawful_basis"] == ["거부 사유: 이전 근거 없음", "4"]
    # A code the renderer does not know keeps its family's words and shows the code itself.
    assert basis["basis.NEW_BASIS_CODE"] == ["근거: NEW_BASIS_CODE", "0"]
    assert basis["refused.mystery_reason"] == ["거부 사유: mystery_reason", "1"]
    # The same key means different things in different findings.
    assert figures["consent"]["refused"] == ["거부된 동의", "12"]
    for finding in audit_report().findings:
        for figure in finding.figures:
            label = figures[str(finding.key)][figure.key][0]
            if figure.key not in {"basis.NEW_BASIS_CODE", "refused.mystery_reason"}:
                assert figure.key not in label, (finding.key, figure.key)


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_every_documented_figure_key_gets_a_label_in_both_languages(locale: str) -> None:
    keys = {
        FindingKey.BASIS: ["allowed", "refused", "without_basis"]
        + [
            f"basis.{code}"
            for code in (
                "SEPARATE_CONSENT",
                "CONTRACT_ENTRUST_STORE",
                "LAW_TREATY",
                "RECIPIENT_CERTIFIED",
                "ADEQUATE_COUNTRY",
            )
        ]
        + [
            f"refused.{reason}"
            for reason in (
                "no_lawful_basis",
                "recipient_not_eligible",
                "recipient_suspended",
                "country_suspended",
                "subject_deleted",
            )
        ],
        FindingKey.NOTICE: [
            "allowed",
            "consent_based",
            "with_notice",
            "disclosure_based",
            "notices",
            "unresolved",
        ],
        FindingKey.SUSPENSION: [
            "suspensions",
            "resumptions",
            "transfers_checked",
            "breaches",
            "refused_while_suspended",
        ],
        FindingKey.CONSENT: ["granted", "refused", "withdrawn", "notices", "without_notice"],
        FindingKey.REQUESTS: [
            "created",
            "resolved",
            "on_time",
            "late",
            "open_overdue",
            "open_in_time",
        ],
        FindingKey.ERASURE: [
            "deletions",
            "erasure_notices",
            "acknowledged",
            "acknowledged_late",
            "unacknowledged",
            "escalated",
        ],
        FindingKey.INCIDENTS: [
            "opened",
            "report_required",
            "notified_on_time",
            "notified_late",
            "overdue",
        ],
        FindingKey.POLICY: ["published", "versions"],
    }
    findings = tuple(
        Finding(key, tuple(Figure(k, 1) for k in names), (), (), 0) for key, names in keys.items()
    )
    report = AuditReport(
        START, END, END, None, 0, findings, (), (), Integrity(True, 0, None, None, None, 0)
    )
    figures = parse(render_audit_html(report, locale=locale)).figures
    hangul = re.compile("[가-힣]")
    for key, names in keys.items():
        for name in names:
            label = figures[str(key)][name][0]
            code = name.partition(".")[2] or name
            assert label not in {name, code}, (key, name)
            if locale == "ko":
                assert code not in label, (key, name)
            assert bool(hangul.search(label)) == (locale == "ko"), label


def test_each_exception_is_listed_with_its_ledger_id(korean: str) -> None:
    basis = " ".join(parse(korean).sections["basis"])
    for ledger_id in ("3:100", "3:101", "5:210"):
        assert ledger_id in basis
    assert basis.count("국외 이전 거부") == 2
    assert "근거 기록 없이 허용된 국외 이전" in basis
    assert "reason no_lawful_basis" in basis
    # A refusal is the control at work, listed but not counted against the operator.
    assert basis.count("참고: 통제가 작동한 기록으로, 예외로 세지 않습니다.") == 2
    erasure = parse(korean).sections["erasure"]
    assert "삭제 미확인" in erasure
    assert "era_77" in erasure
    # The absence of an acknowledgement has no entry of its own.
    assert "-" in erasure


def test_the_more_line_appears_exactly_when_exceptions_were_left_out(korean: str) -> None:
    sections = parse(korean).sections
    beyond = (
        "이 밖에 5건은 집계만 되고 목록에는 없습니다. "
        "모든 항목은 증거 묶음(gatehouse export)에 있습니다."
    )
    assert beyond in sections["basis"]
    assert not any("gatehouse export" in text for text in sections["erasure"])
    assert "audit.json" not in korean  # the five are not in audit.json either
    english = render_audit_html(audit_report(), locale="en")
    assert "5 more are counted but not listed; the evidence bundle" in english


def test_the_document_lists_a_hundred_exceptions_and_sends_to_audit_json_for_more() -> None:
    report = audit_report()
    basis = report.findings[0]
    many = tuple(basis.exceptions[0] for _ in range(EXCEPTIONS_SHOWN + 30))
    crowded = replace(basis, exceptions=many, exception_count=len(many))
    html = render_audit_html(replace(report, findings=(crowded, *report.findings[1:])))
    assert parse(html).sections["basis"].count("나머지 30건은 audit.json에 있습니다.") == 1
    basis_part = html.split('id="finding-basis"', 1)[1].split('id="finding-', 1)[0]
    exceptions_table = basis_part.split('<table class="exceptions">', 1)[1].split("</table>")[0]
    assert exceptions_table.count('<td class="when">') == EXCEPTIONS_SHOWN


def test_samples_show_id_kind_time_short_hash_and_proof(korean: str) -> None:
    basis = parse(korean).sections["basis"]
    assert "1:5" in basis
    assert "transfer.allowed" in basis
    assert "2026-07-06 03:00:00 UTC" in basis
    assert "01000" + "59f9f9f9f9f" + "…" in "".join(basis)
    assert "체크포인트 #17, 트리 크기 45" in basis
    assert "첨부되지 않음" in basis
    full = audit_report().findings[0].samples[0].entry_hash
    assert f'title="{full}"' in korean


def test_integrity_section_states_the_checkpoint_and_uncovered_entries(korean: str) -> None:
    text = " ".join(parse(korean).text)
    assert "해당 기간의 원장 항목을 검증한 결과 이상이 없습니다." in text
    assert "각 항목의 해시를 그 내용으로부터 다시 계산하였고" in text
    assert "서명된 체크포인트 #17의 대상인 항목은 포함 증명을 통해" in text
    assert "#17 (2026-10-01 23:00:00 UTC)" in text
    assert re.search(r"아직 증명이 없는 해당 기간의 항목 42", text)
    assert re.search(r"포함되어 있음을 증명한 원장 샤드 수 16", text)
    assert re.search(r"검증한 원장 항목 수 25,317", text)


def test_the_integrity_section_says_the_check_covers_the_period_only(
    korean: str, english: str
) -> None:
    """The window's verification is not the ledger's: the report says which it ran, and
    names the command that verifies the whole ledger."""
    text = " ".join(parse(korean).text)
    assert "이 검증은 해당 기간의 항목만을 대상으로 하며" in text
    assert "<code>gatehouse ledger verify</code> 명령으로 검증합니다." in korean
    assert "해당 기간의 첫 항목부터 마지막 항목까지의 모든 항목과 그 바로 앞뒤의 항목" in text
    assert "전체를 검증한 원장 샤드 수" not in text  # no archived entries in the period
    words = " ".join(parse(english).text)
    assert "This check covers the period's entries only, not the rest of the ledger." in words
    assert "proven included in it by an inclusion proof" in words
    whole = audit_report()
    whole = replace(whole, integrity=replace(whole.integrity, scope="ledger", shards_whole=2))
    text = " ".join(parse(render_audit_html(whole)).text)
    assert "원장 검증 결과 이상이 없습니다." in text and "검증 범위 원장 전체" in text
    assert "원장 전체도" in text and "이 검증은 해당 기간의" not in text
    assert re.search(r"전체를 검증한 원장 샤드 수 2", text)
    unproven = audit_report()
    unproven = replace(unproven, integrity=replace(unproven.integrity, shards_proven=0))
    text = " ".join(parse(render_audit_html(unproven)).text)
    assert "체크포인트에 포함되어 있음은 아직 증명되지 않았습니다." in text


def test_charts_are_inline_svg_with_month_and_country_labels(korean: str) -> None:
    charts = re.findall(r"<svg .*?</svg>", korean, re.S)
    assert len(charts) == 2
    months, countries = charts
    for month in ("2026-07", "2026-08", "2026-09"):
        assert f'data-label="{month}"' in months
    assert 'data-label="2026-08" data-first="410" data-second="2"' in months
    for label in ("CN 중국", "US 미국", "JP 일본"):
        assert f">{label}</text>" in countries
    # The same numbers in a table beside the chart, with totals.
    assert re.search(r"<th scope=\"row\">US 미국</th><td class=\"num\">300</td>", korean)
    assert korean.count('<td class="num">1,234</td><td class="num">7</td>') == 2


def test_the_document_loads_nothing_and_runs_nothing(korean: str) -> None:
    without_namespace = korean.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "http" not in without_namespace
    assert "url(" not in korean
    assert "<link" not in korean
    assert "src=" not in korean
    assert korean.count("<script") == 0
    # One stylesheet, in one element, so a page can allow it by its hash; no style attribute.
    assert korean.count("<style>") == 1
    assert " style=" not in korean


def test_values_in_details_and_names_are_escaped() -> None:
    document = render_audit_html(audit_report(controller=MARKUP))
    assert "<script" not in document
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in document
    assert document.count("&lt;script&gt;") == 3  # the detail, the cover and the meta list


def test_css_strings_cannot_leave_the_stylesheet() -> None:
    quoted = css_string('a"b\\c</style><b>\n')
    assert quoted.startswith('"') and quoted.endswith('"')
    inner = str(quoted)[1:-1]
    assert '"' not in inner and "<" not in inner and "\n" not in inner
    assert "\\22 " in inner and "\\3c " in inner


def test_english_rendering_has_english_headings(english: str) -> None:
    text = " ".join(parse(english).text)
    assert '<html lang="en">' in english
    assert "Compliance audit report under the Personal Information Protection Act" in text
    for heading in ("Summary", "Ledger integrity", "Overseas transfers decided"):
        assert f">{heading}</h2>" in english
    assert "Lawful basis for overseas transfers" in text
    assert "July 1, 2026 to September 30, 2026" in text
    assert "1 exception" in text
    assert "US United States" in text
    # The statute is cited in Korean, as the law is, in both languages.
    assert ARTICLES[FindingKey.BASIS] in text
    assert "요약" not in text


def test_a_quiet_window_and_a_broken_ledger_are_said_plainly() -> None:
    document = render_audit_html(quiet_report())
    text = " ".join(parse(document).text)
    # Once in the summary, once under each finding's heading.
    assert text.count("해당 기간 활동 없음") == 2 * len(FindingKey)
    assert "해당 기간의 원장 항목 검증에 실패했습니다." in text
    assert "처음으로 검증에 실패한 항목 3:7" in text
    assert "아직 서명된 체크포인트가 없음" in text
    assert document.count('<td colspan="3">해당 기간 국외 이전 없음</td>') == 2
    assert "주식회사" not in text


def test_an_unsupported_locale_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported locale"):
        render_audit_html(audit_report(), locale="fr")
