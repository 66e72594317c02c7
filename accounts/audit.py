from accounts.models import AuditEvent, District


def record(*, district: District, actor, action: str, summary: str, **details) -> AuditEvent:
    """Write one line to the district's audit log (exports, erasures, role changes, imports, reads)."""
    return AuditEvent.objects.create(district=district, actor=actor, action=action, summary=summary, details=details)
