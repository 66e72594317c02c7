"""The operator's view of the outbox: tasks waiting for the broker, and why the last try failed."""

from django.contrib import admin

from config.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["task_name", "args", "created_at", "attempts", "last_error"]
    list_filter = ["task_name"]
    readonly_fields = ["task_name", "args", "created_at", "attempts", "last_error"]

    def has_add_permission(self, request) -> bool:
        return False  # rows come from enqueue, in the transaction of the write they belong to
