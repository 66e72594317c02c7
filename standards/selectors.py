from django.db.models import Prefetch, QuerySet

from standards.models import Domain, Indicator, Principle, Standard


def principle_list() -> QuerySet[Principle]:
    return Principle.objects.all()


def domain_list_with_standards() -> QuerySet[Domain]:
    """Domains with their standards (in domain order) and sub-items: three queries, any size."""
    standards = Standard.objects.order_by("position").prefetch_related(
        Prefetch("indicators", queryset=Indicator.objects.order_by("number"))
    )
    return Domain.objects.prefetch_related(Prefetch("standards", queryset=standards))
