from django.contrib import admin

from standards.models import (
    Domain,
    Indicator,
    Principle,
    SelfAssessment,
    SelfAssessmentRating,
    Standard,
)


class CatalogAdmin(admin.ModelAdmin):
    """The catalog is loaded from the seed by a migration; editing it here would drift from it."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Principle)
class PrincipleAdmin(CatalogAdmin):
    list_display = ["number", "text"]


@admin.register(Domain)
class DomainAdmin(CatalogAdmin):
    list_display = ["number", "name"]


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    can_delete = False
    fields = ["code", "text"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Standard)
class StandardAdmin(CatalogAdmin):
    list_display = ["code", "title", "domain"]
    list_filter = ["domain"]
    list_select_related = ["domain"]
    search_fields = ["code", "title", "description"]
    inlines = [IndicatorInline]


@admin.register(Indicator)
class IndicatorAdmin(CatalogAdmin):
    list_display = ["code", "text"]
    list_select_related = ["standard"]


class SelfAssessmentRatingInline(admin.TabularInline):
    model = SelfAssessmentRating
    extra = 0


@admin.register(SelfAssessment)
class SelfAssessmentAdmin(admin.ModelAdmin):
    list_display = ["coach", "assessed_on", "created_at"]
    list_select_related = ["coach"]
    date_hierarchy = "assessed_on"
    raw_id_fields = ["coach"]
    inlines = [SelfAssessmentRatingInline]
