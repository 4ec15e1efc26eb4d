from scoring.quotes import TranscriptIndex, verify_quotes

SEGMENTS = [
    {"speaker": "A", "start": 0.0, "end": 6.0, "text": "Why did you rebuild the pricing page?"},
    {
        "speaker": "B",
        "start": 6.0,
        "end": 20.0,
        "text": "Because our win rate on deals under $20,000 had fallen from 31% to 18%.",
    },
    {
        "speaker": "B",
        "start": 20.0,
        "end": 31.5,
        "text": "We pulled every lost opportunity out of Salesforce, 412 of them, "
        "and read the notes.",
    },
    {"speaker": "A", "start": 31.5, "end": 35.0, "text": "What did you change first?"},
]


def test_it_finds_a_quote_whatever_its_case_punctuation_and_spacing():
    match = TranscriptIndex(SEGMENTS).find(
        "because OUR win-rate on deals under 20,000   had fallen"
    )

    assert match is not None
    assert match.text == "Because our win rate on deals under $20,000 had fallen"
    assert (match.speaker, match.start, match.exact) == ("B", 6.0, True)


def test_it_shows_the_transcripts_own_words_for_a_quote_with_a_misheard_word():
    match = TranscriptIndex(SEGMENTS).find(
        "We pulled every lost opportunity out of Sales Force, 412 of them, and read the note."
    )

    assert match is not None
    assert match.exact is False
    assert match.text == (
        "We pulled every lost opportunity out of Salesforce, 412 of them, and read the notes."
    )


def test_it_rejects_a_paraphrase():
    assert TranscriptIndex(SEGMENTS).find("Our win rate for small deals nearly halved") is None


def test_it_rejects_an_invented_quote():
    index = TranscriptIndex(SEGMENTS)

    assert index.find("We tripled revenue by hiring forty account executives in Berlin.") is None


def test_it_rejects_a_passage_that_runs_across_two_speakers():
    assert TranscriptIndex(SEGMENTS).find("read the notes. What did you change first?") is None


def test_it_joins_a_passage_spread_over_two_segments_of_one_speaker():
    match = TranscriptIndex(SEGMENTS).find("from 31% to 18%. We pulled every lost opportunity")

    assert match is not None
    assert match.text == "from 31% to 18%. We pulled every lost opportunity"
    assert match.start == 6.0


def test_it_rejects_quotes_too_short_to_be_evidence():
    assert TranscriptIndex(SEGMENTS).find("the notes") is None


def test_it_keeps_at_most_two_verified_quotes_and_counts_the_dropped_ones():
    verified, dropped = verify_quotes(
        TranscriptIndex(SEGMENTS),
        [
            "We invented this sentence about a hundred new customers.",
            "Why did you rebuild the pricing page?",
            "why did you rebuild the pricing page",
            "We pulled every lost opportunity out of Salesforce",
            "What did you change first?",
        ],
    )

    assert [q["text"] for q in verified] == [
        "Why did you rebuild the pricing page?",
        "We pulled every lost opportunity out of Salesforce",
    ]
    assert all(q["verified"] for q in verified)
    assert dropped == 1
