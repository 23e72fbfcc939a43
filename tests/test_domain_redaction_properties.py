"""Properties of the redaction engine over generated notes.

Valid identifiers in random spellings (separators, fullwidth digits, Korean dashes), set in
random Korean and English text: the engine must cover each one, never touch anything else, and
report offsets that map exactly between the original and the normalised text.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gatehouse.domain.redaction import PII_TOKENS, find_spans, normalise, redact
from gatehouse.domain.redaction.finance import luhn_ok

FULLWIDTH = {ord(d): chr(ord(d) + 0xFEE0) for d in "0123456789"}
SEPARATORS = ["-", " ", ".", "", "ㅡ", "–", " - ", "\u2212"]
# Words with no cue in them: cues are tested on their own; here the identifier has to stand.
WORDS = [
    "문 앞에",
    "놓아 주세요",
    "감사합니다",
    "경비실",
    "부탁드려요",
    "내일 오후",
    "빨리요",
    "please",
    "leave it",
    "thanks",
    "Hello",
    "3층",
    "101동 1203호",
    "35,000원",
    "2026-11-29",
    "ㅠㅠ",
    "!!",
]
HANGUL = "가나다라마바사아자차타파하고도로모보소오조초토포호 "
JOINERS = [" ", ", ", "\n", " / ", ": ", " (", "는 "]

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def digit_string(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


@st.composite
def phones(draw: st.DrawFn) -> str:
    prefix, mids = draw(
        st.sampled_from(
            [
                ("010", (4,)),
                ("011", (3, 4)),
                ("016", (3, 4)),
                ("019", (3, 4)),
                ("02", (3, 4)),
                ("031", (3, 4)),
                ("051", (3, 4)),
                ("064", (3, 4)),
                ("070", (4,)),
                ("0505", (3, 4)),
                ("0502", (4,)),
                ("080", (3,)),
            ]
        )
    )
    mid = draw(digit_string(draw(st.sampled_from(mids))))
    last = draw(digit_string(4))
    sep = draw(st.sampled_from(SEPARATORS))
    if draw(st.booleans()) and prefix != "0505":
        lead = draw(st.sampled_from(["+82 ", "+82-", "+82"]))
        return f"{lead}{prefix[1:]}{sep}{mid}{sep}{last}"
    if prefix == "02" and draw(st.booleans()):
        return f"(02) {mid}-{last}"
    number = f"{prefix}{sep}{mid}{sep}{last}"
    if sep == "" and draw(st.booleans()):
        number = " ".join(number)  # typed digit by digit
    return number.translate(FULLWIDTH) if draw(st.booleans()) else number


@st.composite
def registration_numbers(draw: st.DrawFn) -> str:
    year = draw(st.integers(0, 99))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28))
    gender = draw(st.sampled_from("12345678"))
    serial = draw(digit_string(6))
    sep = draw(st.sampled_from(["-", " - ", "ㅡ", "–"]))
    return f"{year:02d}{month:02d}{day:02d}{sep}{gender}{serial}"


@st.composite
def customs_codes(draw: st.DrawFn) -> str:
    body = draw(digit_string(12))
    p = draw(st.sampled_from("Pp"))
    form = draw(st.sampled_from(["plain", "spaced", "dashed", "lead"]))
    if form == "spaced":
        return f"{p} {body[:4]} {body[4:8]} {body[8:]}"
    if form == "dashed":
        return f"{p}-{body[:4]}-{body[4:8]}-{body[8:]}"
    if form == "lead":
        return f"{p}-{body}"
    return p + body


@st.composite
def cards(draw: st.DrawFn) -> str:
    start = draw(st.sampled_from(["4", "51", "55", "2221", "34", "37", "6011", "35", "62", "9"]))
    length = 15 if start in ("34", "37") else 16
    if start == "35":
        start = "3528"
    body = start + draw(digit_string(length - len(start) - 1))
    check = next(d for d in "0123456789" if luhn_ok(body + d))
    number = body + check
    sep = draw(st.sampled_from(["-", " ", ""]))
    if length == 15:
        return f"{number[:4]}{sep}{number[4:10]}{sep}{number[10:]}"
    return sep.join(number[i : i + 4] for i in range(0, 16, 4))


IDENTIFIERS = {
    "phone": phones(),
    "registration": registration_numbers(),
    "customs_code": customs_codes(),
    "card": cards(),
}
KIND_OF = {
    "phone": {"phone"},
    "registration": {"rrn", "frn"},
    "customs_code": {"customs_code"},
    "card": {"card"},
}
filler = st.one_of(st.sampled_from(WORDS), st.text(alphabet=HANGUL, max_size=12))


@st.composite
def notes(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, str]]]:
    """A note and where its identifiers are: (start, end, family)."""
    text = draw(filler)
    placed: list[tuple[int, int, str]] = []
    for _ in range(draw(st.integers(1, 4))):
        family = draw(st.sampled_from(sorted(IDENTIFIERS)))
        value = draw(IDENTIFIERS[family])
        text += draw(st.sampled_from(JOINERS))
        placed.append((len(text), len(text) + len(value), family))
        text += value + draw(st.sampled_from(JOINERS)) + draw(filler)
    return text, placed


@settings(max_examples=400, deadline=None)
@given(notes())
def test_no_valid_identifier_survives(note: tuple[str, list[tuple[int, int, str]]]) -> None:
    text, placed = note
    spans = find_spans(text)
    for start, end, family in placed:
        covering = [s for s in spans if s.start <= start and end <= s.end]
        assert covering, (text, text[start:end], spans)
        assert covering[0].kind in KIND_OF[family], (text, text[start:end], covering)


@settings(max_examples=400, deadline=None)
@given(notes())
def test_text_outside_the_spans_is_unchanged(note: tuple[str, list[tuple[int, int, str]]]) -> None:
    text, _ = note
    result = redact(text)
    rebuilt, at = [], 0
    for span in result.spans:
        assert at <= span.start < span.end <= len(text)
        rebuilt += [text[at : span.start], PII_TOKENS[span.kind]]
        at = span.end
    rebuilt.append(text[at:])
    assert result.text == "".join(rebuilt)


@settings(max_examples=400, deadline=None)
@given(notes())
def test_spans_map_back_exactly_after_normalisation(
    note: tuple[str, list[tuple[int, int, str]]],
) -> None:
    text, _ = note
    norm = normalise(text)
    index = norm.index if norm.index is not None else tuple(range(len(text) + 1))
    for span in find_spans(text):
        start = index.index(span.start)
        end = index.index(span.end - 1) + 1
        assert normalise(text[span.start : span.end]).text == norm.text[start:end]


@settings(max_examples=600, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("0123456789 -Pp가a@.")
            + ["０", "５", "ㅡ", "–", "\u00a0", "\u3000", "\u200b", "\u00ad"]
        ),
        max_size=40,
    )
)
def test_the_index_sends_each_character_to_where_it_came_from(text: str) -> None:
    norm = normalise(text)
    if norm.index is None:
        assert len(norm.text) == len(text)
        assert all(normalise(c).text == f for c, f in zip(text, norm.text, strict=True))
        return
    assert len(norm.index) == len(norm.text) + 1
    assert norm.index[-1] == len(text)
    assert list(norm.index) == sorted(set(norm.index))
    for i, ch in enumerate(norm.text):
        assert normalise(text[norm.index[i]]).text == ch


@settings(max_examples=500, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from(list("0123456789 -.()+@Pp:/#*") + ["０", "ㅡ", "\u200b", "\u3000"]),
            st.characters(),
        ),
        max_size=80,
    )
)
def test_any_text_gives_sorted_disjoint_spans_inside_it(text: str) -> None:
    spans = find_spans(text)
    assert all(0 <= s.start < s.end <= len(text) for s in spans)
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
    assert all(s.kind in PII_TOKENS for s in spans)
