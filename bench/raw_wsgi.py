"""The physical limit: the benchmark's client-list requests answered by a bare WSGI app.

    BENCH_TENANT=bench DATABASE_URL=postgres://... gunicorn -w 2 bench.raw_wsgi:application

psycopg 3 and orjson, one persistent connection per worker, no Django. It answers
`GET /v1/client` with the parameters the benchmark uses (page, per_page, search, channel,
from__id; ids in ascending order) with the same envelope (family D, page URLs included) and
the same documents as the app: the same columns, the id arrays of the many-to-many fields, and an
exact total. The tenant is resolved once per worker (no API key lookup per request).

RAW_COUNT=exact (default) counts with COUNT(*) on every request; RAW_COUNT=kept reads the
unfiltered total from core_rowcount (the app's kept counts) and counts filtered sets.
The page is chosen by its ids first and only then joined to its columns and id arrays, so the
correlated array subqueries run for the 25 rows of the page, not for every row OFFSET skips.
"""

import datetime as dt
import decimal
import math
import os
import uuid
from urllib.parse import parse_qs, urlencode

import orjson
import psycopg

# Documented name -> SQL expression on the row `c`, in the app's field order (family D).
COLUMNS = {
    "_id": "c.id",
    "createdAt": "c.created_at",
    "updatedAt": "c.updated_at",
    "__v": "c.version",
    "name": "c.name",
    "local_name": "c.local_name",
    "tags": "ARRAY(SELECT t.tag_id FROM clients_client_tags t WHERE t.client_id = c.id ORDER BY t.id)",
    "cell_phone": "c.cell_phone",
    "city": "c.city",
    "client_code": "c.client_code",
    "contact_name": "c.contact_name",
    "contact_title": "c.contact_title",
    "contacts": "ARRAY(SELECT t.clientcontact_id FROM clients_client_contacts t WHERE t.client_id = c.id ORDER BY t.id)",
    "country": "c.country",
    "disabled": "c.disabled",
    "formatted_address": "c.formatted_address",
    "lat": "c.lat",
    "lng": "c.lng",
    "location_verified": "c.location_verified",
    "phone": "c.phone",
    "state": "c.state",
    "zip": "c.zip",
    "assigned_to": "ARRAY(SELECT t.rep_id FROM clients_client_assigned_to t WHERE t.client_id = c.id ORDER BY t.id)",
    "last_location_update": "(extract(epoch from c.last_location_update) * 1000)::bigint",
    "credit_limit": "c.credit_limit::float8",
    "tax_number": "c.tax_number",
    "sync_id": "c.sync_id",
    "profile_pic": "c.profile_pic",
    "logo": "c.logo",
    "website": "c.website",
    "email": "c.email",
    "comment": "c.comment",
    "parent_client_id": "c.parent_client_id",
    "target_visit": "c.target_visit",
    "geofencing_radius": "c.geofencing_radius",
    "price_tag": "c.price_tag",
    "status": "c.status",
    "job_category": "c.job_category",
    "territory": "c.territory",
    "sv_priceList": "c.sv_price_list_id",
    "customFields": "c.custom_fields",
    "paymentTerm": "c.payment_term",
    "speciality": "ARRAY(SELECT t.speciality_id FROM clients_client_speciality t WHERE t.client_id = c.id ORDER BY t.id)",
    "channel": "c.channel_id",
    "isChain": "c.is_chain",
    "chain": "c.chain_id",
    "teams": "ARRAY(SELECT t.team_id FROM clients_client_teams t WHERE t.client_id = c.id ORDER BY t.id)",
    "payment_type": "c.payment_type",
    "integration_meta": "c.integration_meta",
    "integrated_client_balance": "c.integrated_client_balance::float8",
    "invoice_balance_limit": "c.invoice_balance_limit::float8",
    "enable_invoice_balance_limit": "c.enable_invoice_balance_limit",
    "enable_payment_terms_grace_period_days": "c.enable_payment_terms_grace_period_days",
    "is_simplified": "c.is_simplified",
    "last_login_time": "(extract(epoch from c.last_login_time) * 1000)::bigint",
}
NAMES = list(COLUMNS)
SELECT = ", ".join(COLUMNS.values())
MAX_PAGE_SIZE = 1000


def _iso_ms(value: dt.datetime) -> str:
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _default(value):
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(type(value).__name__)


class Database:
    """The worker's connection (opened after the fork, on first use) and the tenant id."""

    def __init__(self):
        self.connection = None
        self.tenant_id = None
        self.namespace = os.environ.get("BENCH_TENANT", "bench")
        self.kept_counts = os.environ.get("RAW_COUNT", "exact") == "kept"

    def cursor(self):
        if self.connection is None or self.connection.closed:
            url = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
            # The app's session settings (config/settings.py).
            self.connection = psycopg.connect(
                url, autocommit=True, options="-c max_parallel_workers_per_gather=0 -c jit=off"
            )
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT id FROM core_tenant WHERE namespace = %s", [self.namespace])
                self.tenant_id = cursor.fetchone()[0]
        return self.connection.cursor()


db = Database()


def _bad_request(start_response, message):
    body = orjson.dumps({"success": False, "error": message})
    start_response("400 Bad Request", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _page_url(base, params, page):
    query = {**params, "page": [str(page)]}
    return f"{base}?{urlencode([(k, v) for k, vs in query.items() for v in vs])}"


def list_clients(environ, start_response):
    params = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    try:
        page = int(params.get("page", ["1"])[0])
        per_page = int(params.get("per_page", ["25"])[0])
        cursor_id = uuid.UUID(params["from__id"][0]) if "from__id" in params else None
        channel = uuid.UUID(params["channel"][0]) if "channel" in params else None
    except ValueError:
        return _bad_request(start_response, "bad parameter")
    if page < 1 or not 1 <= per_page <= MAX_PAGE_SIZE:
        return _bad_request(start_response, "bad paging")
    search = params.get("search", [""])[0].strip()

    with db.cursor() as cursor:
        where, args = ["tenant_id = %s"], [db.tenant_id]
        if channel is not None:
            where.append("channel_id = %s")
            args.append(channel)
        if search:
            pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append(
                "(UPPER(name::text) LIKE UPPER(%s) OR UPPER(local_name::text) LIKE UPPER(%s)"
                " OR UPPER(client_code::text) LIKE UPPER(%s))"
            )
            args += [pattern] * 3
        condition = " AND ".join(where)
        if db.kept_counts and len(where) == 1:
            cursor.execute(
                "SELECT COALESCE(SUM(delta), 0) FROM core_rowcount WHERE tenant_id = %s AND table_name = %s",
                [db.tenant_id, "clients_client"],
            )
        else:
            cursor.execute(f"SELECT COUNT(*) FROM clients_client WHERE {condition}", args)
        total = int(cursor.fetchone()[0])

        offset = (page - 1) * per_page
        if cursor_id is not None:  # a keyset cursor positions the page; it does not change the total
            condition += " AND id > %s"
            args.append(cursor_id)
        docs = []
        if offset < total:
            cursor.execute(
                f"SELECT {SELECT} FROM clients_client c WHERE c.id IN ("
                f"SELECT id FROM clients_client WHERE {condition} ORDER BY id LIMIT %s OFFSET %s) ORDER BY c.id",
                [*args, per_page, offset],
            )
            namespace = [db.namespace]
            for row in cursor.fetchall():
                doc = dict(zip(NAMES, row, strict=True))
                doc["createdAt"] = _iso_ms(doc["createdAt"])
                doc["updatedAt"] = _iso_ms(doc["updatedAt"])
                doc["company_namespace"] = namespace
                docs.append(doc)

    pages = math.ceil(total / per_page)
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "localhost")
    base = f"{environ.get('wsgi.url_scheme', 'http')}://{host}{environ.get('PATH_INFO', '')}"
    body = orjson.dumps(
        {
            "data": docs,
            "total_result": total,
            "current_count": len(docs),
            "total_pages": pages,
            "current_page": page,
            "per_page": per_page,
            "first_page_url": _page_url(base, params, 1),
            "last_page_url": _page_url(base, params, max(pages, 1)),
            "next_page_url": _page_url(base, params, page + 1) if page < pages else None,
            "prev_page_url": _page_url(base, params, page - 1) if page > 1 else None,
            "path": base,
        },
        default=_default,
    )
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def application(environ, start_response):
    if environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO") in ("/v1/client", "/client"):
        return list_clients(environ, start_response)
    start_response("404 Not Found", [("Content-Type", "application/json")])
    return [b'{"success":false,"error":"Not found."}']
