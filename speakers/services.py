"""The call for speakers: sessions and their states, speaker profiles, sponsors and tracks.

Services take the acting user and check what events.permissions and speakers.permissions
allow; each is one transaction.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from events import permissions as event_permissions
from events.models import Event
from forms_builder import services as forms_services
from forms_builder.models import CustomForm
from openevent.errors import Conflict, Forbidden, NotFound
from openevent.locks import (
    changed_as_stored_now,
    delete_locked,
    lock_row,
    reference_kept,
    unique_checked_again,
)
from openevent.mail import send_templated_mail

from . import permissions
from .models import Microlocation, Session, SessionType, Speaker, Sponsor, Track

State = Session.State

# Which state each side may move a session to, from each state. Staying put is always allowed.
ORGANIZER_TRANSITIONS: dict[str, set[str]] = {
    State.DRAFT: {State.PENDING, State.ACCEPTED, State.REJECTED, State.CANCELED},
    State.PENDING: {State.ACCEPTED, State.REJECTED, State.CANCELED},
    State.ACCEPTED: {State.PENDING, State.CONFIRMED, State.REJECTED, State.CANCELED},
    State.CONFIRMED: {State.ACCEPTED, State.CANCELED},
    State.REJECTED: {State.PENDING, State.ACCEPTED},
    State.WITHDRAWN: set(),
    State.CANCELED: {State.PENDING, State.ACCEPTED},
}
SUBMITTER_TRANSITIONS: dict[str, set[str]] = {
    state: {State.WITHDRAWN} | ({State.PENDING} if state == State.DRAFT else set())
    for state in State.values
    if state != State.WITHDRAWN
} | {State.WITHDRAWN: set()}
SUBMITTER_CREATE_STATES = (State.DRAFT, State.PENDING)
# Before review the submitter edits freely; after it, the organizers' word stands.
SUBMITTER_EDITABLE_STATES = (State.DRAFT, State.PENDING)
NOTIFY_SPEAKERS_ON = (State.ACCEPTED, State.REJECTED)


def _require_submittable(actor: User, event: Event) -> None:
    if not permissions.may_submit_to(actor, event):
        raise NotFound(f"Event: {event.pk} not found", relationship="event")


def allowed_states(actor: User, session: Session) -> set[str]:
    """The states the actor may move the session to now (its own state included)."""
    allowed = {session.state}
    if permissions.may_review(actor, session):
        allowed |= ORGANIZER_TRANSITIONS[session.state]
    if permissions.is_submitter(actor, session):
        allowed |= SUBMITTER_TRANSITIONS[session.state]
    return allowed


def create_session(actor: User, session: Session) -> Session:
    """Submit a session (built by a form or serializer). Non-admins submit drafts or pending ones."""
    _require_submittable(actor, session.event)
    if session.state not in SUBMITTER_CREATE_STATES and not event_permissions.is_event_admin(
        actor, session.event
    ):
        raise Forbidden(f'You cannot create a session in state "{session.state}".')
    session.creator = actor
    session.complex_field_values = forms_services.clean_answers(
        session.event, CustomForm.Form.SESSION, session.complex_field_values
    )
    placing = {name: getattr(session, name) for name in SCHEDULE_FIELDS if getattr(session, name) is not None}
    for field, value in _placed(actor, session, placing).items():
        setattr(session, field, value)
    with reference_kept(_named_row_deleted()), transaction.atomic():
        _lock_events_dates(session)
        session.full_clean()
        check_room_is_free(session)
        session.save()
    return session


def update_session(actor: User, session: Session, **changes) -> Session:
    """Make `changes` to the session as it is now; who may is judged on it as stored."""
    with reference_kept(_named_row_deleted()), transaction.atomic():
        locked = lock_row(
            Session.objects.select_related("event", "microlocation", "session_type"), session.pk, "session"
        )
        if not permissions.can_change_session(actor, locked):
            raise Forbidden(
                "Only the session's submitter and, once it is sent in, the event's organizers may change it."
            )
        new_state = changes.pop("state", locked.state)
        if new_state not in allowed_states(actor, locked):
            raise Forbidden(f'You cannot change a session state from "{locked.state}" to "{new_state}"')
        reviewed = locked.state not in SUBMITTER_EDITABLE_STATES
        if changes and reviewed and not permissions.may_review(actor, locked):
            raise Forbidden(
                f"The session is {locked.state}: only the organizers change it now. You may withdraw it."
            )
        notify = new_state != locked.state and new_state in NOTIFY_SPEAKERS_ON
        if "complex_field_values" in changes:  # the answers of fields retired since stay
            changes["complex_field_values"] = forms_services.clean_answers(
                locked.event,
                CustomForm.Form.SESSION,
                changes["complex_field_values"],
                locked.complex_field_values,
            )
        slot = _slot(locked)
        for field, value in _placed(actor, locked, changes).items():
            setattr(locked, field, value)
        if leaves_schedule(locked.state, new_state):
            locked.starts_at = locked.ends_at = locked.microlocation = None
        locked.state = new_state
        _lock_events_dates(locked)
        locked.full_clean()
        check_room_is_free(locked)
        locked.save()
    if notify:
        _notify_speakers(locked)
    if slot[0] and _slot(locked) != slot and locked.is_scheduled:
        _notify_speakers_of_move(locked)
    return locked


def _named_row_deleted() -> Conflict:
    return Conflict(
        "A room, track or session type this session names was deleted meanwhile. Reload and try again."
    )


def change_state(actor: User, session: Session, state: str) -> Session:
    return update_session(actor, session, state=state)


# The schedule: accepted and confirmed sessions placed at a time, in a room, by the organizers.

SCHEDULE_FIELDS = frozenset({"starts_at", "ends_at", "microlocation"})


def leaves_schedule(state: str, new_state: str) -> bool:
    """A session moved out of the accepted and confirmed ones is taken off the schedule."""
    return new_state != state and new_state not in Session.PUBLIC_STATES


def _slot(session: Session) -> tuple:
    return session.starts_at, session.ends_at, session.microlocation_id


def _placed(actor: User, session: Session, changes: dict) -> dict:
    """The changes, refused if they place the session and the actor does not run the event. A new
    start without an end keeps the session's length, or takes its type's."""
    if SCHEDULE_FIELDS & changes.keys() and not event_permissions.is_event_admin(actor, session.event):
        raise Forbidden("Only the event's organizers place sessions in the schedule.")
    starts_at = changes.get("starts_at")
    if starts_at is not None and "ends_at" not in changes:
        session_type = changes.get("session_type", session.session_type)
        if session.is_scheduled and session.ends_at:
            changes["ends_at"] = starts_at + (session.ends_at - session.starts_at)
        elif session_type is not None:
            changes["ends_at"] = starts_at + timedelta(minutes=session_type.length)
    elif "starts_at" in changes and starts_at is None:  # taken off the schedule
        changes.setdefault("ends_at", None)
    return changes


def _lock_events_dates(session: Session) -> None:
    """A scheduled session is checked against its event's dates and its room's other sessions as
    they are now, which stay so until it is saved: its event's row is locked (after the session's
    own, on every path), so the event's sessions are placed one after the other, and
    events.services.update_event takes the same lock to change the dates. FOR NO KEY UPDATE:
    the rows that refer to the event (a speaker's) are checked at their commit without waiting."""
    if session.is_scheduled:
        session.event = Event.objects.select_for_update(no_key=True).get(pk=session.event_id)


def check_room_is_free(session: Session) -> None:
    """A room holds one session at a time. The services check with the event locked; the admin's
    form checks without, and its save is checked again."""
    if session.microlocation_id is None or not session.is_scheduled:
        return
    room = session.microlocation
    other = (
        Session.objects.filter(
            microlocation=room,
            state__in=Session.PUBLIC_STATES,
            starts_at__lt=session.ends_at,
            ends_at__gt=session.starts_at,
        )
        .exclude(pk=session.pk)
        .order_by("starts_at")
        .first()
    )
    if other is not None:
        zone = ZoneInfo(session.event.timezone)
        starts, ends = other.starts_at.astimezone(zone), other.ends_at.astimezone(zone)
        raise ValidationError(
            {
                "starts_at": f'{room} holds "{other}" then, from {starts:%a %d %b %H:%M} to {ends:%H:%M} '
                f"({session.event.timezone})."
            }
        )


def _notify_speakers_of_move(session: Session) -> None:
    when = f"{session.starts_at.astimezone(ZoneInfo(session.event.timezone)):%A %d %B %Y, %H:%M}"
    for speaker in session.speakers.all():
        send_templated_mail(
            "speakers/email/session_moved",
            {"session": session, "speaker": speaker, "when": when},
            speaker.email,
            f'Your session "{session.title}" at {session.event} moved to {when}',
        )


def _notify_speakers(session: Session) -> None:
    for speaker in session.speakers.all():
        send_templated_mail(
            "speakers/email/session_state",
            {"session": session, "speaker": speaker, "accepted": session.state == State.ACCEPTED},
            speaker.email,
            f'Your session "{session.title}" at {session.event} was {session.state}',
        )


def delete_session(actor: User, session: Session) -> None:
    if not permissions.can_change_session(actor, session):
        raise Forbidden(
            "Only the session's submitter and, once it is sent in, the event's organizers may delete it."
        )
    if session.state != State.DRAFT and not event_permissions.is_event_admin(actor, session.event):
        raise Forbidden("Only drafts are deleted by their submitter; withdraw a submitted session instead.")
    delete_locked(session)


def _check_new_sessions(actor: User, event: Event, sessions: list[Session]) -> None:
    """Sessions being linked to a speaker: of the speaker's event, never someone else's draft,
    and unless the actor is an event admin, their own and not yet reviewed."""
    admin = event_permissions.is_event_admin(actor, event)
    for session in sessions:
        own = session.creator_id == actor.pk
        hidden = permissions.is_someone_elses_draft(actor, session)
        if session.event_id != event.pk or hidden or not (admin or own):
            raise NotFound(f"Session: {session.pk} not found", relationship="sessions")
        if not admin and session.state not in SUBMITTER_EDITABLE_STATES:
            raise ValidationError(
                {
                    "sessions": f"Session {session.pk} is {session.state}: speakers are added to a "
                    "session while it is a draft or pending."
                }
            )


def _check_removed_sessions(actor: User, speaker: Speaker, removed: set[int]) -> None:
    """After review a session's speakers are the organizers' to change, as the session is."""
    if not removed or event_permissions.is_event_admin(actor, speaker.event):
        return
    reviewed = speaker.sessions.filter(pk__in=removed).exclude(state__in=SUBMITTER_EDITABLE_STATES).first()
    if reviewed is not None:
        raise Forbidden(
            f"Session {reviewed.pk} is {reviewed.state}: only the organizers change its speakers now."
        )


def _save_speaker(speaker: Speaker, sessions: list[Session] | None) -> None:
    speaker.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            speaker.save()
            if sessions is not None:
                speaker.sessions.set(sessions)
    except IntegrityError as error:
        raise Conflict("This user has a speaker profile on the event already.") from error


def create_speaker(actor: User, speaker: Speaker, sessions: list[Session]) -> Speaker:
    """Add a speaker profile to an event. A non-admin's profile is theirs (`user` is them); an
    event admin's is recorded as added in that role, which alone gives them rights over it."""
    _require_submittable(actor, speaker.event)
    _check_new_sessions(actor, speaker.event, sessions)
    speaker.creator = actor
    speaker.created_as_event_admin = event_permissions.is_event_admin(actor, speaker.event)
    if not speaker.created_as_event_admin:
        speaker.user = actor
    speaker.complex_field_values = forms_services.clean_answers(
        speaker.event, CustomForm.Form.SPEAKER, speaker.complex_field_values
    )
    with reference_kept(_linked_session_deleted()), transaction.atomic():
        _save_speaker(speaker, sessions)
    return speaker


def update_speaker(
    actor: User, speaker: Speaker, sessions: list[Session] | None = None, **changes
) -> Speaker:
    """Change a speaker; `sessions`, if given, is their whole new list of the sessions the actor
    may see (only additions are checked): links to sessions hidden from the actor, such as
    someone else's drafts, stay as they are. The changes apply to the row as it is now, locked,
    so that nothing written since `speaker` was read is lost."""
    with reference_kept(_linked_session_deleted()), transaction.atomic():
        locked = lock_row(Speaker.objects.select_related("event"), speaker.pk, "speaker")
        if not permissions.can_change_speaker(actor, locked):
            raise Forbidden(
                "Only the speaker, who added them, and the event's organizers may change a speaker."
            )
        if sessions is not None:
            current = set(locked.sessions.values_list("pk", flat=True))
            _check_new_sessions(
                actor, locked.event, [session for session in sessions if session.pk not in current]
            )
            hidden = locked.sessions.exclude(pk__in=permissions.visible_sessions(actor).values("pk"))
            sessions = [*sessions, *hidden]
            _check_removed_sessions(actor, locked, current - {session.pk for session in sessions})
        if "complex_field_values" in changes:  # the answers of fields retired since stay
            changes["complex_field_values"] = forms_services.clean_answers(
                locked.event,
                CustomForm.Form.SPEAKER,
                changes["complex_field_values"],
                locked.complex_field_values,
            )
        for field, value in changes.items():
            setattr(locked, field, value)
        _save_speaker(locked, sessions)
    return locked


def _linked_session_deleted() -> Conflict:
    return Conflict("A session of the speaker's was deleted meanwhile. Reload and try again.")


def delete_speaker(actor: User, speaker: Speaker) -> None:
    if not permissions.can_change_speaker(actor, speaker):
        raise Forbidden("Only the speaker, who added them, and the event's organizers may delete a speaker.")
    delete_locked(speaker)


def submit_to_call(actor: User, session: Session, profile: dict) -> Session:
    """The call for speakers: a session and the submitter's speaker profile on the event, which
    is made on their first submission and updated (and linked) on later ones."""
    with transaction.atomic():
        session = create_session(actor, session)
        speaker = Speaker.objects.select_for_update().filter(event=session.event, user=actor).first()
        if speaker is None:
            create_speaker(actor, Speaker(event=session.event, user=actor, **profile), [session])
        else:
            update_speaker(actor, speaker, [*speaker.sessions.all(), session], **profile)
    return session


def _require_event_admin(actor: User, event: Event, what: str) -> None:
    if not event_permissions.is_event_admin(actor, event):
        raise Forbidden(f"Only the event's owner and organizers may change its {what}.")


def save_event_part(actor: User, part: Sponsor | Microlocation | SessionType, **changes):
    """Create (unsaved `part`) or change a sponsor, room or session type of an event the actor
    administers."""
    _require_event_admin(actor, part.event, part._meta.verbose_name_plural)
    with transaction.atomic():
        part = changed_as_stored_now(part, changes)
        with unique_checked_again(part):
            part.save()
    return part


def delete_event_part(actor: User, part: Sponsor | Microlocation | SessionType) -> None:
    _require_event_admin(actor, part.event, part._meta.verbose_name_plural)
    delete_locked(part)


def save_track(actor: User, track: Track, organizers: list[User] | None = None, **changes) -> Track:
    """Create or change a track; its organizers must hold the track organizer role on the event."""
    _require_event_admin(actor, track.event, "tracks")
    refused = [
        user for user in organizers or [] if not event_permissions.can_organize_tracks(user, track.event)
    ]
    if refused:
        raise ValidationError({"organizers": [f"{refused[0]} is not a track organizer of this event."]})
    with transaction.atomic():
        track = changed_as_stored_now(track, changes)
        with unique_checked_again(track):
            track.save()
            if organizers is not None:
                track.organizers.set(organizers)
    return track


def delete_track(actor: User, track: Track) -> None:
    _require_event_admin(actor, track.event, "tracks")
    delete_locked(track)
