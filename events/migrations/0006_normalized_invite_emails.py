"""Invited addresses are stored normalized (`accounts.models.normalize_email`), as accounts'
are, so an invite matches its invitee's account exactly and one pending invite per address,
event and role holds for every spelling of the address.

Existing addresses are rewritten to their normalized spelling. Where two pending invites to
one event and role turn out to share an address, the migration stops, changes nothing and
names them: withdraw all but one (each holds a link that was mailed), then migrate again.
"""

from collections import defaultdict

from django.core.management.base import CommandError
from django.db import migrations

import accounts.models
from accounts.models import normalize_email


class SharedInviteAddresses(CommandError):
    """Pending invites to one role whose addresses differ only in a spelling normalization removes."""


def normalize_invite_emails(apps, schema_editor):
    invites = apps.get_model("events", "RoleInvite").objects.using(schema_editor.connection.alias)
    rows = list(
        invites.order_by("pk").values_list("pk", "email", "status", "event_id", "role__name", "created_at")
    )
    pending = defaultdict(list)
    for pk, email, status, event_id, role_name, created_at in rows:
        if status == "pending":
            pending[event_id, role_name, normalize_email(email)].append(
                f"invite {pk} {email!a} (sent {created_at:%Y-%m-%d})"
            )
    shared = {key: found for key, found in pending.items() if len(found) > 1}
    if shared:
        lines = [
            f"  {address} as {role_name} of event {event_id}: " + "; ".join(found)
            for (event_id, role_name, address), found in shared.items()
        ]
        raise SharedInviteAddresses(
            "These pending invites share an email address once addresses are normalized (NFKC,"
            " case-folded), and an address may have one pending invite per event and role:\n"
            + "\n".join(lines)
            + "\nNothing was changed. Withdraw all but one invite of each address, then run migrate again."
        )
    for pk, email, *_ in rows:
        if email != normalize_email(email):
            invites.filter(pk=pk).update(email=normalize_email(email))


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0005_bound_event_dates"),
    ]

    operations = [
        migrations.AlterField(
            model_name="roleinvite",
            name="email",
            field=accounts.models.NormalizedEmailField(max_length=254),
        ),
        migrations.RunPython(normalize_invite_emails, migrations.RunPython.noop, elidable=False),
    ]
