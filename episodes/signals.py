"""What the episodes app announces to the apps above it (scoring listens).

Both are sent after the change is written, inside its transaction; listeners that queue work
do so on commit.
"""

from django.dispatch import Signal

# sender=Transcript, episode_id=int: a fetch or our speech-to-text wrote new words. Only a
# shortcut: scoring's every-minute sweep finds every transcript whose words differ from its
# scorecard's in the database (scoring.services.waiting_to_be_scored); this lets scoring
# start on commit (at once when tasks run inline, without a broker).
transcript_changed = Signal()
# sender=Episode, episode_ids=list[int]: episodes were hidden or shown again (rankings change).
visibility_changed = Signal()
