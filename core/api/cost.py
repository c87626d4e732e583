"""What one list or search may cost the database.

Pattern matching is what makes a filter expensive: `LIKE '%x%'`, `ILIKE` and regular expressions
run on every candidate row, and a regex far more slowly than an equality. So every dialect counts
the pattern operators of a query in one QueryCost (where-clauses, OData `$filter`, the `search`
parameters, dotted JSON filters), and a query with more than the settings allow is a 400 naming
the limit before it runs:

* `QUERY_MAX_PATTERN_OPERATORS`: `_like _nlike _ilike _nilike _similar _nsimilar _regex _nregex
  _iregex _niregex`, OData `contains startswith endswith`, `search`/`searchText`, `.icontains`;
* `QUERY_MAX_REGEX_OPERATORS`, of those: `_regex _nregex _iregex _niregex _similar _nsimilar`.

A query whose client wrote pattern operators (every counted one except the `search` parameters,
whose single term the trigram indexes serve) is *expensive*: it is subject to the per-company
throttle (core/api/throttling.py). Every list and search also runs under a statement timeout
(core/api/deadline.py).
"""

from django.conf import settings

PATTERN_WORDS = "like, ilike, similar, regex and their negations; contains, startswith, endswith; search"
REGEX_WORDS = "_regex, _iregex, _similar and their negations"


class QueryCost:
    """The pattern operators of one query, however many dialects it mixes."""

    def __init__(self):
        self.patterns = 0
        self.regexes = 0
        self.expensive = False

    def add(self, *, regex: bool = False, expensive: bool = True) -> str | None:
        """Count one operator; a message naming the limit when the query has now passed one."""
        self.patterns += 1
        self.regexes += regex
        self.expensive = self.expensive or expensive
        max_patterns = settings.QUERY_MAX_PATTERN_OPERATORS
        max_regexes = settings.QUERY_MAX_REGEX_OPERATORS
        if self.patterns > max_patterns:
            return f"too many pattern operators: at most {max_patterns} per query ({PATTERN_WORDS})"
        if self.regexes > max_regexes:
            return f"too many regular expressions: at most {max_regexes} per query ({REGEX_WORDS})"
        return None
