from django import forms

from datasets.models import Dataset


class DatasetUploadForm(forms.Form):
    """What the upload page sends before the browser PUTs the file (filename and size from the picker)."""

    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    format = forms.ChoiceField(choices=Dataset.Format.choices)
    compression = forms.ChoiceField(
        choices=[("", "Detect automatically"), *Dataset.Compression.choices], required=False
    )
    expected_rows = forms.IntegerField(required=False, min_value=0)
    filename = forms.CharField(max_length=255, widget=forms.HiddenInput)
    size_bytes = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class DatasetFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *Dataset.Status.choices], required=False)
    search = forms.CharField(required=False, max_length=200)
