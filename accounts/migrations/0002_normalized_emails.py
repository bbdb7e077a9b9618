"""Email addresses are stored normalized (`accounts.models.normalize_email`: NFKC, then
case-folded) and unique in that form, on SQLite and PostgreSQL alike; reset requests for
addresses without an account are stored too, with no user.

Existing addresses are rewritten to their normalized spelling. Where two accounts turn out to
share one address, the migration stops, changes nothing and names them: which account owns
the address is for a person to decide (the older one may be the look-alike, registered before
the real owner came), so change the others' addresses or delete them, then migrate again.
"""

from collections import defaultdict

import django.db.models.deletion
from django.conf import settings
from django.core.management.base import CommandError
from django.db import migrations, models

import accounts.models
from accounts.models import normalize_email


class SharedAddresses(CommandError):
    """Accounts whose addresses differ only in a spelling that normalization removes."""


def _describe(pk, email, date_joined, last_login, is_verified) -> str:
    seen = f"last login {last_login:%Y-%m-%d}" if last_login else "never logged in"
    verified = "verified" if is_verified else "not verified"
    return f"user {pk} {email!a} (joined {date_joined:%Y-%m-%d}, {verified}, {seen})"


def normalize_user_emails(apps, schema_editor):
    users = apps.get_model("accounts", "User").objects.using(schema_editor.connection.alias)
    accounts_by_address = defaultdict(list)
    for row in users.order_by("pk").values_list("pk", "email", "date_joined", "last_login", "is_verified"):
        accounts_by_address[normalize_email(row[1])].append(row)
    shared = {address: rows for address, rows in accounts_by_address.items() if len(rows) > 1}
    if shared:
        lines = [
            f"  {address}: " + "; ".join(_describe(*row) for row in rows) for address, rows in shared.items()
        ]
        raise SharedAddresses(
            "These accounts share an email address once addresses are normalized (NFKC, case-folded),"
            " and an address may have one account only:\n" + "\n".join(lines) + "\n"
            "Nothing was changed. For each address, decide which account is its owner's, change the"
            " others' addresses (or delete those accounts), then run migrate again."
        )
    for address, [(pk, email, *_)] in accounts_by_address.items():
        if email != address:
            users.filter(pk=pk).update(email=address)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        # Lower() folds less than normalize_email, and differently on each database.
        migrations.RemoveConstraint(
            model_name="user",
            name="user_email_ci_unique",
        ),
        migrations.AlterField(
            model_name="user",
            name="email",
            field=accounts.models.NormalizedEmailField(max_length=254, unique=True),
        ),
        migrations.AlterField(
            model_name="passwordresettoken",
            name="user",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="password_reset_tokens",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(normalize_user_emails, migrations.RunPython.noop, elidable=False),
    ]
