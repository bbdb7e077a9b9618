from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods

from events import permissions as event_permissions
from events.models import Event
from forms_builder import services as forms_services
from forms_builder.models import CustomForm
from openevent.errors import DomainError

from . import permissions, programme, services
from .forms import SessionProposalForm, SpeakerProfileForm
from .models import Session, Speaker


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def submit(request, pk):
    """The call for speakers: a session and the submitter's speaker profile, each with the
    event's own questions (a later submission shows the profile's answers so far)."""
    event = get_object_or_404(Event, pk=pk)
    if not permissions.may_submit_to(request.user, event):
        raise Http404("No such event.")
    profile = Speaker.objects.filter(event=event, user=request.user).first()
    initial = {"name": request.user.get_full_name(), "email": request.user.email}
    data = request.POST or None
    session_form = SessionProposalForm(data, event=event)
    session_answers = forms_services.answers_form(event, CustomForm.Form.SESSION)(
        data, prefix="session-answers"
    )
    speaker_form = SpeakerProfileForm(data, instance=profile, initial=initial, prefix="speaker")
    speaker_answers = forms_services.answers_form(event, CustomForm.Form.SPEAKER)(
        data, prefix="speaker-answers", initial=profile.complex_field_values if profile else None
    )
    forms = (session_form, session_answers, speaker_form, speaker_answers)
    if request.method == "POST" and all([form.is_valid() for form in forms]):
        session = session_form.save(commit=False)
        session.state = Session.State.DRAFT if "save_draft" in request.POST else Session.State.PENDING
        session.complex_field_values = forms_services.stored(session_answers.cleaned_data)
        profile_changes = speaker_form.cleaned_data | {
            "complex_field_values": forms_services.stored(speaker_answers.cleaned_data)
        }
        try:
            services.submit_to_call(request.user, session, profile_changes)
        except ValidationError as error:  # a form changed meanwhile: said above the form
            session_form.add_error(None, error.messages)
        except DomainError as error:
            session_form.add_error(None, str(error))
        else:
            messages.success(
                request,
                "Your session is saved as a draft."
                if session.state == Session.State.DRAFT
                else "Your session is submitted. The organizers will review it.",
            )
            return redirect("speakers:mine")
    context = {
        "event": event,
        "session_form": session_form,
        "session_answers": session_answers,
        "speaker_form": speaker_form,
        "speaker_answers": speaker_answers,
    }
    return render(request, "speakers/submit.html", context)


@login_required
def my_submissions(request):
    """The user's sessions, each with what they may do to it: edit it before review, send a
    draft for review, withdraw it (services.SUBMITTER_TRANSITIONS)."""
    sessions = list(
        Session.objects.filter(creator=request.user).select_related("event", "track").order_by("-created_at")
    )
    for session in sessions:
        session.moves = services.SUBMITTER_TRANSITIONS[session.state]
        session.editable = session.state in services.SUBMITTER_EDITABLE_STATES
    return render(request, "speakers/my_submissions.html", {"sessions": sessions, "State": Session.State})


def _own_session(request, pk) -> Session:
    return get_object_or_404(Session.objects.select_related("event"), pk=pk, creator=request.user)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def edit(request, pk):
    """The submitter changes a draft or pending session and its answers; a draft may be sent
    for review at the same time."""
    session = _own_session(request, pk)
    if session.state not in services.SUBMITTER_EDITABLE_STATES:
        messages.error(request, f'"{session}" is {session.state}: only the organizers change it now.')
        return redirect("speakers:mine")
    data = request.POST or None
    form = SessionProposalForm(data, instance=session, event=session.event)
    answers = forms_services.answers_form(session.event, CustomForm.Form.SESSION)(
        data, prefix="session-answers", initial=session.complex_field_values
    )
    if request.method == "POST" and form.is_valid() and answers.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        changes["complex_field_values"] = forms_services.stored(answers.cleaned_data)
        if "send_for_review" in request.POST:
            changes["state"] = Session.State.PENDING
        try:
            services.update_session(request.user, session, **changes)
        except ValidationError as error:
            form.add_error(None, error.messages)
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f'"{form.cleaned_data["title"]}" is saved.')
            return redirect("speakers:mine")
    context = {"event": session.event, "session": session, "session_form": form, "session_answers": answers}
    return render(request, "speakers/edit.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def move(request, pk, state):
    """The submitter's buttons: send a draft for review, or withdraw (asked to confirm first:
    a withdrawn session stays withdrawn)."""
    session = _own_session(request, pk)
    if request.method != "POST":
        if state != Session.State.WITHDRAWN:
            return redirect("speakers:mine")
        if session.state == state:  # from any other state, the service says whether it may
            messages.info(request, f'"{session}" is {session.state} already.')
            return redirect("speakers:mine")
        return render(request, "speakers/withdraw.html", {"session": session})
    try:
        services.change_state(request.user, session, state)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f'"{session}" is {state} now.')
    return redirect("speakers:mine")


# The public programme: a schedule, a page per session and per speaker, and calendars.


def _event(request, pk) -> Event:
    return get_object_or_404(event_permissions.visible_events(request.user), pk=pk)


@require_http_methods(["GET", "HEAD"])
def schedule(request, pk):
    event = _event(request, pk)
    days, unscheduled = programme.by_day(event, programme.sessions_of(event))
    return render(
        request, "speakers/schedule.html", {"event": event, "days": days, "unscheduled": unscheduled}
    )


@require_http_methods(["GET", "HEAD"])
def session_detail(request, pk, session_pk):
    event = _event(request, pk)
    session = get_object_or_404(programme.sessions_of(event), pk=session_pk)
    (session,) = programme.with_public_answers([session], event, CustomForm.Form.SESSION)
    return render(request, "speakers/session_detail.html", {"event": event, "session": session})


@require_http_methods(["GET", "HEAD"])
def speaker_detail(request, pk, speaker_pk):
    event = _event(request, pk)
    speaker = get_object_or_404(programme.speakers_of(event), pk=speaker_pk)
    (speaker,) = programme.with_public_answers([speaker], event, CustomForm.Form.SPEAKER)
    context = {"event": event, "speaker": speaker, "sessions": programme.sessions_of_speaker(speaker)}
    return render(request, "speakers/speaker_detail.html", context)


@require_http_methods(["GET", "HEAD"])
def schedule_calendar(request, pk):
    event = _event(request, pk)
    return _calendar(request, event, programme.sessions_of(event), slugify(event.name) or "schedule")


@require_http_methods(["GET", "HEAD"])
def session_calendar(request, pk, session_pk):
    event = _event(request, pk)
    session = get_object_or_404(programme.sessions_of(event).filter(starts_at__isnull=False), pk=session_pk)
    return _calendar(request, event, [session], slugify(session.title) or "session")


def _calendar(request, event: Event, sessions, name: str) -> HttpResponse:
    def url_of(session):
        return request.build_absolute_uri(reverse("speakers:session", args=[event.pk, session.pk]))

    response = HttpResponse(
        programme.calendar(event, sessions, url_of), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.ics"'
    return response
