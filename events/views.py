from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from openevent.errors import DomainError, Forbidden, NotFound

from . import permissions, services
from .forms import EventForm, EventSearchForm, InviteAnswerForm, changed_fields
from .models import Event, RoleInvite, UsersEventsRoles

EVENTS_PER_PAGE = 12


def event_list(request):
    """The start page: upcoming published events, searchable by name."""
    search = EventSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    events = (
        permissions.published_events()
        .filter(ends_at__gte=timezone.now())
        .select_related("event_topic")
        .order_by("starts_at", "pk")
    )
    if query:
        events = events.filter(name__icontains=query)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "events/event_list.html", {"page": page, "query": query, "search": search})


def _visible_event(request, pk) -> Event:
    return get_object_or_404(permissions.visible_events(request.user).select_related("event_topic"), pk=pk)


def event_detail(request, pk):
    event = _visible_event(request, pk)
    context = {"event": event, "is_event_admin": permissions.is_event_admin(request.user, event)}
    return render(request, "events/event_detail.html", context)


@login_required
def event_create(request):
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        event = services.create_event(request.user, form.save(commit=False))
        messages.success(request, f"{event} is created. You are its owner.")
        return redirect("events:detail", pk=event.pk)
    return render(request, "events/event_form.html", {"form": form})


@login_required
def event_edit(request, pk):
    event = _visible_event(request, pk)
    if not permissions.is_event_admin(request.user, event):
        raise PermissionDenied("Only the event's owner and organizers may change it.")
    form = EventForm(request.POST or None, instance=event)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_event(request.user, event, **changed_fields(form))
        except ValidationError as error:
            form.add_error(None, error)
        except NotFound as error:  # deleted meanwhile
            raise Http404(str(error)) from error
        except Forbidden as error:  # no longer on its team
            raise PermissionDenied(str(error)) from error
        else:
            messages.success(request, "The event is saved.")
            return redirect("events:detail", pk=event.pk)
    return render(request, "events/event_form.html", {"form": form, "event": event})


@login_required
def my_events(request):
    roles = (
        UsersEventsRoles.objects.filter(user=request.user)
        .select_related("event", "role")
        .order_by("event__starts_at", "event_id", "role_id")
    )
    invites = (
        permissions.visible_role_invites(request.user)
        .filter(email=request.user.email, status=RoleInvite.Status.PENDING, expires_at__gt=timezone.now())
        .select_related("event", "role")
    )
    return render(request, "events/my_events.html", {"roles": roles, "invites": invites})


# The emailed invite link's token, kept in the session so that no URL after the first carries it.
INVITE_SESSION_KEY = "invite_token"


@require_http_methods(["GET", "HEAD"])
def invite_link(request, token):
    """The emailed link: its token moves into the session, and the browser on to a URL without it
    (as Django's password reset does), so it stays out of later requests, referrers and logs."""
    request.session[INVITE_SESSION_KEY] = token
    return redirect("events:invite")


@login_required
def invite(request):
    """The invite of the link last opened: the invitee, logged in with the invited address, accepts
    or declines it."""
    try:
        role_invite = services.find_invite(request.session.get(INVITE_SESSION_KEY, ""))
    except DomainError as error:
        raise Http404(str(error)) from error
    if not permissions.is_invited_address(request.user, role_invite):
        return render(request, "events/invite_other_user.html", {"invite": role_invite}, status=403)
    form = InviteAnswerForm(request.POST or None, initial={"invite": role_invite.pk})
    if request.method == "POST" and form.is_valid() and form.cleaned_data["invite"] != role_invite.pk:
        form.add_error(
            None, "You opened another invite's link since: this page is out of date. Open its link again."
        )
    elif request.method == "POST" and form.is_valid():
        try:
            role_invite = services.answer_invite(
                request.user, role_invite, form.cleaned_data["answer"], with_token=True
            )
        except Forbidden as error:
            raise PermissionDenied(str(error)) from error
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            if role_invite.status == RoleInvite.Status.ACCEPTED:
                messages.success(
                    request, f"You are {role_invite.role.title_name.lower()} of {role_invite.event}."
                )
                return redirect("events:detail", pk=role_invite.event_id)
            messages.info(request, "You declined the invite.")
            return redirect("events:mine")
    return render(request, "events/invite.html", {"invite": role_invite, "form": form})
