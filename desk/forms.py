"""The override form of one score on the review screen."""

from django import forms


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
