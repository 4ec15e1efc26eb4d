"""Querysets compiled to SQL once per process: each call binds its own values to the same SQL.

Compiling a queryset (resolving its joins, columns and subqueries into SQL) can cost more than
running it: the episode page's episode query took 1.4 ms of CPU to compile and 0.1 ms in the
database. A PreparedQuery builds its queryset once with marker values in place of the
arguments, keeps the SQL, the compiler's map of the columns, and where the markers fell among
the parameters; each call puts the real values there, and its rows become instances as Django's
own iterable makes them, so select_related, annotations, only() and prefetch_related work as
usual. What that iterable works out for every query (each column's converters, the related
instances' populators) is worked out once per connection: making the rows' instances was half
of a search's own Python CPU, 0.43-0.53 ms for a page's 27 rows and 60 instances (now 0.22-0.26).

On PostgreSQL the SQL is also a prepared statement of each database session (PREPARE once,
then EXECUTE with the values): planning the episode query took PostgreSQL 0.6 ms of its 0.7.
Only the arguments are its parameters; the queryset's other values are written into it as the
plain SQL would send them, so that a plan PostgreSQL makes once and keeps (after five runs, when
it costs no more than those planned for their values) sees them: `score >= 70` still proves a
partial index's predicate. The PREPARE goes to the session directly, so it is not one of the
queries Django counts and logs; the EXECUTE is, and its logged SQL names the statement rather
than the tables. A statement is named by a digest of its SQL, and a session holds at most
STATEMENTS_PER_SESSION of them (the least recently used deallocated to make room). Prepared
statements belong to a session: behind a pooler that hands one client several sessions
(PgBouncer in transaction mode) they would be lost between a PREPARE and its EXECUTE.

Several queries a page needs at once are fetched together (fetch_together): on PostgreSQL their
EXECUTEs go as one query, in one round trip, and Django logs that query once.

Only for a queryset that depends on nothing but its arguments: whatever its build reads (the
time, a setting, another query) is kept for the life of the process. Each argument must reach
the parameters as it was given (exact lookups, in; not contains, whose pattern wraps the value):
a marker that does not is refused when the query is first compiled.

A list of keys is one argument (kind `list`) where the queryset filters with InKeys: `__in`
writes one placeholder per value, so each length of list would be a shape of its own, while
InKeys binds the whole list as one parameter (an array on PostgreSQL, JSON text on SQLite).
"""

import copy
import functools
import hashlib
import itertools
import json
import re
import sqlite3
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from django.db import connections
from django.db.models import Lookup, QuerySet
from django.db.models.query import (
    ModelIterable,
    _get_from_db,
    get_related_populators,
    prefetch_related_objects,
)

# Values no caller passes, each of its kind; an int one fits every integer column (an id column
# bound beyond its range compiles to an empty result, and the marker would be lost).
_INT_MARKER = 2_147_480_000
_STR_MARKER = "\x00prepared-argument-"
# The statements each PostgreSQL session (psycopg connection) holds, by name, the least recently
# used first. A name is a digest of the SQL: a PreparedQuery made again for the same shape (an
# lru_cache's eviction) reuses it.
_SESSION_STATEMENTS = weakref.WeakKeyDictionary()
# At most this many statements in one session, the least recently used deallocated to make room:
# shapes that put a request's values in the SQL (a page's offset) must not fill a long-lived
# session with plans. A search statement's kept plan and parse trees take ~0.3 MB of the
# session's memory; one of each public page prepares 31 statements (3 MB, the 250,000-episode
# bench catalogue).
STATEMENTS_PER_SESSION = 100
# Where one statement of fetch_together's batch ends and the next begins.
_NEXT_EXECUTE = re.compile(r";\s*(?=EXECUTE podindex_)")
# Django's placeholders and escaped percent signs, as the client-side cursor reads them.
_PLACEHOLDER = re.compile(r"%[s%]")


class Keys(list):
    """Integer keys bound as one parameter: psycopg sends a list as an array, and SQLite (which
    has none) reads this one as JSON text."""


sqlite3.register_adapter(Keys, json.dumps)


class InKeys(Lookup):
    """`lhs IN keys` with the keys one parameter, whatever their number: filter(InKeys(F(
    "episode_id"), keys)). A key beyond the column's integer range is an error on PostgreSQL
    (`__in` would skip it): for keys read from the database."""

    lookup_name = "in_keys"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        # A PreparedQuery's marker is bound as it is, so that it is found among the parameters.
        return "%s", (value if isinstance(value, Keys) else Keys(value),)

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        # Compiled SQL of the column and a placeholder: no value is written into it.
        sql = f"{lhs} IN (SELECT value FROM json_each({rhs}))"  # noqa: S608
        return sql, (*lhs_params, *rhs_params)

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


class PreparedQuery:
    """`build(*arguments)`'s queryset, compiled once; called with values of the kinds given
    (int, str, or list: integer keys for InKeys), it runs with them and returns the list of its
    rows."""

    def __init__(self, build: Callable[..., QuerySet], *kinds: type):
        self.build = build
        self.markers = tuple(self._marker(kind, position) for position, kind in enumerate(kinds))
        self.kinds = kinds
        self.compiled = None
        self.name = None  # the prepared statement's, once first run on PostgreSQL
        self.body = None  # its SQL for PREPARE
        # How rows become instances, per connection (each thread has its own).
        self._loaders = weakref.WeakKeyDictionary()

    @property
    def db(self) -> str:
        """The alias of the database the queryset runs on."""
        return (self.compiled or self._compile())[0].db

    @staticmethod
    def _marker(kind: type, position: int):
        if kind is int:
            return _INT_MARKER + position
        if kind is str:
            return f"{_STR_MARKER}{position}"
        if kind is list:
            return Keys([_INT_MARKER + position])
        raise TypeError(f"A prepared query takes int, str or list arguments, not {kind.__name__}.")

    @staticmethod
    def _bind(kind: type, value):
        return Keys(map(int, value)) if kind is list else kind(value)

    def __call__(self, *values) -> list:
        """The queryset's rows for these argument values (one query, prefetches aside)."""
        return fetch_together(self.bind(*values))[0]

    def bind(self, *values) -> "Bound":
        """This query with these argument values, to run with others (fetch_together)."""
        if len(values) != len(self.kinds):
            raise TypeError(f"Expected {len(self.kinds)} arguments, got {len(values)}.")
        if any(value is None for value in values):
            # "= NULL" matches nothing where the queryset would have said "IS NULL".
            raise ValueError("A prepared query cannot bind None.")
        arguments = [
            self._bind(kind, value) for kind, value in zip(self.kinds, values, strict=True)
        ]
        return Bound(self, arguments)

    def _statement(self, connection, arguments: list) -> tuple[str, tuple]:
        """The SQL and parameters that run this query with these arguments on `connection`."""
        _queryset, _compiler, sql, params, slots = self.compiled or self._compile()
        if connection.vendor == "postgresql":
            return self._execute_statement(connection, arguments)
        bound = list(params)
        for index, position in slots:
            bound[index] = arguments[position]
        return sql, tuple(bound)

    def _instances(self, connection, rows: list) -> list:
        """What the queryset yields (instances, values, prefetches done) for its fetched rows."""
        if not rows:
            return []
        loader = self._loaders.get(connection)
        if loader is None:
            loader = self._loaders[connection] = self._loader(connection)
        return loader(rows)

    def _loader(self, connection) -> Callable[[list], list]:
        """How this query's fetched rows become what its queryset yields, on `connection`."""
        queryset, compiler, *_ = self.compiled
        run = copy.copy(compiler)
        # The connection is the calling thread's; the compiler was made on another's, perhaps.
        run.connection = connection
        mode = queryset._fetch_mode
        if (
            queryset._iterable_class is not ModelIterable
            or queryset._known_related_objects
            or mode.track_peers
        ):
            return functools.partial(self._django_instances, queryset, run)
        # What Django's ModelIterable works out again for every query it runs (the columns of
        # each instance, the converters, the related instances' populators: about half of a
        # search page's row building), worked out once; its loop over the rows is the one below.
        select, klass_info = compiler.select, compiler.klass_info
        annotations = list(compiler.annotation_col_map.items())
        first, *_, last = klass_info["select_fields"]
        init_list = [column[0].target.attname for column in select[first : last + 1]]
        from_db = _get_from_db(klass_info["model"], mode)
        populators = get_related_populators(klass_info, select, queryset.db, mode)
        fields = [column[0] for column in select[: compiler.col_count]]
        converters = list(run.get_converters(fields).items())
        lookups = queryset._prefetch_related_lookups
        db = queryset.db

        def load(rows: list) -> list:
            instances = []
            for row in rows:
                if converters:
                    row = list(row)
                    for position, (functions, expression) in converters:
                        value = row[position]
                        for convert in functions:
                            value = convert(value, expression, connection)
                        row[position] = value
                instance = from_db(db, init_list, row[first : last + 1])
                for populator in populators:
                    populator.populate(row, instance)
                for name, position in annotations:
                    setattr(instance, name, row[position])
                instances.append(instance)
            if lookups and instances:
                prefetch_related_objects(instances, *lookups)
            return instances

        return load

    @staticmethod
    def _django_instances(queryset, run, rows: list) -> list:
        """What `queryset` yields for `rows`, through Django's own iterable (values, flat
        lists, ...): `run` is the compiler made for this connection."""
        if run.has_extra_select:
            # As Django's own fetch trims them: columns only the ordering needed.
            rows = [row[: run.col_count] for row in rows]
        run = copy.copy(run)
        # An instance attribute, not a subclass (the compiler's class is the database
        # backend's): the rows, in the chunks Django's iterables read, already fetched.
        run.execute_sql = lambda *args, **kwargs: iter([rows])
        results = queryset.all()
        results.query.get_compiler = lambda *args, **kwargs: run
        return list(results)

    def _compile(self):
        queryset = self.build(*self.markers)
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        slots = [
            (index, position)
            for index, param in enumerate(params)
            for position, marker in enumerate(self.markers)
            if type(param) is type(marker) and param == marker
        ]
        missing = set(range(len(self.markers))) - {position for _, position in slots}
        if missing:
            raise ValueError(
                f"Arguments {sorted(missing)} do not reach the query's parameters as given."
            )
        # Two threads may both compile: the same result, and either is kept.
        self.compiled = (queryset, compiler, sql, params, slots)
        return self.compiled

    def _execute_statement(self, connection, arguments: list) -> tuple[str, tuple]:
        """EXECUTE of the statement prepared in the connection's session (prepared there first
        if it is not yet, in place of the least recently used once the session holds its
        share) with these argument values."""
        connection.ensure_connection()
        session = connection.connection
        held = _SESSION_STATEMENTS.setdefault(session, OrderedDict())
        body = self.body or self._prepared_body(session)
        if self.name in held:
            held.move_to_end(self.name)
        else:
            prepare = f"PREPARE {self.name} AS {body}"
            if len(held) >= STATEMENTS_PER_SESSION:
                # In the same round trip (no parameters: one simple query of two statements).
                oldest, _ = held.popitem(last=False)
                prepare = f"DEALLOCATE {oldest}; {prepare}"
            with connection.wrap_database_errors, session.cursor() as cursor:
                cursor.execute(prepare)
            held[self.name] = None
        placeholders = f"({', '.join(['%s'] * len(arguments))})" if arguments else ""
        return f"EXECUTE {self.name}{placeholders}", tuple(arguments)

    def _prepared_body(self, session) -> str:
        """The statement's SQL for PREPARE: each argument a parameter ($1 for the first, however
        many times the query uses it), every other value written in as the plain SQL would send
        it, so that a plan made once sees the constants (a partial index's predicate, a flag)
        as the plan of the plain SQL does. Names the statement by a digest of it."""
        _queryset, _compiler, sql, params, slots = self.compiled
        argument_at = dict(slots)
        quote = _quoting(session)
        literals = [
            None if index in argument_at else quote("%s", (param,))
            for index, param in enumerate(params)
        ]
        placeholders = itertools.count()

        def fill(match):
            if match.group() == "%%":
                return "%"
            index = next(placeholders)
            return f"${argument_at[index] + 1}" if index in argument_at else literals[index]

        body = _PLACEHOLDER.sub(fill, sql)
        self.name = f"podindex_{hashlib.blake2b(body.encode(), digest_size=12).hexdigest()}"
        self.body = body
        return body


@dataclass(frozen=True)
class Bound:
    """A PreparedQuery and the argument values it runs with (PreparedQuery.bind)."""

    query: PreparedQuery
    arguments: list


def fetch_together(*calls: Bound) -> list[list]:
    """Each bound query's rows, in order. On PostgreSQL their statements go in one round trip
    (a simple query of several EXECUTEs, one result set each): a search page's four statements
    sent one by one cost a wake-up of the database and of the web process each, and four
    implicit transactions."""
    if not calls:
        return []
    connection = connections[calls[0].query.db]
    if any(call.query.db != connection.alias for call in calls):
        raise ValueError("Queries fetched together must use one database.")
    statements = [call.query._statement(connection, call.arguments) for call in calls]
    fetched = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(statements) > 1:
            # Each EXECUTE with its values written in; the text goes as one simple query,
            # whose result sets are read in order.
            quote = _quoting(connection.connection)
            cursor.execute("; ".join(quote(sql, params) for sql, params in statements))
            for position in range(len(statements)):
                if position:
                    cursor.nextset()
                fetched.append(cursor.fetchall())
        else:
            for sql, params in statements:
                cursor.execute(sql, params)
                fetched.append(cursor.fetchall())
    return [
        call.query._instances(connection, rows) for call, rows in zip(calls, fetched, strict=True)
    ]


def _quoting(session) -> Callable[[str, tuple], str]:
    """`sql` with `params` written in as psycopg quotes them (a client-side cursor's mogrify,
    whatever cursor class the session makes; one quoting cursor per batch, where Django's
    compose_sql makes one per statement)."""
    return psycopg.ClientCursor(session).mogrify


def batched_statements(sql: str) -> list[str]:
    """The statements of a query as logged: each EXECUTE of a fetch_together() batch, or the
    query itself."""
    return _NEXT_EXECUTE.split(sql)
