"""The Coach Success Standards, transcribed word for word from the seed document.

Kept as Python data (not read from shared/seeds at run time) because production has no
shared/ folder; standards/tests/test_catalog.py proves this copy matches the seed exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from django.db import transaction

if TYPE_CHECKING:
    from django.apps.registry import Apps
    from django.db.models import QuerySet

    from standards.models import Standard


class StandardData(NamedTuple):
    code: str
    title: str
    description: str = ""  # empty when the seed gives only numbered sub-items
    indicators: tuple[str, ...] = ()


class DomainData(NamedTuple):
    number: int
    name: str
    standards: tuple[StandardData, ...]


PRINCIPLES: tuple[str, ...] = (
    "a partnership between the principal, coach, and teaching staff",
    "non-evaluative, personalized professional development for individual teachers",
    "data-driven and aligned with district and school goals",
    "focused on enhancing impactful technology use",
)

# Quirks of the seed are kept on purpose (e.g. "teachers' better innovate" in 2C, the curly
# quotes in 1D.2 and the en dash in 4B.2): the catalog is the document, not an edit of it.
DOMAINS: tuple[DomainData, ...] = (
    DomainData(
        1,
        "Coaching Skills",
        (
            StandardData(
                "1A",
                "Drives Impactful Technology Use",
                (
                    "Effectively coaches teachers to overcome challenges with tech-based strategies and generally "
                    "improve their impactful technology use (ITU)."
                ),
            ),
            StandardData(
                "1B",
                "Identifies and understands instructional challenges",
                (
                    "Helps teachers identify their instructional and professional challenges by reflecting on problems "
                    "of practice and understanding the root causes of each challenge."
                ),
            ),
            StandardData(
                "1C",
                "Investigates and selects personalized instructional strategies",
                (
                    "Works with teachers to collaboratively investigate effective tech-based strategies and select the "
                    "strategy and tool that fit the specific needs of their teachers."
                ),
            ),
            StandardData(
                "1D",
                "Supports teachers through classroom visits & strategy iteration",
                indicators=(
                    (
                        "Leverages classroom visits such as co-teaching, modeling of best practices, and data "
                        "collection during tech-based strategy implementation as a method of enhancing individualized "
                        "support for teachers."
                    ),
                    (
                        "Uses the “meet, visit classroom, meet” cadence to continually discuss and improve upon "
                        "selected strategies, gather information about strategy implementation, and debrief both "
                        "successes and areas for improvement."
                    ),
                ),
            ),
            StandardData(
                "1E",
                "Collaboratively reflects on strategy implementation",
                (
                    "Works with teachers to reflect on tech-based strategy implementation, and thoughtfully discuss "
                    "successes, challenges, and methods of improvement."
                ),
            ),
            StandardData(
                "1F",
                "Iterates on coaching with data",
                (
                    "Utilizes data and information collected during 1:1 meetings and classroom visits (via the DLP "
                    "coaching dashboard or other coaching logs) to iterate on teacher support and effectively work "
                    "towards measurable outcomes while maintaining confidentiality."
                ),
            ),
        ),
    ),
    DomainData(
        2,
        "Coaching Attributes",
        (
            StandardData(
                "2A",
                "Strong communicator",
                (
                    "Listens carefully, communicates frequently and clearly, and effectively navigates difficult "
                    "conversations with their principal and teachers."
                ),
            ),
            StandardData(
                "2B",
                "Goal-oriented and data-driven",
                (
                    "Sets clear goals with individual teachers and across school wide systems, and uses data to "
                    "measure, iterate, and communicate progress toward those goals."
                ),
            ),
            StandardData(
                "2C",
                "Reflective and innovative",
                (
                    "Reflective about their successes and areas of growth, and intentional about using reflections to "
                    "improve their coaching practice and help their teachers' better innovate in the classroom."
                ),
            ),
            StandardData(
                "2D",
                "Relationship-focused",
                indicators=(
                    (
                        "Builds integrity-driven, trustworthy relationships with both teachers and school leaders and "
                        "increasingly develops rapport throughout the school year."
                    ),
                    (
                        "Coaches with empathy and continually keeps each teacher's circumstances, needs, and desires "
                        "at the center of their work."
                    ),
                ),
            ),
        ),
    ),
    DomainData(
        3,
        "Leadership",
        (
            StandardData(
                "3A",
                "Partners with district and school leaders",
                (
                    "Collaborates with district leaders, principals and other school leaders to effectively manage the "
                    "technology coach program in their school and provide personalized support for teachers."
                ),
            ),
            StandardData(
                "3B",
                "Aligns coaching practices with district and school goals",
                indicators=(
                    (
                        "Understands their district's and school's goals and leverages coaching to help individual "
                        "teachers collectively work towards those goals."
                    ),
                    (
                        "Understands state, district, and school evaluation instruments and processes for measuring "
                        "student achievement and uses them to help improve teachers' practice."
                    ),
                ),
            ),
            StandardData(
                "3C",
                "Leverages school-wide systems and tools",
                (
                    "Actively participates in school-wide teacher support systems (e.g., staff meetings, grade level "
                    "and/or curriculum teams, school-based professional learning communities) and leverages them to "
                    "build awareness about and enhance school technology use."
                ),
            ),
            StandardData(
                "3D",
                "Manages time effectively",
                indicators=(
                    (
                        "Effectively manages time in order to adequately support each teacher and to maximize the "
                        "amount of time spent on coaching."
                    ),
                    (
                        "Works with principal to ensure ample time is built into teachers' schedules to allow for "
                        "regular 1:1 coaching meetings and classroom visits."
                    ),
                ),
            ),
            StandardData(
                "3E",
                "Fosters conditions for an innovative and collaborative school culture",
                (
                    "Fosters trust and respect, in coordination with the principal and teacher-leaders (e.g., DLP "
                    "advocates, non-tech instructional coaches), to create a safe environment that encourages "
                    "teachers, students, and administrators to be willing to take risks, innovate, collaborate, and "
                    "share."
                ),
            ),
            StandardData(
                "3F",
                "Shares stories of impact",
                "Leverages learnings and stories of success to share impact with their community and the world.",
            ),
        ),
    ),
    DomainData(
        4,
        "Professional Development",
        (
            StandardData(
                "4A",
                "Takes ownership over growth as a coach",
                (
                    "Regularly and strategically seeks out professional development opportunities (e.g. DLP webinars "
                    "about coaching skills, district trainings, online resources, etc.) that will help enhance "
                    "coaching skills and knowledge."
                ),
            ),
            StandardData(
                "4B",
                "Builds and contributes to professional learning network",
                indicators=(
                    (
                        "Actively builds and leverages their professional learning network by engaging with other "
                        "coaches and educators about problems of practice."
                    ),
                    (
                        "Contributes thoughtfully to their professional learning network – both online (e.g. via "
                        "social media) and during in-person professional development events (e.g. DLP summer and "
                        "winter trainings, other conferences)."
                    ),
                ),
            ),
        ),
    ),
)

# Standards pre-ticked when a coach logs each kind of step or activity (DESIGN.md,
# "Standards tagging"). "touchpoint" (an informal hallway/e-mail contact with a teacher) is
# our own addition: it is relationship work, so 2D.
DEFAULT_TAGS: dict[str, tuple[str, ...]] = {
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


def default_standards(kind: str) -> QuerySet[Standard]:
    """The standards pre-ticked for a step or activity kind; none for a kind without defaults."""
    from standards.models import Standard

    return Standard.objects.filter(code__in=DEFAULT_TAGS.get(kind, ()))


@transaction.atomic
def load_catalog(apps: Apps | None = None) -> None:
    """Create or update every principle, domain, standard and indicator; safe to run again.

    Pass the migration's `apps` to use historical models; without it the real models are used.
    """
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Principle = apps.get_model("standards", "Principle")
    Domain = apps.get_model("standards", "Domain")
    Standard = apps.get_model("standards", "Standard")
    Indicator = apps.get_model("standards", "Indicator")

    for number, text in enumerate(PRINCIPLES, start=1):
        Principle.objects.update_or_create(number=number, defaults={"text": text})
    for domain_data in DOMAINS:
        domain, _ = Domain.objects.update_or_create(number=domain_data.number, defaults={"name": domain_data.name})
        for position, standard_data in enumerate(domain_data.standards, start=1):
            _load_standard(Standard, Indicator, domain, position, standard_data)


def _load_standard(Standard: Any, Indicator: Any, domain: Any, position: int, data: StandardData) -> None:
    standard, _ = Standard.objects.update_or_create(
        code=data.code,
        defaults={
            "domain": domain,
            "title": data.title,
            "description": data.description,
            "position": position,
        },
    )
    codes = []
    for number, text in enumerate(data.indicators, start=1):
        code = f"{data.code}.{number}"
        codes.append(code)
        Indicator.objects.update_or_create(code=code, defaults={"standard": standard, "number": number, "text": text})
    # A sub-item dropped from the catalog must not linger in the database.
    Indicator.objects.filter(standard=standard).exclude(code__in=codes).delete()
