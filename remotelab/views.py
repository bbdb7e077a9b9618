from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from . import permissions, services
from .forms import LabScriptForm
from .functions import FUNCTIONS, UNITS
from .models import LabScript


@login_required
def lab(request):
    """The lab: a function console, the user's scripts, the examples and a live output pane."""
    context = {
        "scripts": permissions.visible_scripts(request.user),
        "examples": services.examples(),
        "functions": FUNCTIONS.values(),
        "units": UNITS,
    }
    return render(request, "remotelab/lab.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def edit_script(request, pk=None):
    """A new or saved script's editor, with the output of running what is typed beside it."""
    script = get_object_or_404(permissions.visible_scripts(request.user), pk=pk) if pk else LabScript()
    form = LabScriptForm(request.POST or None, instance=script)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_script(request.user, script, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{script} is saved.")
            return redirect("remotelab:lab")
    context = {"form": form, "script": script, "units": UNITS}
    return render(request, "remotelab/script_form.html", context)


@require_POST
@login_required
def delete_script(request, pk):
    script = get_object_or_404(permissions.visible_scripts(request.user), pk=pk)
    services.delete_script(request.user, script)
    messages.success(request, f"{script} is deleted.")
    return redirect("remotelab:lab")


@require_POST
@login_required
def copy_example(request, name):
    code = services.examples().get(name)
    if code is None:
        raise Http404("No such example.")
    script = services.save_script(
        request.user, LabScript(), title=name.replace("_", " ").capitalize(), code=code
    )
    return redirect("remotelab:edit", pk=script.pk)
