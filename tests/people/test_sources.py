"""Claims: who each source says is on an episode, cleaned, merged and never guessed."""

from people.sources import Inputs, claims


def inputs(**kwargs) -> Inputs:
    defaults = {"people": [], "show_author": "", "title": "Episode", "notes_html": ""}
    return Inputs(**(defaults | kwargs))


def by_name(found):
    return {(c.name, c.role): c for c in found}


def test_it_reads_feed_tags_with_their_roles_links_and_https_images():
    found, refused = claims(
        inputs(
            people=[
                {"name": "Dana Reyes", "role": "host", "href": "https://dana.example/"},
                {"name": "Sam Patel", "role": "guest", "img": "https://cdn.example/sam.jpg"},
            ]
        )
    )
    people = by_name(found)
    assert people["Dana Reyes", "host"].href == "https://dana.example/"
    assert people["Sam Patel", "guest"].image_url == "https://cdn.example/sam.jpg"
    assert {c.source for c in found} == {"feed"}
    assert refused == []


def test_an_episode_that_names_nobody_has_no_people():
    found, refused = claims(inputs(title="Pricing in 2026", notes_html="<p>We talk pricing.</p>"))
    assert found == []
    assert refused == []


def test_the_shows_author_hosts_only_when_no_tag_names_a_host_and_it_is_a_persons_name():
    assert by_name(claims(inputs(show_author="Jane Host"))[0])["Jane Host", "host"].source == (
        "show_feed"
    )
    assert claims(inputs(show_author="Acme Media Inc"))[0] == []
    assert claims(inputs(show_author="Acme"))[0] == []
    tagged = inputs(show_author="Jane Host", people=[{"name": "Dana Reyes", "role": "host"}])
    assert [c.name for c in claims(tagged)[0]] == ["Dana Reyes"]


def test_a_transcript_voice_gives_a_tagged_person_their_speaker_label():
    found, _ = claims(
        inputs(
            people=[{"name": "Dana Reyes", "role": "host"}, {"name": "Sam Patel", "role": "guest"}],
            transcript_source="publisher",
            speaker_names={"A": "Dana Reyes", "B": "Sam"},
        )
    )
    people = by_name(found)
    assert people["Dana Reyes", "host"].speaker_label == "A"
    assert people["Sam Patel", "guest"].speaker_label == "B"
    assert people["Sam Patel", "guest"].source == "feed"
    assert len(found) == 2


def test_a_publisher_transcript_names_a_guest_the_feed_does_not():
    found, refused = claims(
        inputs(transcript_source="publisher", speaker_names={"A": "Lee Wong", "B": "Kim"})
    )
    assert [(c.name, c.role, c.source, c.speaker_label) for c in found] == [
        ("Lee Wong", "guest", "publisher_transcript", "A")
    ]
    assert refused == [
        {"source": "publisher_transcript", "name": "Kim", "reason": "a first name only"}
    ]


def test_our_transcripts_names_are_self_introductions():
    found, _ = claims(inputs(transcript_source="asr", speaker_names={"B": "Lee Wong"}))
    assert found[0].source == "self_introduction"


def test_the_same_person_twice_with_two_roles_is_two_claims_and_twice_in_one_role_is_one():
    found, _ = claims(
        inputs(
            people=[
                {"name": "Dana Reyes", "role": "host"},
                {"name": "Dana Reyes", "role": "guest"},
                {"name": "dana reyes", "role": "guest", "href": "https://dana.example/"},
            ]
        )
    )
    assert sorted(c.role for c in found) == ["guest", "host"]
    assert by_name(found)["Dana Reyes", "guest"].href == "https://dana.example/"


def test_crew_roles_are_not_listed_and_say_so():
    found, refused = claims(inputs(people=[{"name": "Pat Editor", "role": "audio editor"}]))
    assert found == []
    assert refused[0]["reason"] == "role 'audio editor' is not one we list"


def test_the_baseline_takes_only_an_unambiguous_name_and_title():
    found, _ = claims(
        inputs(
            title="Closing the books faster with Jane Doe, CFO at Acme",
            notes_html="<p>We spoke with some folks about the close.</p>",
        )
    )
    assert [(c.name, c.role, c.source, c.description) for c in found] == [
        ("Jane Doe", "guest", "baseline", "CFO at Acme")
    ]
    vague = inputs(title="Coffee with Jane", notes_html="<p>With friends, at Acme.</p>")
    assert claims(vague)[0] == []


def test_the_baseline_describes_a_tagged_guest_without_adding_one():
    found, _ = claims(
        inputs(
            people=[{"name": "Jane Doe", "role": "guest"}],
            notes_html="<p>Our guest today: with Jane Doe, CFO at Acme.</p>",
        )
    )
    assert [(c.source, c.description) for c in found] == [("feed", "CFO at Acme")]


def test_model_guests_need_a_full_name():
    found, refused = claims(
        inputs(model_guests=[{"name": "Priya Shah", "evidence": "I'm Priya Shah"}, "Priya"])
    )
    assert [(c.name, c.source) for c in found] == [("Priya Shah", "model")]
    assert refused[0]["reason"] == "a first name only"


def test_the_inputs_hash_changes_with_any_input():
    first = inputs(people=[{"name": "Dana Reyes"}])
    assert first.digest() == inputs(people=[{"name": "Dana Reyes"}]).digest()
    assert first.digest() != inputs(people=[{"name": "Dana Reyes"}], show_author="X").digest()


def test_notes_describe_a_named_person_but_name_no_one_new():
    found, _ = claims(
        inputs(
            people=[{"name": "Rosalind Okereke-Marsh", "role": "guest"}],
            notes_html="<p>Rosalind Okereke-Marsh, VP of People at Kestrelgate Health, walks "
            "through pay bands. Tom Bell, CEO at Acme, is mentioned.</p>",
        )
    )
    assert [(c.name, c.description) for c in found] == [
        ("Rosalind Okereke-Marsh", "VP of People at Kestrelgate Health")
    ]
