"""The keys an import has already met, to catch the same row twice in one file.

A million-row file has a million keys; a Python set of them would grow with the file. They are
kept instead as 64-bit fingerprints (with the row that first had each) in a temporary table of
the import's own database connection, which the database indexes and drops with the session.
A fingerprint is Python's own hash of the key (salted per process: it is only compared within
one import); a collision (about 1 in 10^7 for a million keys) would only report a false
duplicate, never lose a row.
"""

import uuid

from django.db import DatabaseError, connections, transaction

CHUNK = 400


def fingerprint(key: tuple) -> int:
    return hash(key)


class SeenKeys:
    def __init__(self, using="default"):
        self.connection = connections[using]
        self.table = f"dataio_seen_{uuid.uuid4().hex[:12]}"
        if self.connection.vendor == "postgresql":
            # Room for a million keys in memory (the default 8 MB spills the table to disk).
            # Only possible before the session's first temporary table: else keep the default.
            try:
                with transaction.atomic(using=self.connection.alias), self.connection.cursor() as cursor:
                    cursor.execute("SET temp_buffers = '128MB'")
            except DatabaseError:
                pass
        with self.connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE {self.table} (k bigint PRIMARY KEY, row_number integer NOT NULL)")

    def claim(self, keys: dict[int, int]) -> dict[int, int]:
        """Record `{fingerprint: row number}`; return those already recorded, with the row
        that had them first."""
        if not keys:
            return {}
        items = list(keys.items())
        seen = {}
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                # Two text parameters: a list of ints costs the driver far more to send.
                cursor.execute(
                    f"INSERT INTO {self.table} (k, row_number) "
                    "SELECT * FROM unnest(string_to_array(%s, ',')::bigint[], string_to_array(%s, ',')::integer[]) "
                    "ON CONFLICT (k) DO NOTHING RETURNING k",
                    [",".join(str(k) for k, _ in items), ",".join(str(r) for _, r in items)],
                )
                inserted = {k for (k,) in cursor.fetchall()}
                taken = [k for k, _ in items if k not in inserted]
                if taken:
                    cursor.execute(f"SELECT k, row_number FROM {self.table} WHERE k = ANY(%s)", [taken])
                    seen = dict(cursor.fetchall())
                return seen
            for start in range(0, len(items), CHUNK):
                chunk = items[start : start + CHUNK]
                marks = ",".join(["%s"] * len(chunk))
                cursor.execute(f"SELECT k, row_number FROM {self.table} WHERE k IN ({marks})", [k for k, _ in chunk])
                found = dict(cursor.fetchall())
                seen.update(found)
                fresh = [(k, r) for k, r in chunk if k not in found]
                if fresh:
                    values = ",".join(["(%s, %s)"] * len(fresh))
                    cursor.execute(
                        f"INSERT INTO {self.table} (k, row_number) VALUES {values}", [v for pair in fresh for v in pair]
                    )
        return seen

    def close(self) -> None:
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {self.table}")
        except Exception:  # the session is gone or its transaction failed: the table went with it
            pass
