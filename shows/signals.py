"""What the shows app announces to the apps above it (they listen; shows imports none of them).

Only news that nothing depends on: the poll's own work never waits on a listener.
"""

from django.dispatch import Signal

# sender=Show, show=Show (now a duplicate), canonical=Show (the one kept), reason=str.
# Sent when a poll finds that a show's feed is another show's (a redirect, the same GUID):
# the desk logs it beside the editors' own merges.
show_merged = Signal()
