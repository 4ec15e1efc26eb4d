"""Feed ingestion, the shows' half: fetch, parse, the show's row and fetch log, the schedule.

The poll that runs these steps and stores the items as episodes in the same transaction is
episodes.ingest (shows may not import episodes). This file imports none of the package's
modules, so importing one of them never imports the others in a circle.
"""
