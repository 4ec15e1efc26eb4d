"""Speaker names: which label is whom, read safely whatever the stored value holds.

A transcript's `speaker_names` maps a speaker label ("A", "B") to a display name. It is written
by feeds, our speech recognition, editors and shells, so it is read through `usable_names`: a
value that is not a mapping of text to text (a list, a plain string, a number) names nobody
rather than breaking every page that shows a speaker.
"""

from django.core.exceptions import ValidationError

MAX_NAME_CHARS = 100
# Labels longer than this are names already (a publisher's "Dana Reyes:" prefixes).
SHORT_LABEL_CHARS = 2


def usable_names(value) -> dict[str, str]:
    """The label → name pairs of a stored value that can be shown, with spacing tidied."""
    if not isinstance(value, dict):
        return {}
    names = {}
    for label, name in value.items():
        if isinstance(label, str) and isinstance(name, str) and name.strip():
            names[label] = " ".join(name.split())[:MAX_NAME_CHARS]
    return names


def display_name(names: dict[str, str], label: str) -> str:
    """How a speaker is shown: its name, else "Speaker A" for a short label, else the label."""
    label = label if isinstance(label, str) else ""
    return names.get(label) or (f"Speaker {label}" if len(label) <= SHORT_LABEL_CHARS else label)


def clean_name(value) -> str:
    """One speaker's name as an editor typed it: one line, 1 to MAX_NAME_CHARS characters."""
    if not isinstance(value, str):
        raise ValidationError("Give the speaker's name as text.")
    name = " ".join(value.split())
    if not name:
        raise ValidationError('Give a name, or "Host" or "Guest".')
    if len(name) > MAX_NAME_CHARS:
        raise ValidationError(f"A name has at most {MAX_NAME_CHARS} characters.")
    if any(not ch.isprintable() for ch in name):
        raise ValidationError("A name cannot contain control characters.")
    return name


def validate_speaker_names(value) -> None:
    """Refuse a stored value that is not {label: name} with every name a usable one."""
    if not isinstance(value, dict):
        raise ValidationError(
            'Speaker names must be an object of label to name, e.g. {"A": "Dana", "B": "Guest"}.'
        )
    for label, name in value.items():
        if not label.strip():
            raise ValidationError("A speaker label cannot be empty.")
        try:
            clean_name(name)
        except ValidationError as exc:
            raise ValidationError(f"Speaker {label}: {exc.messages[0]}") from None
