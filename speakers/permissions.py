"""Who sees and changes sessions, speakers, sponsors and tracks: the one module the API, the
pages and the admin ask. Every list is a database filter; a detail view is the same filter
narrowed to one row, so a list never shows what a detail would hide (invisible is 404).

- Outsiders see the accepted and confirmed sessions of published events, and their speakers.
- A submitter also sees the sessions they created or speak at, and the speakers of those.
- Track organizers see every session (and speaker) of the tracks they organize.
- Event admins (events.permissions) see everything of their events.
- A draft, though, is its creator's alone: nobody else (event and site admins and track
  organizers included) sees it, reviews it, changes it or links a speaker to it. Organizers
  review from `pending` on; an event admin's own drafts are theirs as anyone's are.
- A speaker profile is seen and changed by its speaker (its `user`), by whoever added it as a
  submitter, and by event admins while they are event admins. Whether its creator was acting
  as an event admin is recorded when it is made (`created_as_event_admin`, see
  services.create_speaker): if so, event-admin rights alone cover them, and once they lose the
  role the profile is no longer theirs to change, nor to see beyond what anyone sees. One's own
  profile (the call for speakers makes it) is one's own as its `user`, whatever one's role.
"""

from django.db.models import Q, QuerySet

from accounts.permissions import is_site_admin
from events import permissions as event_permissions
from events.models import Event

from .models import Microlocation, Session, SessionType, Speaker, Sponsor, Track

SessionSpeakers = Speaker.sessions.through


PUBLIC = Q(state__in=Session.PUBLIC_STATES, event__state=Event.State.PUBLISHED)


def not_someone_elses_draft(user) -> Q:
    """Sessions past the draft state, and the user's own drafts: a draft is its creator's alone."""
    submitted = ~Q(state=Session.State.DRAFT)
    return submitted | Q(creator=user) if user.is_authenticated else submitted


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
        return Session.objects.filter(not_someone_elses_draft(user))
    if not user.is_authenticated:
        return public_sessions()
    return Session.objects.filter(
        not_someone_elses_draft(user),
        PUBLIC
        | Q(pk__in=_own_session_ids(user))
        | Q(event_id__in=_administered_event_ids(user))
        | Q(track_id__in=_organized_track_ids(user)),
    )


def _added_as_submitter_by(user) -> Q:
    return Q(creator=user, created_as_event_admin=False)


def visible_speakers(user) -> QuerySet[Speaker]:
    """Speakers of the sessions the user sees, their own profiles and those they added as a
    submitter, and every speaker of the events they administer."""
    if is_site_admin(user):
        return Speaker.objects.all()
    if not user.is_authenticated:
        return public_speakers()
    return Speaker.objects.filter(
        _speaking_at(visible_sessions(user).values("pk"))
        | Q(user=user)
        | _added_as_submitter_by(user)
        | Q(event_id__in=_administered_event_ids(user))
    )


def visible_sponsors(user) -> QuerySet[Sponsor]:
    return Sponsor.objects.filter(event_id__in=event_permissions.visible_events(user).values("pk"))


def visible_tracks(user) -> QuerySet[Track]:
    return Track.objects.filter(event_id__in=event_permissions.visible_events(user).values("pk"))


def visible_microlocations(user) -> QuerySet[Microlocation]:
    return Microlocation.objects.filter(event_id__in=event_permissions.visible_events(user).values("pk"))


def visible_session_types(user) -> QuerySet[SessionType]:
    return SessionType.objects.filter(event_id__in=event_permissions.visible_events(user).values("pk"))


def may_submit_to(user, event: Event) -> bool:
    """Anyone logged in submits to a published event; only its admins to a draft."""
    return user.is_authenticated and (event.is_published or event_permissions.is_event_admin(user, event))


def is_submitter(user, session: Session) -> bool:
    return user.is_authenticated and session.creator_id == user.pk


def is_someone_elses_draft(user, session: Session) -> bool:
    return session.state == Session.State.DRAFT and not is_submitter(user, session)


def may_review(user, session: Session) -> bool:
    """Event admins review a session once it is sent for review; a draft only if it is their own."""
    return not is_someone_elses_draft(user, session) and event_permissions.is_event_admin(user, session.event)


def can_change_session(user, session: Session) -> bool:
    return is_submitter(user, session) or may_review(user, session)


def _looks_after(user, speaker: Speaker) -> bool:
    """The speaker's own user, or who added the profile as a submitter (not as an event admin)."""
    return user.is_authenticated and (
        user.pk == speaker.user_id or (user.pk == speaker.creator_id and not speaker.created_as_event_admin)
    )


def can_see_speaker_private_details(user, speaker: Speaker, administered_event_ids: set[int] | None) -> bool:
    """A speaker's address and answers to questions that are not public are for who may change
    them. `administered_event_ids` (from administered_event_ids()) lets a list decide without a
    query per speaker."""
    if administered_event_ids is None:
        return True
    return _looks_after(user, speaker) or speaker.event_id in administered_event_ids


def can_see_session_private_answers(user, session: Session, administered_event_ids: set[int] | None) -> bool:
    """A session's answers to questions that are not public are for its submitter and its event's
    admins (as can_see_speaker_private_details)."""
    if administered_event_ids is None:
        return True
    return is_submitter(user, session) or session.event_id in administered_event_ids


def administered_event_ids(user) -> set[int] | None:
    """The ids of the events the user administers; None for a site admin (all of them)."""
    if is_site_admin(user):
        return None
    return set(_administered_event_ids(user).values_list("content_object_id", flat=True))


def can_change_speaker(user, speaker: Speaker) -> bool:
    return _looks_after(user, speaker) or event_permissions.is_event_admin(user, speaker.event)
