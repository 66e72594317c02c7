import logging

from celery import shared_task

from accounts import roster, services
from accounts.models import RosterImport

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_invitation(invitation_id: int) -> None:
    # The id alone: the link is rebuilt here, so the broker never holds it (services.invitation_token).
    services.invitation_email_send(invitation_id=invitation_id)


@shared_task
def import_roster(import_id: int) -> None:
    roster_import = RosterImport.objects.select_related("district").filter(pk=import_id).first()
    if roster_import is None:
        return  # the district was deleted meanwhile
    try:
        roster.import_run(roster_import=roster_import)
    except Exception:
        # Whatever went wrong (a bug, a lost database, the time limit), the write transaction rolled
        # back: say so on the import's page rather than leave it "importing" for ever.
        logger.exception("Roster import %s crashed.", import_id)
        roster.import_crashed(roster_import=roster_import)
