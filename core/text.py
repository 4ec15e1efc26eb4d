"""Text that can be stored, indexed and written into XML whatever a feed sent."""

import re

# XML 1.0 forbids C0 controls but tab, LF and CR, and U+FFFE/U+FFFF; lone surrogates cannot
# even be encoded as UTF-8 (PostgreSQL refuses them, the RSS writer raises on them).
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


def xml_safe(value) -> str:
    """The text with every character XML 1.0 and UTF-8 cannot carry removed."""
    return XML_ILLEGAL.sub("", str(value or ""))
