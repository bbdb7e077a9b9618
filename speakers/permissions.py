"""Who sees and changes sessions, speakers, sponsors and tracks: the one module the API, the
pages and the admin ask. Every list is a database filter; a detail view is the same filter
narrowed to one row, so a list never shows what a detail would hide (invisible is 404).

- Outsiders see the accepted and confirmed sessions of published events, and their speakers.
- A submitter also sees the sessions they created or speak at, and the speakers of those.
- Track organizers see every session (and speaker) of the tracks they organize.
- Event admins (events.permissions) see everything of their events.
"""

from django.db.models import Q, QuerySet

from accounts.permissions import is_site_admin
from events import permissions as event_permissions
from events.models import Event

from .models import Session, Speaker, Sponsor, Track

SessionSpeakers = Speaker.sessions.through


PUBLIC = Q(state__in=Session.PUBLIC_STATES, event__state=Event.State.PUBLISHED)


def public_sessions() -> QuerySet[Session]:
    """The programme everyone sees: accepted and confirmed sessions of published events."""
    return Session.objects.filter(PUBLIC)


def public_speakers() -> QuerySet[Speaker]:
    return Speaker.objects.filter(_speaking_at(public_sessions().values("pk")))


def _speaking_at(sessions) -> Q:
    return Q(pk__in=SessionSpeakers.objects.filter(session_id__in=sessions).values("speaker_id"))


def _administered_event_ids(user) -> QuerySet:
    return event_permissions.event_ids_where(user, event_permissions.CHANGE)


def _organized_track_ids(user) -> QuerySet:
    """Tracks the user organizes, on events where they hold the track organizer role."""
    return Track.objects.filter(
        organizers=user,
        event_id__in=event_permissions.event_ids_where(user, event_permissions.ORGANIZE_TRACKS),
    ).values("pk")


def _own_session_ids(user) -> QuerySet:
    """Sessions the user created or speaks at."""
    spoken = SessionSpeakers.objects.filter(speaker__user=user).values("session_id")
    return Session.objects.filter(Q(creator=user) | Q(pk__in=spoken)).values("pk")


def visible_sessions(user) -> QuerySet[Session]:
    if is_site_admin(user):
        return Session.objects.all()
    if not user.is_authenticated:
        return public_sessions()
    return Session.objects.filter(
        PUBLIC
        | Q(pk__in=_own_session_ids(user))
        | Q(event_id__in=_administered_event_ids(user))
        | Q(track_id__in=_organized_track_ids(user))
    )


def visible_speakers(user) -> QuerySet[Speaker]:
    if is_site_admin(user):
        return Speaker.objects.all()
    if not user.is_authenticated:
        return public_speakers()
    return Speaker.objects.filter(
        _speaking_at(public_sessions().values("pk"))
        | Q(user=user)
        | Q(creator=user)
        | _speaking_at(_own_session_ids(user))
        | _speaking_at(Session.objects.filter(track_id__in=_organized_track_ids(user)).values("pk"))
        | Q(event_id__in=_administered_event_ids(user))
    )


def visible_sponsors(user) -> QuerySet[Sponsor]:
    return Sponsor.objects.filter(event_id__in=event_permissions.visible_events(user).values("pk"))


def visible_tracks(user) -> QuerySet[Track]:
    return Track.objects.filter(event_id__in=event_permissions.visible_events(user).values("pk"))


def may_submit_to(user, event: Event) -> bool:
    """Anyone logged in submits to a published event; only its admins to a draft."""
    return user.is_authenticated and (event.is_published or event_permissions.is_event_admin(user, event))


def can_change_session(user, session: Session) -> bool:
    return user.is_authenticated and (
        session.creator_id == user.pk or event_permissions.is_event_admin(user, session.event)
    )


def can_see_speaker_email(user, speaker: Speaker, administered_event_ids: set[int] | None) -> bool:
    """Speakers' addresses are for who may change them. `administered_event_ids` (from
    administered_event_ids()) lets a list decide without a query per speaker."""
    if administered_event_ids is None:
        return True
    return user.is_authenticated and (
        user.pk in (speaker.user_id, speaker.creator_id) or speaker.event_id in administered_event_ids
    )


def administered_event_ids(user) -> set[int] | None:
    """The ids of the events the user administers; None for a site admin (all of them)."""
    if is_site_admin(user):
        return None
    return set(_administered_event_ids(user).values_list("content_object_id", flat=True))


def is_submitter(user, session: Session) -> bool:
    return user.is_authenticated and session.creator_id == user.pk


def can_change_speaker(user, speaker: Speaker) -> bool:
    return user.is_authenticated and (
        user.pk in (speaker.user_id, speaker.creator_id)
        or event_permissions.is_event_admin(user, speaker.event)
    )
