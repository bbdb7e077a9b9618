"""The signing key is never a constant anyone can read: unset, it is made once per installation."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core import signing

from accounts.factories import UserFactory
from accounts.services import VERIFY_EMAIL_SALT

# The key every installation used while DEBUG was on and SECRET_KEY unset, public in the repository.
OLD_CONSTANT_KEY = "insecure-development-key-only-for-debug-mode"


PRINT_KEY = [sys.executable, "-c", "from django.conf import settings; print(settings.SECRET_KEY)"]


def environment(tmp_path, **environ) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in ("SECRET_KEY", "DEBUG")}
    env.update(SECRET_KEY_FILE=str(tmp_path / "key"), DJANGO_SETTINGS_MODULE="openevent.settings")
    return env | environ


def settings_key(tmp_path, **environ) -> subprocess.CompletedProcess:
    """SECRET_KEY as the settings module computes it in a fresh process with `environ`."""
    return subprocess.run(
        PRINT_KEY, capture_output=True, text=True, env=environment(tmp_path, **environ), cwd=settings.BASE_DIR
    )


def test_without_secret_key_a_random_key_is_made_once_and_kept(tmp_path):
    first, second = settings_key(tmp_path), settings_key(tmp_path)
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert len(key) >= 50
    assert key != OLD_CONSTANT_KEY
    assert second.stdout.strip() == key  # sessions and links survive a restart
    assert (tmp_path / "key").stat().st_mode & 0o777 == 0o600
    assert settings_key(tmp_path / "elsewhere-").stdout.strip() != key  # each installation its own


def test_processes_starting_at_once_agree_on_one_key(tmp_path):
    starts = [
        subprocess.Popen(PRINT_KEY, stdout=subprocess.PIPE, text=True, env=environment(tmp_path))
        for _ in range(4)
    ]
    keys = {process.communicate()[0].strip() for process in starts}
    assert keys == {(tmp_path / "key").read_text().strip()}
    assert [path.name for path in tmp_path.iterdir()] == ["key"]  # nothing left aside


def test_a_set_secret_key_is_used_and_no_file_is_made(tmp_path):
    assert settings_key(tmp_path, SECRET_KEY="from-the-environment").stdout.strip() == "from-the-environment"
    assert not (tmp_path / "key").exists()


def test_production_without_secret_key_refuses_to_start(tmp_path):
    result = settings_key(tmp_path, DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert not (tmp_path / "key").exists()


def test_this_installation_does_not_sign_with_the_old_constant():
    assert settings.SECRET_KEY != OLD_CONSTANT_KEY


@pytest.mark.django_db
def test_a_confirmation_token_signed_with_the_old_constant_is_refused(client):
    victim = UserFactory(email="kate@example.com", is_verified=False)
    claim = {"id": victim.pk, "email": victim.email}
    forged = signing.dumps(claim, key=OLD_CONSTANT_KEY, salt=VERIFY_EMAIL_SALT)
    assert client.get(f"/verify-email/?token={forged}").status_code == 404
    victim.refresh_from_db()
    assert not victim.is_verified
