"""The review screen's forms: one score's correction, and corrections of the transcript."""

from django import forms

from episodes.transcripts.names import MAX_NAME_CHARS, clean_name


class OverrideForm(forms.Form):
    """Set, change or revert one score; `version` is the log row the editor saw (optimistic lock).

    The form names its fields with the score's key as prefix, so every score on the screen has
    its own form and a failed one re-renders with what the editor typed.
    """

    SAVE, REVERT = "save", "revert"

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    score = forms.IntegerField(required=False)  # bounds set per score in __init__
    reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
        help_text="Shown to readers with the score.",
    )

    def __init__(self, *args, maximum: int, op: str = SAVE, **kwargs):
        super().__init__(*args, **kwargs)
        self.maximum, self.op = maximum, op
        whole = f"Give a whole number from 0 to {maximum}."
        self.fields["score"] = forms.IntegerField(
            required=False,
            min_value=0,
            max_value=maximum,
            error_messages={
                "invalid": whole,
                "min_value": whole,
                "max_value": f"At most {maximum}.",
            },
            widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        )

    def clean(self):
        data = super().clean()
        if self.op == self.REVERT:
            return data
        if data.get("score") is None and "score" not in self.errors:
            self.add_error("score", f"Give a whole number from 0 to {self.maximum}.")
        if not (data.get("reason") or "").strip() and "reason" not in self.errors:
            self.add_error("reason", "Say why: the reason is shown with the score.")
        return data


class TranscriptEditForm(forms.Form):
    """What every correction of a transcript carries: the version the editor saw."""

    version = forms.CharField(widget=forms.HiddenInput, max_length=64)


class RenameSpeakerForm(TranscriptEditForm):
    """A speaker label's new name: a person's, or "Host" / "Guest"."""

    label = forms.CharField(widget=forms.HiddenInput, max_length=200, strip=False)
    name = forms.CharField(
        max_length=MAX_NAME_CHARS,
        validators=[clean_name],
        error_messages={"required": 'Give a name, or "Host" or "Guest".'},
    )


class MergeSpeakersForm(TranscriptEditForm):
    """Two labels the speaker recognition gave one person: `label` becomes `into`."""

    label = forms.ChoiceField()
    into = forms.ChoiceField()

    def __init__(self, *args, labels: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("label", "into"):
            self.fields[name].choices = labels
            self.fields[name].error_messages["invalid_choice"] = (
                "Choose a speaker of this transcript."
            )

    def clean(self):
        data = super().clean()
        if data.get("label") and data.get("label") == data.get("into"):
            self.add_error("into", "Choose two different speakers to merge.")
        return data


class CorrectSegmentForm(TranscriptEditForm):
    """The corrected words of one segment (numbered from 1, as the review screen shows)."""

    number = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give the words of the segment: it cannot be empty."},
    )
