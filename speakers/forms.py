from django import forms

from openevent.forms import MultilineField

from .models import Session, Speaker, Track


class SessionProposalForm(forms.ModelForm):
    class Meta:
        model = Session
        fields = ["title", "subtitle", "track", "level", "language", "short_abstract", "long_abstract"]
        widgets = {
            "short_abstract": forms.Textarea(attrs={"rows": 3}),
            "long_abstract": forms.Textarea(attrs={"rows": 8}),
        }
        field_classes = {"short_abstract": MultilineField, "long_abstract": MultilineField}

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.event = event
        self.fields["track"].queryset = Track.objects.filter(event=event)
        if not self.fields["track"].queryset.exists():
            del self.fields["track"]


class SpeakerProfileForm(forms.ModelForm):
    """The submitter's speaker profile on the event (prefix "speaker")."""

    class Meta:
        model = Speaker
        fields = ["name", "email", "organisation", "short_biography", "website", "photo_url"]
        widgets = {"short_biography": forms.Textarea(attrs={"rows": 3})}
        field_classes = {"short_biography": MultilineField}
        labels = {"name": "Your name as it should appear", "photo_url": "Photo URL"}
