from django import forms
from django.core.exceptions import ValidationError

from config.forms import SubmissionKeyMixin
from districts.roster import services as roster


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """One or more files from a single <input type="file" multiple>."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        clean_one = super().clean
        return [clean_one(file, initial) for file in (data if isinstance(data, list | tuple) else [data])]


class RosterUploadForm(SubmissionKeyMixin):
    files = MultipleFileField(
        label="Roster files",
        help_text="A OneRoster .zip; or orgs.csv and users.csv (and manifest.csv), selected together; "
        "or one teachers.csv. Up to 50 MB in all.",
        widget=MultipleFileInput(attrs={"accept": ".zip,.csv"}),
    )

    def clean_files(self) -> roster.Upload:
        files = self.cleaned_data["files"]
        # Checked on the size the upload declares, before reading a byte of it.
        size = sum(file.size for file in files)
        if size > roster.MAX_UPLOAD_BYTES:
            raise ValidationError(
                f"The upload is {size / 2**20:.1f} MB: the limit is {roster.MAX_UPLOAD_BYTES >> 20} MB. "
                "Cadence reads only manifest.csv, orgs.csv and users.csv: upload those on their own."
            )
        return roster.bundle_upload(files=files)
