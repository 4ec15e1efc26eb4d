"""Speech-to-text with speaker labels: an audio file in, a transcript labelled A, B, C… out.

`pipeline.transcribe_file()` is the entrance; `audio` decodes, `engines` transcribe, `diarize`
labels the speakers and `errors` holds the AsrError family whose `status` callers record. This
file imports nothing, so importing any of those modules never runs the others.
"""
