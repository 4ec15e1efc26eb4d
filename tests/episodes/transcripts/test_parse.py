import json
from pathlib import Path

import pytest
from django.core.management import call_command

from episodes.transcripts.analysis import analyze
from episodes.transcripts.parse import (
    TranscriptError,
    detect_format,
    parse_plain_text,
    parse_transcript,
)

TRANSCRIPTS = Path(__file__).resolve().parents[2] / "data" / "transcripts"

VTT = """WEBVTT

00:00:00.000 --> 00:00:05.000
<v John>Podcasting 2.0 is really changing the game.

00:00:05.000 --> 00:00:10.000
<v Tom>Yeah, absolutely. The new features are &amp; incredible.

00:00:10.000 --> 00:00:15.000
It's amazing how it's empowering creators.

00:00:15.000 --> 00:00:20.000
<v John>Exactly, Tom.
"""


def texts(transcript):
    return [(s["speaker"], s["text"]) for s in transcript.segments]


def test_it_reads_vtt_voice_tags_as_named_speakers_in_order_of_appearance():
    transcript = parse_transcript(VTT)
    assert transcript.format == "vtt"
    assert transcript.speaker_names == {"A": "John", "B": "Tom"}
    assert texts(transcript) == [
        ("A", "Podcasting 2.0 is really changing the game."),
        (
            "B",
            "Yeah, absolutely. The new features are & incredible. It's amazing how it's "
            "empowering creators.",
        ),
        ("A", "Exactly, Tom."),
    ]
    assert (transcript.segments[1]["start"], transcript.segments[1]["end"]) == (5.0, 15.0)


def test_it_reads_json_speakers_and_joins_word_level_segments():
    body = json.dumps(
        {
            "version": "1.0.0",
            "segments": [
                {"speaker": "Darth Vader", "startTime": 0.5, "endTime": 0.75, "body": "I"},
                {"speaker": "Darth Vader", "startTime": 1, "endTime": 1.25, "body": "am"},
                {"speaker": "Darth Vader", "startTime": "00:01.5", "endTime": 2.5, "body": "it."},
                {"speaker": "Luke", "startTime": 2.75, "endTime": 3.0, "body": "Nooooo"},
                {"speaker": "Luke", "startTime": 3.5, "body": 42},
                "not a segment",
            ],
        }
    )
    transcript = parse_transcript(body.encode(), content_type="application/json")
    assert transcript.format == "json"
    assert transcript.speaker_names == {"A": "Darth Vader", "B": "Luke"}
    assert transcript.segments == [
        {"speaker": "A", "start": 0.5, "end": 2.5, "text": "I am it."},
        {"speaker": "B", "start": 2.75, "end": 3.0, "text": "Nooooo"},
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"segments": [', "Invalid JSON"),
        (b'{"version": "1.0.0"}', "segments"),
        (b'{"segments": []}', "no text"),
        (b"", "empty"),
        (b"\xef\xbb\xbf  \n", "empty"),
        (b"WEBVTT\n\nNOTE nothing here\n", "no text"),
    ],
)
def test_it_rejects_unusable_transcripts_with_a_reason(body, message):
    with pytest.raises(TranscriptError, match=message):
        parse_transcript(body)


def test_it_reads_srt_with_name_prefixes_and_carries_the_speaker_forward():
    srt = (
        "1\r\n00:00:00,179 --> 00:00:02,399\r\nTravis: When you first get\r\nstarted, it's\r\n\r\n"
        "2\r\n00:00:02,400 --> 00:00:04,799\r\nalmost guaranteed.\r\n\r\n"
        "3\r\n00:00:05,000 --> 00:00:06,000\r\nSarah: Right.\r\n"
    )
    transcript = parse_transcript(srt.encode())
    assert transcript.format == "srt"
    assert transcript.speaker_names == {"A": "Travis", "B": "Sarah"}
    assert texts(transcript) == [
        ("A", "When you first get started, it's almost guaranteed."),
        ("B", "Right."),
    ]
    assert transcript.segments[0]["start"] == pytest.approx(0.179)


def test_it_keeps_the_text_of_cues_with_bad_or_missing_timings():
    vtt = (
        "00:00:00.500 --> 00:00:07.000\nfirst\n\n"
        "00:00:07.000 --> 00:00:1d.890\nsecond\n\n"
        "3\nthird without timing\n\n"
        "00:00:11.890 --> 00:00:16.320\n\n"
        "00:00:16.320 --> 00:00:21.580\n<c.yellow>fourth</c> <00:00:17.000>part\n"
    )
    transcript = parse_transcript(vtt, format="vtt")
    assert transcript.segments == [
        {
            "speaker": "A",
            "start": 0.5,
            "end": 21.58,
            "text": "first second third without timing fourth part",
        }
    ]


def test_it_skips_header_style_and_note_blocks_and_strips_a_bom():
    vtt = (
        "\ufeffWEBVTT - with notes\nKind: captions\n\nSTYLE\n::cue { color: red; }\n\n"
        "NOTE a comment\n\n00:01.000 --> 00:02.000\n- Hello <b>world</b>.\n"
    )
    transcript = parse_transcript(vtt.encode("utf-8"))
    assert texts(transcript) == [("A", "Hello world.")]
    assert transcript.segments[0]["start"] == 1.0


def test_it_reads_the_podcast_namespace_html_format():
    html = (
        "<cite>Kevin:</cite>\n<time>0:00</time>\n<p>We have an update &amp; more.</p>\n"
        "<cite>Alban :</cite><time>0:09</time><p>You're <b>triggering</b> Tom.</p>"
        "<script>alert(1)</script>"
    )
    transcript = parse_transcript(html, content_type="text/html")
    assert transcript.format == "html"
    assert transcript.speaker_names == {"A": "Kevin", "B": "Alban"}
    assert transcript.segments == [
        {"speaker": "A", "start": 0.0, "end": None, "text": "We have an update & more."},
        {"speaker": "B", "start": 9.0, "end": None, "text": "You're triggering Tom."},
    ]


def test_it_reads_a_plain_html_page_by_its_paragraphs_and_line_breaks():
    html = (
        "<html><body><h1>Episode 12</h1>"
        "<p>Dana: Welcome.<br>Priya: Thanks.<br/>Glad to be here.</p>"
        "<p>It has been a year.</p><div>Dana: It has.</div>"
        "<table><tr><td>[00:01:10] Omar: One more thing.</td></tr></table>"
        "<h3>Priya 00:01:20</h3><p>Go on.</p>"
        "<time>March 3, 2025</time></body></html>"
    )
    transcript = parse_transcript(html, content_type="text/html")
    assert transcript.format == "html"
    assert transcript.speaker_names == {"B": "Dana", "C": "Priya", "D": "Omar"}
    assert [(s["speaker"], s["start"], s["text"]) for s in transcript.segments] == [
        ("A", None, "Episode 12"),
        ("B", None, "Welcome."),
        ("C", None, "Thanks. Glad to be here."),
        ("C", None, "It has been a year."),
        ("B", None, "It has."),
        ("D", 70.0, "One more thing."),
        ("C", 80.0, "Go on."),
        ("C", None, "March 3, 2025"),
    ]


def test_it_reads_plain_text_with_stamps_and_names_but_not_sentences_with_colons():
    text = (
        "00:00:00 Jane Doe: Welcome to the show.\n"
        "So here's the thing: margins matter.\n"
        "[00:01:10] Omar: Thanks for having me.\n"
        "00:01:20 And I mean it.\n"
    )
    transcript = parse_transcript(text)
    assert transcript.format == "text"
    assert transcript.speaker_names == {"A": "Jane Doe", "B": "Omar"}
    assert [(s["speaker"], s["start"], s["text"]) for s in transcript.segments] == [
        ("A", 0.0, "Welcome to the show. So here's the thing: margins matter."),
        ("B", 70.0, "Thanks for having me."),
        ("B", 80.0, "And I mean it."),
    ]


def test_it_labels_unnamed_speakers_a_b_c_in_order_of_appearance():
    vtt = (
        "WEBVTT\n\n0.0 --> 1.0\n<v SPEAKER_2>Hi.\n\n1.0 --> 2.0\n<v SPEAKER_1>Hello.\n\n"
        "2.0 --> 3.0\n<v SPEAKER_3>Hey.\n\n3.0 --> 4.0\n<v SPEAKER_2>Bye.\n"
    )
    transcript = parse_transcript(vtt)
    assert transcript.speaker_names == {}
    assert [s["speaker"] for s in transcript.segments] == ["A", "B", "C", "A"]


def test_it_keeps_speaker_letters_that_are_already_letters():
    transcript = parse_transcript("Speaker B: first words\nSpeaker A: second words\n")
    assert [s["speaker"] for s in transcript.segments] == ["B", "A"]
    assert transcript.speaker_names == {}


def test_it_decodes_utf16_transcripts():
    transcript = parse_transcript("Zoë: Ça va très bien.\n".encode("utf-16"))
    assert transcript.speaker_names == {"A": "Zoë"}
    assert transcript.segments[0]["text"] == "Ça va très bien."


@pytest.mark.parametrize(
    ("head", "content_type", "expected"),
    [
        ('{"segments": []}', None, "json"),
        ("WEBVTT\n", "text/plain", "vtt"),
        ("1\n00:00:01,000 --> 00:00:02,000\nhi", None, "srt"),
        ("0.860 --> 7.380\nhi", None, "vtt"),
        ("<cite>A:</cite><p>hi</p>", None, "html"),
        ("just words", "text/html; charset=utf-8", "html"),
        ("just words", None, "text"),
    ],
)
def test_it_detects_the_format_from_content_then_content_type(head, content_type, expected):
    assert detect_format(head, content_type) == expected


def test_it_gives_our_transcripts_figures_through_the_auto_parser(three_speaker_transcript):
    auto = parse_transcript(three_speaker_transcript)
    assert auto.format == "text"
    assert analyze(auto.segments) == analyze(parse_plain_text(three_speaker_transcript))
    assert [s["speaker"] for s in auto.segments][:3] == ["A", "B", "C"]


# Our own files in tests/data/transcripts, one per quirk the shared corpus taught: the format
# found, the real names kept, and every segment as (speaker, start, text).
OWN_TRANSCRIPTS = {
    "voices.vtt": (
        "vtt",
        {"A": "Dana Reyes", "B": "Priya Natarajan"},
        [
            ("A", 0.0, "Welcome to Ledger Lessons, where we talk about closing the books."),
            (
                "B",
                4.2,
                "Thanks, Dana. Accruals & reconciliations are my favourite topics. "
                "I have been a controller for eleven years.",
            ),
            ("A", 12.5, "Then let us start with the month-end close."),
        ],
    ),
    "generic_speakers.vtt": (
        "vtt",
        {},
        [
            ("A", 0.86, "Cash forecasting is back on every finance agenda this year."),
            ("B", 4.5, "And the teams that do it weekly are the calm ones."),
            ("A", 7.3, "Weekly, not monthly."),
        ],
    ),
    "header_styles_notes.vtt": (
        "vtt",
        {},
        [("A", 1.0, "Is the close faster now? Six days, down from nine. That is real progress.")],
    ),
    "cue_tags.vtt": (
        "vtt",
        {},
        [("A", 16.5, "When the ledger finally balances the whole team goes home early")],
    ),
    "bad_timings.vtt": (
        "vtt",
        {},
        [
            (
                "A",
                0.5,
                "First caption about the budget. Second caption about the forecast. "
                "Third caption without any timing. Fourth caption about the variance.",
            )
        ],
    ),
    "accents.vtt": (
        "vtt",
        {},
        [
            (
                "A",
                0.0,
                "Bienvenidos a Cierre Contable, el programa sobre la contabilidad. "
                "Hoy hablamos de conciliaciones bancarias y de la tesorería.",
            )
        ],
    ),
    "names.srt": (
        "srt",
        {"A": "Dana Reyes", "B": "Priya"},
        [
            ("A", 0.179, "When you first automate the close, it feels risky, but it gets easier."),
            (
                "B",
                5.0,
                "It does. We cleared three thousand small items. Nobody missed the spreadsheets.",
            ),
            ("A", 9.0, "Good to hear."),
        ],
    ),
    "cp1252.srt": (
        "srt",
        {"A": "René", "B": "Zoë"},
        [
            ("A", 0.0, "We call it the \u201cfast close\u201d \u2013 six days."),
            ("B", 3.0, "That\u2019s quick."),
        ],
    ),
    "namespace.html": (
        "html",
        {"A": "Dana", "B": "Priya"},
        [
            ("A", 0.0, "Welcome back. Today it's all about accruals & deferrals."),
            ("B", 7.0, "Thanks, Dana. Accruals first, then."),
            ("A", 3725.0, "And that is the show."),
        ],
    ),
    "no_cite.html": (
        "html",
        {},
        [
            ("A", 0.0, "Hello, and welcome to the weekly review of finance news."),
            ("A", 4.0, "First up, three new rules for revenue recognition."),
        ],
    ),
    "paragraphs.html": (
        "html",
        {"A": "Dana Reyes", "B": "Priya", "C": "Omar"},
        [
            ("A", 0.0, "Welcome back to Ledger Lessons. This week, the fast close."),
            ("B", None, "Thanks for having me."),
            ("C", None, "And me."),
            ("C", None, "We cleared three thousand small items."),
            ("A", None, "Good to hear."),
            ("A", None, "See you next week."),
            ("B", None, "One more thing & a question."),
            ("B", None, "Bring coffee."),
        ],
    ),
    "words.json": (
        "json",
        {"A": "Dana Reyes", "B": "Priya Natarajan"},
        [("A", 0.5, "Close in six."), ("B", 2.0, "Finally.")],
    ),
    "stamped.txt": (
        "text",
        {},
        [
            ("A", 0.0, "Ledger Lessons, episode number twelve, recorded in March."),
            ("A", 6.0, "Hello, and welcome to the show about closing the books."),
            ("A", 11.0, "This is your host, Dana Reyes."),
        ],
    ),
    "utf16.txt": (
        "text",
        {"A": "Zoë", "B": "René"},
        [("A", None, "Ça va très bien."), ("B", None, "Très bien aussi.")],
    ),
}


@pytest.mark.parametrize("name", sorted(OWN_TRANSCRIPTS))
def test_it_reads_each_of_our_quirky_transcript_files(name):
    expected_format, expected_names, expected_segments = OWN_TRANSCRIPTS[name]
    transcript = parse_transcript((TRANSCRIPTS / name).read_bytes())
    assert transcript.format == expected_format
    assert transcript.speaker_names == expected_names
    assert [(s["speaker"], s["start"], s["text"]) for s in transcript.segments] == (
        expected_segments
    )


def test_it_parses_every_transcript_of_ours(data_dir):
    failures, parsed = {}, 0
    for path in sorted((data_dir / "transcripts").iterdir()):
        try:
            transcript = parse_transcript(path.read_bytes())
        except TranscriptError as exc:
            failures[path.name] = str(exc)
            continue
        assert transcript.segments, path.name
        assert all(s["text"] and s["speaker"] for s in transcript.segments), path.name
        parsed += 1
    # Only the empty file is unusable; every other file is in the table above or is ours.
    assert failures == {"empty.vtt": "The transcript is empty."}
    assert parsed == len(OWN_TRANSCRIPTS) + 1  # and three_speakers.txt


def test_the_command_analyzes_a_vtt_file_with_names(tmp_path, capsys):
    path = tmp_path / "episode.vtt"
    path.write_text(VTT)
    call_command("analyze_transcript", str(path), "--json", "--format", "vtt")
    printed = json.loads(capsys.readouterr().out)
    assert [(s["label"], s["name"]) for s in printed["speakers"]] == [("B", "Tom"), ("A", "John")]


def test_the_command_reports_an_unparseable_file(tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(CommandError, match="Invalid JSON"):
        call_command("analyze_transcript", str(path))


# --- the shared corpus and reference page (../shared), an extra layer ------------------------


def test_it_gives_the_reference_figures_through_the_auto_parser(reference_transcript):
    auto = parse_transcript(reference_transcript)
    assert analyze(auto.segments) == analyze(parse_plain_text(reference_transcript))


def test_it_parses_every_corpus_transcript(corpus_dir):
    failures = {}
    for path in sorted((corpus_dir / "transcripts").iterdir()):
        if path.suffix == ".md":
            continue
        try:
            transcript = parse_transcript(path.read_bytes())
        except TranscriptError as exc:
            failures[path.name] = str(exc)
            continue
        assert transcript.segments, path.name
        assert all(s["text"] and s["speaker"] for s in transcript.segments), path.name
    # Only the empty file is unusable.
    assert failures == {"webvttpy__empty.vtt": "The transcript is empty."}


def test_it_finds_real_names_in_the_corpus_files(corpus_dir):
    folder = corpus_dir / "transcripts"
    vtt = parse_transcript((folder / "talkpython__556-djangos-async-youtube.vtt").read_bytes())
    assert set(vtt.speaker_names.values()) == {"Michael Kennedy", "Carlton Gibson"}
    srt = parse_transcript((folder / "pcns__example.srt").read_bytes())
    assert list(srt.speaker_names.values())[:2] == ["Travis", "Sarah"]
    html = parse_transcript((folder / "pcns__example.html").read_bytes())
    assert html.speaker_names["A"] == "Travis"
