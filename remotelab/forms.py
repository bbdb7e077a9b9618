from django import forms

from openevent.forms import MultilineField

from .models import LabScript


class LabScriptForm(forms.ModelForm):
    class Meta:
        model = LabScript
        fields = ["title", "code"]
        widgets = {"code": forms.Textarea(attrs={"rows": 16, "spellcheck": "false", "class": "code"})}
        field_classes = {"code": MultilineField}
        help_texts = {"code": "Python. print, print_, button, label, plot and the lab functions are at hand."}
