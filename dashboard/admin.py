from django.contrib import admin

from dashboard.models import DataExport


@admin.register(DataExport)
class DataExportAdmin(admin.ModelAdmin):
    """For the site operator: which exports exist and how they went; the archive stays out of the admin."""

    list_display = ["district", "kind", "requested_by", "status", "created_at", "finished_at"]
    list_filter = ["status", "kind", "district"]
    fields = ["district", "kind", "filters", "requested_by", "status", "progress", "error", "created_at", "finished_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content").select_related("district", "requested_by")

    def has_add_permission(self, request) -> bool:
        return False
