"""What the episodes app announces to the apps above it (scoring listens).

Both are sent after the change is written, inside its transaction; listeners that queue work
do so on commit.
"""

from django.dispatch import Signal

# sender=Transcript, episode_id=int: the words of an episode changed (scoring re-scores it).
transcript_changed = Signal()
# sender=Episode, episode_ids=list[int]: episodes were hidden or shown again (rankings change).
visibility_changed = Signal()
