"""The catalog the migrations load must be the seed document, exactly and completely.

The expected side is parsed from shared/seeds/000_*.txt here, independently of
standards/catalog.py, so a transcription slip in the catalog cannot hide itself.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

from standards.catalog import DEFAULT_TAGS, default_standards, load_catalog
from standards.models import Domain, Indicator, Principle, Standard

pytestmark = pytest.mark.django_db

NUMBERED = re.compile(r"^(\d+)\. (.+)$")
STANDARD_HEADING = re.compile(r"^([1-9][A-Z]) (.+)$")
ALL_CODES = [
    *(f"1{c}" for c in "ABCDEF"),
    *(f"2{c}" for c in "ABCD"),
    *(f"3{c}" for c in "ABCDEF"),
    *(f"4{c}" for c in "AB"),
]
SUB_ITEM_CODES = [
    "1D.1",
    "1D.2",
    "2D.1",
    "2D.2",
    "3B.1",
    "3B.2",
    "3D.1",
    "3D.2",
    "4B.1",
    "4B.2",
]


@dataclass
class SeedStandard:
    domain: int
    code: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Seed:
    principles: list[tuple[int, str]] = field(default_factory=list)
    domains: list[tuple[int, str]] = field(default_factory=list)
    standards: list[SeedStandard] = field(default_factory=list)


def seed_path() -> Path:
    seeds = Path(settings.BASE_DIR).parent / "shared" / "seeds"
    found = sorted(seeds.glob("000_*.txt"))
    if len(found) != 1:
        pytest.fail(
            f"Expected exactly one Coach Success Standards seed at {seeds}/000_*.txt, "
            f"found {len(found)}; this test compares the catalog to it and cannot run without it."
        )
    return found[0]


def parse_seed(text: str) -> Seed:
    """Principles are numbered lines before the first domain; a domain's name is the line just
    before its first standard ("1A Title"); a standard's body is a paragraph or numbered items."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    seed = Seed()
    for i, line in enumerate(lines):
        heading = STANDARD_HEADING.match(line)
        numbered = NUMBERED.match(line)
        following = STANDARD_HEADING.match(lines[i + 1]) if i + 1 < len(lines) else None
        if heading:
            seed.standards.append(SeedStandard(len(seed.domains), *heading.groups()))
        elif following and following[1].endswith("A"):
            seed.domains.append((len(seed.domains) + 1, line))
        elif not seed.domains:
            if numbered:
                seed.principles.append((int(numbered[1]), numbered[2]))
        elif numbered:
            seed.standards[-1].items.append((int(numbered[1]), numbered[2]))
        else:
            seed.standards[-1].paragraphs.append(line)
    return seed


@pytest.fixture(scope="module")
def seed() -> Seed:
    parsed = parse_seed(seed_path().read_text(encoding="utf-8"))
    # Guard the parser itself, so that a parser bug cannot make the comparison vacuous.
    assert [n for n, _ in parsed.principles] == [1, 2, 3, 4]
    assert len(parsed.domains) == 4
    assert [s.code for s in parsed.standards] == ALL_CODES
    for s in parsed.standards:
        assert int(s.code[0]) == s.domain, f"{s.code} is under domain {s.domain}"
        assert bool(s.paragraphs) != bool(s.items), f"{s.code} needs a paragraph xor sub-items"
        assert len(s.paragraphs) <= 1, f"{s.code} has several paragraphs"
        assert [n for n, _ in s.items] == list(range(1, len(s.items) + 1))
    assert [f"{s.code}.{n}" for s in parsed.standards for n, _ in s.items] == SUB_ITEM_CODES
    return parsed


def test_it_loads_every_principle_word_for_word(seed: Seed) -> None:
    assert list(Principle.objects.values_list("number", "text")) == seed.principles


def test_it_loads_every_domain_word_for_word(seed: Seed) -> None:
    assert list(Domain.objects.values_list("number", "name")) == seed.domains


def test_it_loads_every_standard_word_for_word(seed: Seed) -> None:
    expected = [(s.domain, s.code, s.title, s.paragraphs[0] if s.paragraphs else "") for s in seed.standards]
    actual = Standard.objects.values_list("domain__number", "code", "title", "description")
    assert list(actual) == expected
    assert [str(s) for s in Standard.objects.all()] == [f"{s.code} {s.title}" for s in seed.standards]


def test_it_loads_every_sub_item_word_for_word(seed: Seed) -> None:
    expected = [(s.code, f"{s.code}.{n}", n, text) for s in seed.standards for n, text in s.items]
    actual = Indicator.objects.values_list("standard__code", "code", "number", "text")
    assert list(actual) == expected


def test_it_orders_standards_within_their_domain(seed: Seed) -> None:
    for domain in Domain.objects.all():
        codes = [s.code for s in seed.standards if s.domain == domain.number]
        positions = domain.standards.order_by("position").values_list("code", flat=True)
        assert list(positions) == codes


def test_it_loads_the_catalog_idempotently() -> None:
    load_catalog()
    load_catalog()

    assert Principle.objects.count() == 4
    assert Domain.objects.count() == 4
    assert Standard.objects.count() == 18
    assert Indicator.objects.count() == 10


def test_it_restores_edited_text_on_reload() -> None:
    Standard.objects.filter(code="3F").update(title="Edited")
    Indicator.objects.filter(code="1D.1").delete()

    load_catalog()

    assert Standard.objects.get(code="3F").title == "Shares stories of impact"
    assert Indicator.objects.filter(code="1D.1").exists()


def test_it_has_default_tags_that_all_exist() -> None:
    codes = {code for tags in DEFAULT_TAGS.values() for code in tags}
    assert codes <= set(Standard.objects.values_list("code", flat=True))
    for kind, tags in DEFAULT_TAGS.items():
        assert sorted(default_standards(kind).values_list("code", flat=True)) == sorted(tags)


def test_it_has_the_designed_default_tags() -> None:
    assert DEFAULT_TAGS == {
        "identify": ("1B",),
        "investigate": ("1C",),
        "select": ("1C",),
        "plan_meeting": ("1C", "1D"),
        "visit": ("1D",),
        "debrief": ("1E",),
        "reflect": ("1E", "1F"),
        "principal_meeting": ("3A",),
        "plc": ("3C",),
        "pd": ("4A",),
        "pln": ("4B",),
        "story": ("3F",),
        "touchpoint": ("2D",),
    }


def test_it_has_no_default_standards_for_an_unknown_kind() -> None:
    assert not default_standards("other").exists()
