import json

import pytest
from django.core.management import call_command

from episodes.transcripts.analysis import analyze, count_words, filler_counts, speaker_shares
from episodes.transcripts.parse import parse_plain_text

# tests/data/transcripts/three_speakers.txt, counted by hand: A says 180 words, B 140 and
# C 80 of 400; "so" 6 times, "like" 5, "uh" 4, "actually" 3, "you know" 2 and "erm" once.
OWN_SPEAKERS = [
    {"label": "A", "words": 180, "share": 45},
    {"label": "B", "words": 140, "share": 35},
    {"label": "C", "words": 80, "share": 20},
]
OWN_FILLERS = [
    {"word": "so", "count": 6},
    {"word": "like", "count": 5},
    {"word": "uh", "count": 4},
    {"word": "actually", "count": 3},
    {"word": "you know", "count": 2},
    {"word": "er", "count": 1},
]
# The figures the reference page (../shared) prints for its transcript.
REFERENCE_SPEAKERS = [
    {"label": "A", "share": 43},
    {"label": "B", "share": 40},
    {"label": "C", "share": 17},
]
REFERENCE_FILLERS = [
    {"word": "so", "count": 33},
    {"word": "like", "count": 24},
    {"word": "uh", "count": 18},
    {"word": "actually", "count": 15},
    {"word": "right", "count": 10},
    {"word": "kind of", "count": 7},
    {"word": "basically", "count": 6},
    {"word": "um", "count": 3},
    {"word": "er", "count": 2},
    {"word": "you know", "count": 1},
    {"word": "sort of", "count": 1},
]


def test_it_gives_the_hand_counted_figures_for_our_three_speaker_transcript(
    three_speaker_transcript,
):
    result = analyze(parse_plain_text(three_speaker_transcript))
    assert result == {"speakers": OWN_SPEAKERS, "fillers": OWN_FILLERS}


def test_it_prints_the_figures_of_our_transcript_as_json(capsys, data_dir):
    call_command(
        "analyze_transcript", str(data_dir / "transcripts" / "three_speakers.txt"), "--json"
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed == {
        "speakers": [{"label": s["label"], "share": s["share"]} for s in OWN_SPEAKERS],
        "fillers": OWN_FILLERS,
    }


def test_it_prints_a_readable_table(tmp_path, capsys):
    path = tmp_path / "t.txt"
    path.write_text("Speaker A: so um hello there\nSpeaker B: right, you know, yes\n")
    call_command("analyze_transcript", str(path))
    out = capsys.readouterr().out
    assert "Share of words spoken" in out
    assert "A" in out and "50%" in out
    assert "you know" in out


def test_it_matches_fillers_as_whole_words_only():
    segments = [{"speaker": "A", "text": "Solar unlikely rightly sorted; so like, ERM, ah, Um."}]
    counts = {f["word"]: f["count"] for f in filler_counts(segments)}
    assert counts == {"so": 1, "like": 1, "er": 2, "um": 1}


def test_it_matches_phrases_across_case_and_spacing():
    segments = [{"speaker": "A", "text": "You  know, I MEAN it's kind\nof literally sort of fine"}]
    counts = {f["word"]: f["count"] for f in filler_counts(segments)}
    assert counts == {"you know": 1, "I mean": 1, "kind of": 1, "literally": 1, "sort of": 1}


def test_it_survives_an_empty_transcript():
    assert analyze(parse_plain_text("")) == {"speakers": [], "fillers": []}
    assert analyze([]) == {"speakers": [], "fillers": []}


def test_it_gives_a_single_speaker_the_whole_share():
    shares = speaker_shares(parse_plain_text("Speaker A: one two three\nand four more words"))
    assert shares == [{"label": "A", "words": 7, "share": 100}]


def test_it_counts_non_ascii_words():
    assert count_words("Müller sagt: 今日は naïve — co-op, don't") == 6
    shares = speaker_shares([{"speaker": "Zoë", "text": "Ça va très bien"}])
    assert shares[0] == {"label": "Zoë", "words": 4, "share": 100}


def test_it_keeps_real_speaker_names():
    segments = parse_plain_text("Jane Doe: hello\nSpeaker b: hi\n[01:02] Jane Doe: again")
    assert [s["speaker"] for s in segments] == ["Jane Doe", "B", "Jane Doe"]
    assert segments[2]["start"] == 62.0


def test_it_analyses_a_four_hour_transcript():
    line = "Speaker {}: so we basically grew revenue by 40% and, you know, it was hard work. "
    lines = [line.format("AB"[i % 2]) * 3 for i in range(40_000 // 45)]
    segments = parse_plain_text("\n".join(lines))
    result = analyze(segments)
    assert sum(s["words"] for s in result["speakers"]) > 39_000
    assert result["fillers"][0]["word"] in {"so", "basically", "you know"}


def test_it_refuses_a_missing_file(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Cannot read"):
        call_command("analyze_transcript", str(tmp_path / "missing.txt"))


# --- the reference page (../shared), an extra layer -------------------------------------------


def test_it_gives_the_reference_figures_for_the_reference_transcript(reference_transcript):
    result = analyze(parse_plain_text(reference_transcript))
    assert [{"label": s["label"], "share": s["share"]} for s in result["speakers"]] == (
        REFERENCE_SPEAKERS
    )
    assert result["fillers"] == REFERENCE_FILLERS


def test_it_prints_the_reference_figures_as_json(tmp_path, capsys, reference_transcript):
    path = tmp_path / "reference.txt"
    path.write_text(reference_transcript, encoding="utf-8")
    call_command("analyze_transcript", str(path), "--json")
    printed = json.loads(capsys.readouterr().out)
    assert printed == {"speakers": REFERENCE_SPEAKERS, "fillers": REFERENCE_FILLERS}
