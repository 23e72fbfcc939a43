"""Redaction: Gatehouse's engine against Microsoft Presidio on the labelled Korean buyer notes.

Both systems read the same split of ``bench/redaction_data/`` (made by
``bench/redaction_corpus.py``) and are scored by one rule:

- a prediction is a **true positive** when it overlaps a gold span of the **same type** by at
  least half of the gold span's length; among such gold spans it takes the one it overlaps
  most (ties: the earliest), and each gold span is matched at most once;
- every prediction left unmatched is a **false positive** of its own type, every gold span
  left unmatched a **false negative** of its type.

Printed: precision, recall and F1 per type, micro-averaged typed F1 over every type, the
share of ``numbers_only`` notes (order and tracking numbers, prices, door codes... and no
identifier) in which anything at all is found, and notes a second on one core: the median of
``--passes`` timed passes over the split, in this single process. A table first, then one
JSON line for the record.

Presidio is a bench-only peer, never installed by ``make test``:

    .venv/bin/pip install -e ".[peer]"
    .venv/bin/python bench/redaction.py [--split test|dev] [--only gatehouse|presidio]

Presidio runs its Korean recognizers (resident and foreigner registration numbers, passport,
driver's licence, business registration) and its generic phone (region KR), e-mail, credit
card and IBAN recognizers, in language "ko", at its default score threshold, on an NLP engine
that only tokenises (spaCy's blank multilingual pipeline: no model can be downloaded here,
and its Korean support is all in pattern recognizers, which need none).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatehouse.domain.redaction import KINDS

DATA = Path(__file__).resolve().parent / "redaction_data"
# The gold labels' types are the engine's kinds: one contract for the corpus and the engine.
TYPES = KINDS
# Presidio's entity types in ours. KR_BRN (a business's registration number) is no personal
# identifier here: it keeps its own name, so each of its findings counts as a false positive.
PRESIDIO_TYPES = {
    "PHONE_NUMBER": "phone",
    "EMAIL_ADDRESS": "email",
    "KR_RRN": "rrn",
    "KR_FRN": "frn",
    "KR_PASSPORT": "passport",
    "KR_DRIVER_LICENSE": "driver_license",
    "CREDIT_CARD": "card",
    "IBAN_CODE": "bank_account",
    "US_BANK_NUMBER": "bank_account",
    "KR_BRN": "business_registration",
}
PEER_HINT = 'Presidio is not installed: .venv/bin/pip install -e ".[peer]"'
TARGETS = {"micro_f1": 0.97, "type_f1": 0.93, "numbers_only_rate": 0.01, "notes_per_s": 20000}

Span = tuple[int, int, str]
Detector = Callable[[str], list[Span]]


@dataclass(frozen=True)
class Note:
    """One labelled note: its text, its gold spans (start, end, type) and its group."""

    id: str
    text: str
    spans: tuple[Span, ...]
    group: str


def load(split: str, data: Path = DATA) -> list[Note]:
    """The notes of one split (``dev`` or ``test``)."""
    notes = []
    for line in (data / f"{split}.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        spans = tuple((s["start"], s["end"], s["type"]) for s in record["spans"])
        notes.append(Note(record["id"], record["text"], spans, record["group"]))
    return notes


@dataclass
class Tally:
    """True positives, false positives and false negatives per type."""

    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        """Adds another tally's counts to this one."""
        self.tp.update(other.tp)
        self.fp.update(other.fp)
        self.fn.update(other.fn)

    def scores(self, kind: str | None = None) -> tuple[float, float, float]:
        """Precision, recall and F1 of one type, or micro-averaged over all when None."""
        if kind is None:
            tp, fp, fn = sum(self.tp.values()), sum(self.fp.values()), sum(self.fn.values())
        else:
            tp, fp, fn = self.tp[kind], self.fp[kind], self.fn[kind]
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1

    def cells(self, kind: str) -> tuple[float | None, float | None, float | None]:
        """One type's precision, recall and F1, each None where it is undefined.

        Precision is undefined for a type never predicted (no recognizer), recall and F1
        for a type with no gold span (one only a peer predicts, such as KR_BRN).
        """
        p, r, f = self.scores(kind)
        predicted = self.tp[kind] + self.fp[kind]
        gold = self.tp[kind] + self.fn[kind]
        return (p if predicted else None, r if gold else None, f if gold else None)

    def kinds(self) -> list[str]:
        """Our types first, then any other type a system predicted."""
        extra = sorted(set(self.fp) - set(TYPES))
        return [*TYPES, *extra]


def match(gold: Iterable[Span], predicted: Iterable[Span]) -> Tally:
    """Scores one note's predictions against its gold spans by the module's matching rule."""
    tally = Tally()
    open_gold = sorted(gold)
    for start, end, kind in sorted(predicted):
        best, best_overlap = None, 0
        for index, (g_start, g_end, g_kind) in enumerate(open_gold):
            overlap = min(end, g_end) - max(start, g_start)
            if g_kind == kind and 2 * overlap >= g_end - g_start and overlap > best_overlap:
                best, best_overlap = index, overlap
        if best is None:
            tally.fp[kind] += 1
        else:
            tally.tp[kind] += 1
            open_gold.pop(best)
    for _, _, kind in open_gold:
        tally.fn[kind] += 1
    return tally


# Groups of notes with no identifier: the share of them in which anything is found is a
# false-redaction rate. numbers_only is the generated group the target is set on;
# hard_negative holds the hand-written traps (대표번호, masked numbers, RRN-shaped waybills).
CLEAN_GROUPS = ("numbers_only", "hard_negative")


@dataclass(frozen=True)
class Result:
    """One system's scores, clean-group hits and speed on one split."""

    system: str
    tally: Tally
    clean: dict[str, tuple[int, int]]
    notes_per_s: float
    passes: list[float]

    def hit_rate(self, group: str = "numbers_only") -> float:
        """The share of a clean group's notes in which the system found anything."""
        hits, total = self.clean.get(group, (0, 0))
        return hits / total if total else 0.0


def evaluate(system: str, detect: Detector, notes: Sequence[Note], passes: int) -> Result:
    """Scores ``detect`` on ``notes`` and times ``passes`` passes over their texts."""
    tally = Tally()
    clean = {group: [0, 0] for group in CLEAN_GROUPS}
    for note in notes:
        predicted = detect(note.text)
        tally.add(match(note.spans, predicted))
        if note.group in clean:
            clean[note.group][0] += bool(predicted)
            clean[note.group][1] += 1
    texts = [note.text for note in notes]
    rates = []
    for _ in range(passes):
        started = time.perf_counter()
        for text in texts:
            detect(text)
        rates.append(len(texts) / (time.perf_counter() - started))
    median = statistics.median(rates) if rates else 0.0
    counts = {group: (hits, total) for group, (hits, total) in clean.items() if total}
    return Result(system, tally, counts, median, rates)


def gatehouse_detector() -> Detector:
    """Gatehouse's engine: ``find_spans`` of ``gatehouse.domain.redaction``."""
    from gatehouse.domain import redaction

    find_spans = getattr(redaction, "find_spans", None)
    if find_spans is None:
        raise SystemExit("gatehouse.domain.redaction has no find_spans yet: nothing to score")

    def detect(text: str) -> list[Span]:
        return [(s.start, s.end, s.kind) for s in find_spans(text)]

    return detect


def presidio_analyzer(us_bank: bool = False) -> Any:
    """Presidio's analyzer, set up for Korean text as the module docstring says."""
    try:
        import tldextract
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine.slim_spacy_nlp_engine import SlimSpacyNlpEngine
        from presidio_analyzer.predefined_recognizers import (
            CreditCardRecognizer,
            EmailRecognizer,
            IbanRecognizer,
            KrBrnRecognizer,
            KrDriverLicenseRecognizer,
            KrFrnRecognizer,
            KrPassportRecognizer,
            KrRrnRecognizer,
            PhoneRecognizer,
            UsBankRecognizer,
        )
    except ImportError:
        raise SystemExit(PEER_HINT) from None
    # The e-mail recognizer checks domains with tldextract, which would fetch the public
    # suffix list over the network: use the snapshot the package ships instead.
    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    nlp = SlimSpacyNlpEngine(
        supported_languages=["ko"], generic_tokenizer="blank", auto_download=False
    )
    nlp.load()
    registry = RecognizerRegistry(supported_languages=["ko"])
    recognizers = [
        KrRrnRecognizer(),
        KrFrnRecognizer(),
        KrPassportRecognizer(),
        KrDriverLicenseRecognizer(),
        KrBrnRecognizer(),
        PhoneRecognizer(supported_language="ko", supported_regions=("KR",)),
        EmailRecognizer(supported_language="ko"),
        CreditCardRecognizer(supported_language="ko"),
        IbanRecognizer(supported_language="ko"),
    ]
    if us_bank:
        recognizers.append(UsBankRecognizer(supported_language="ko"))
    for recognizer in recognizers:
        registry.add_recognizer(recognizer)
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["ko"])


def presidio_detector(us_bank: bool = False) -> Detector:
    """Presidio's findings, each mapped to our type (``PRESIDIO_TYPES``)."""
    analyzer = presidio_analyzer(us_bank)

    def detect(text: str) -> list[Span]:
        found = analyzer.analyze(text=text, language="ko")
        return [(r.start, r.end, PRESIDIO_TYPES.get(r.entity_type, r.entity_type)) for r in found]

    return detect


def shown(value: float | None) -> str:
    """A score for the table: three decimals, or a dash where it is undefined."""
    return "–" if value is None else f"{value:.3f}"


def table(results: Sequence[Result]) -> str:
    """The per-type table of every system side by side, then the summary lines."""
    kinds: list[str] = []
    for result in results:
        kinds += [k for k in result.tally.kinds() if k not in kinds]
    head = "| type | gold |" + "".join(f" {r.system} P | R | F1 |" for r in results)
    rule = "|---|---:|" + "---:|---:|---:|" * len(results)
    lines = [head, rule]
    for kind in kinds:
        first = results[0].tally
        gold = first.tp[kind] + first.fn[kind]
        row = f"| {kind} | {gold} |"
        for result in results:
            row += "".join(f" {shown(v)} |" for v in result.tally.cells(kind))
        lines.append(row)
    row = "| **micro** | |"
    for result in results:
        p, r, f = result.tally.scores()
        row += f" {p:.3f} | {r:.3f} | **{f:.3f}** |"
    lines.append(row)
    lines.append("")
    for result in results:
        for group, (hits, total) in result.clean.items():
            lines.append(
                f"{result.system}: {group} notes with anything redacted {hits}/{total} "
                f"({result.hit_rate(group):.2%})"
            )
        passes = ", ".join(f"{rate:,.0f}" for rate in result.passes)
        lines.append(f"{result.system}: {result.notes_per_s:,.0f} notes/s (passes: {passes})")
    return "\n".join(lines)


def record(split: str, notes: Sequence[Note], results: Sequence[Result]) -> dict[str, Any]:
    """The run as one JSON-ready object."""
    groups = Counter(note.group for note in notes)
    out: dict[str, Any] = {"bench": "redaction", "split": split, "notes": len(notes)}
    out["groups"] = dict(sorted(groups.items()))
    for result in results:
        micro = result.tally.scores()
        per_type = {}
        for kind in result.tally.kinds():
            p, r, f = (None if v is None else round(v, 4) for v in result.tally.cells(kind))
            per_type[kind] = {"p": p, "r": r, "f1": f}
        out[result.system] = {
            "micro_f1": round(micro[2], 4),
            "micro_p": round(micro[0], 4),
            "micro_r": round(micro[1], 4),
            "per_type": per_type,
            "numbers_only_rate": round(result.hit_rate("numbers_only"), 4),
            "hard_negative_rate": round(result.hit_rate("hard_negative"), 4),
            "notes_per_s": round(result.notes_per_s),
        }
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """Scores the systems on one split and prints the table and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("test", "dev"), default="test")
    parser.add_argument("--only", choices=("gatehouse", "presidio"))
    parser.add_argument("--passes", type=int, default=7, help="timed passes per system")
    parser.add_argument(
        "--presidio-us-bank",
        action="store_true",
        help="also run Presidio's US bank-number recognizer (any 8 to 17 digits)",
    )
    args = parser.parse_args(argv)
    notes = load(args.split)
    systems: list[tuple[str, Callable[[], Detector]]] = [
        ("gatehouse", gatehouse_detector),
        ("presidio", lambda: presidio_detector(args.presidio_us_bank)),
    ]
    results = []
    for name, make in systems:
        if args.only in (None, name):
            results.append(evaluate(name, make(), notes, args.passes))
    groups = ", ".join(f"{g} {n}" for g, n in sorted(Counter(n.group for n in notes).items()))
    print(f"split {args.split}: {len(notes)} notes ({groups})")
    print(table(results))
    print(json.dumps(record(args.split, notes, results), ensure_ascii=False))


if __name__ == "__main__":
    main()
