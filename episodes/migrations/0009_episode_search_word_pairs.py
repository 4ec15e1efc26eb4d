"""A phrase index for episode search: every pair of adjacent words is a lexeme of its own.

A "quoted phrase" ('pricing' <-> 'churn') is answered by the GIN index only as the AND of its
words; PostgreSQL then reads each row holding both words to check their positions. For two
common words that are rarely side by side that was thousands of heap reads (issue 22). Now an
episode's vector also holds one lexeme per adjacent pair of its words, 'price churn', at the
first word's position, and the query is rewritten to match it:

    'a' <-> 'b'            ->  'a b'                  (one index lookup, no recheck)
    'a' <-> 'b' <-> 'c'    ->  'a b' <-> 'b c'        (the rows holding both pairs, rechecked)

Both forms match exactly the same rows (a at p, b at p+1 is the pair 'a b' at p), so an
excluded phrase is rewritten too. A pair lexeme holds a space, which no word lexeme does, so
pairs never match a word. Left as they are (and searched as before): phrases around a stop
word ('cost' <2> 'sale'), prefixes and weights, and phrase operators over groups, which
websearch_to_tsquery never writes. A pair of two words longer than 2,046 bytes together is not
indexed (a lexeme's limit).

- podindex_word_pairs(tsvector): the vector plus its pair lexemes (positions kept, so the words
  are unchanged for ranking and for the phrases left as they are);
- podindex_pair_query(tsquery): the query with each chain of plain lexemes rewritten;
- episodes_episode_vector() (0005), used by the trigger and the ingest's batch fill, now adds
  the pairs; existing vectors get theirs here.

PostgreSQL only; nothing on SQLite. Shows and transcripts keep plain vectors.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION podindex_word_pairs(words tsvector) RETURNS tsvector AS $$
    -- The words, plus one lexeme 'a b' for each a at p and b at p + 1, at p (in tsvector text:
    -- quotes doubled, backslashes escaped).
    WITH word AS (
        SELECT lexeme, unnest(positions) AS pos FROM unnest(words) WHERE strpos(lexeme, ' ') = 0
    ), pair AS (
        SELECT first.lexeme || ' ' || second.lexeme AS lexeme,
            string_agg(first.pos::text, ',') AS positions
        FROM word AS first JOIN word AS second ON second.pos = first.pos + 1
        WHERE octet_length(first.lexeme) + octet_length(second.lexeme) < 2047
        GROUP BY 1
    )
    SELECT (words::text || ' ' || coalesce(string_agg(
        '''' || replace(replace(lexeme, '\', '\\'), '''', '''''') || ''':' || positions, ' '
    ), ''))::tsvector
    FROM pair
$$ LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION podindex_pair_query(query tsquery) RETURNS tsquery AS $$
-- Each chain 'a' <-> 'b' <-> 'c' of plain lexemes becomes 'a b' <-> 'b c' (podindex_word_pairs).
DECLARE
    tokens text[] := ARRAY(
        SELECT match[1] FROM regexp_matches(
            query::text, '(''(?:[^'']|'''')*''(?::[*A-D]+)?|<(?:-|[0-9]+)>|[()&|!])', 'g'
        ) AS match
    );
    result text[] := '{}';
    i integer := 1;
    j integer;
    n integer := coalesce(array_length(tokens, 1), 0);
BEGIN
    -- A phrase operator applied to a group or a negation (never in websearch_to_tsquery's
    -- output): positions of a group are not those of its words, so nothing is rewritten.
    IF query::text ~ '(> [(!]|\) <)' THEN
        RETURN $1;
    END IF;
    WHILE i <= n LOOP
        j := i;
        -- A chain: plain lexemes joined by <->, with no phrase operator or ! on either side.
        IF tokens[i] ~ '^''.*''$' AND (i = 1 OR tokens[i - 1] IN ('(', '&', '|')) THEN
            WHILE j + 2 <= n AND tokens[j + 1] = '<->' AND tokens[j + 2] ~ '^''.*''$' LOOP
                j := j + 2;
            END LOOP;
        END IF;
        IF j > i AND (j = n OR left(tokens[j + 1], 1) <> '<') THEN
            FOR k IN i .. j - 2 BY 2 LOOP
                IF k > i THEN
                    result := result || '<->'::text;
                END IF;
                result := result || (left(tokens[k], -1) || ' ' || right(tokens[k + 2], -1));
            END LOOP;
            i := j + 1;
        ELSE
            result := result || tokens[i];
            i := i + 1;
        END IF;
    END LOOP;
    RETURN array_to_string(result, ' ')::tsquery;
END
$$ LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION episodes_episode_vector(title text, notes_html text)
RETURNS tsvector AS $$
    SELECT podindex_word_pairs(
        setweight(to_tsvector('english', coalesce(title, '')), 'A')
        || setweight(to_tsvector('english', left(podindex_strip_html(notes_html), 100000)), 'C')
    )
$$ LANGUAGE sql IMMUTABLE;

UPDATE episodes_episode SET search_vector = podindex_word_pairs(search_vector)
    WHERE search_vector IS NOT NULL;
"""

# The function of 0005; the vectors without their pairs.
BACKWARD = """
CREATE OR REPLACE FUNCTION episodes_episode_vector(title text, notes_html text)
RETURNS tsvector AS $$
    SELECT setweight(to_tsvector('english', coalesce(title, '')), 'A')
        || setweight(to_tsvector('english', left(podindex_strip_html(notes_html), 100000)), 'C')
$$ LANGUAGE sql IMMUTABLE;

UPDATE episodes_episode SET search_vector = episodes_episode_vector(title, notes_html)
    WHERE search_vector IS NOT NULL;
DROP FUNCTION IF EXISTS podindex_pair_query(tsquery);
DROP FUNCTION IF EXISTS podindex_word_pairs(tsvector);
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("episodes", "0008_transcription_budget")]

    operations = [migrations.RunPython(forward, backward)]
