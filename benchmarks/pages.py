"""Target 4: the same query count at 100 and at 10k clusters; the directory under load."""

from django.core.cache import caches
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from benchmarks.env import Gunicorn
from benchmarks.loadgen import generate, side_by_side
from benchmarks.report import Figure, Report, ms, times
from clusters import pagecache
from clusters.models import Cluster
from matchmaking.models import Organisation, Suggestion

DIRECTORY = ["/clusters/", "/clusters/?sector=ict", "/clusters/?state=MX-NLE",
             "/clusters/?sector=automotive&state=MX-NLE", "/clusters/?label=valid",
             "/clusters/?q=cluster", "/clusters/?page=3"]  # fmt: skip


def _pages() -> tuple[list[tuple[str, str, bool]], Cluster]:
    """(name, URL, logged in) of every list page and the cluster page, and that cluster."""
    cluster = (
        Cluster.objects.filter(is_synthetic=True, is_published=True, state__isnull=False)
        .order_by("pk")
        .first()
    )
    # Filters the kept cluster matches: the filtered page is never empty.
    sector = cluster.sectors.order_by("slug").first()
    filtered = f"/clusters/?sector={sector.slug}&state={cluster.state.code}"
    api = reverse("clusters:api_cluster_list")
    return [
        ("directory", reverse("clusters:cluster_list"), False),
        ("directory, filtered", filtered, False),
        ("directory, search, page 2", "/clusters/?q=cluster&page=2", False),
        ("cluster page", cluster.get_absolute_url(), False),
        ("API list", api, False),
        ("API list, filtered", f"{api}?sector={sector.slug}", False),
        ("dashboard", reverse("matchmaking:dashboard"), True),
    ], cluster


def _counts(pages, user) -> dict[str, tuple[int, int]]:
    client = Client()
    client.force_login(user)
    anonymous = Client()
    found = {}
    for name, url, logged_in in pages:
        browser = client if logged_in else anonymous
        browser.get(url)  # warm: anything cached per process is not counted
        caches[pagecache.CACHE_ALIAS].clear()  # but the page itself is rendered: counted
        with CaptureQueriesContext(connection) as queries:
            response = browser.get(url)
        found[name] = (len(queries), response.status_code)
    return found


def query_counts() -> tuple[dict, dict, int, int]:
    """Each page's query count with every cluster published, then with only 100."""
    pages, cluster = _pages()
    organisation = (
        Organisation.objects.filter(is_synthetic=True, interests__suggestions__isnull=False)
        .order_by("pk")
        .first()
    )
    many = Cluster.objects.published().count()
    at_many = _counts(pages, organisation.user)
    with transaction.atomic():
        keep = set(
            Suggestion.objects.filter(interest__organisation=organisation).values_list(
                "cluster_id", flat=True
            )[:50]
        )
        keep.add(cluster.pk)
        keep |= set(
            Cluster.objects.published()
            .exclude(pk__in=keep)
            .order_by("pk")[: 100 - len(keep)]
            .values_list("pk", flat=True)
        )
        Cluster.objects.exclude(pk__in=keep).update(is_published=False)
        few = Cluster.objects.published().count()
        at_few = _counts(pages, organisation.user)
        transaction.set_rollback(True)
    return at_few, at_many, few, many


def run(report: Report, plan) -> None:
    at_few, at_many, few, many = query_counts()
    for name in at_many:
        (queries_few, status_few), (queries_many, status_many) = at_few[name], at_many[name]
        ok = queries_few == queries_many and status_few == status_many == 200
        report.add(
            Figure("4", f"queries: {name}", f"{queries_many} at {many:,} clusters",
                   floor=f"{queries_few} at {few} clusters", goal="the same",
                   met=ok if status_many == 200 else False),
        )  # fmt: skip

    server = Gunicorn(workers=2, threads=4)
    server.start()
    try:
        generate(server.port, ["/bench/trivial/", *DIRECTORY], seconds=1.0, warmup=0.5)
        loads = side_by_side(
            server.port,
            {"trivial": ["/bench/trivial/"], "directory": DIRECTORY},
            seconds=plan.load_seconds,
        )
        trivial, directory = loads["trivial"], loads["directory"]
        api = generate(server.port, ["/api/v1/clusters/", "/api/v1/clusters/?sector=ict"],
                       seconds=plan.load_seconds / 2)  # fmt: skip
    finally:
        server.stop()
    share = directory.per_second / trivial.per_second if trivial.per_second else 0.0
    bad = {s: n for s, n in directory.statuses.items() if s != 200}
    report.add(
        Figure("4", "directory under load (gunicorn, 2 workers)",
               f"{directory.per_second:,.0f} req/s", goal=">= 500 req/s",
               met=directory.per_second >= 500 and not bad),
        Figure("4", "... p99 latency", ms(directory.percentile(0.99)),
               floor=f"p50 {ms(directory.p50)}", goal="<= 50 ms",
               met=directory.percentile(0.99) <= 0.050),
        Figure("4", "... against a trivial view, same server", f"{directory.per_second:,.0f} req/s",
               floor=f"trivial {trivial.per_second:,.0f} req/s "
               f"(p99 {ms(trivial.percentile(0.99))})",
               ratio=times(share), goal=">= 0.25×", met=share >= 0.25),
        Figure("4", "... API list under load", f"{api.per_second:,.0f} req/s",
               floor=f"p99 {ms(api.percentile(0.99))}"),
    )  # fmt: skip
    report.note(
        "**4. Pages**: query counts from the test client (a warm-up request first), with every "
        f"cluster published ({many:,}) and with only {few} published (in a rolled-back "
        "transaction); the dashboard is a synthetic organisation's, logged in. Load: gunicorn "
        "(gthread, 2 workers × 4 threads, keep-alive, Django's psycopg connection pool) with "
        "`benchmarks.settings` (production's, over plain HTTP), static files collected; the "
        "load generator (benchmarks/loadgen.py, asyncio, 8 keep-alive connections to "
        f"127.0.0.1, runs on the same cores) for {plan.load_seconds:.0f} s per page set, the "
        "trivial view and the directory in 4 alternating turns (0.25 s warm-up each) so that "
        "the machine's other load weighs on both alike; "
        f"directory URLs in turn: {', '.join(DIRECTORY)}. Non-200 answers: "
        f"{bad or 'none'}; connection errors: {directory.errors + trivial.errors}. "
        "The directory and the API list are served from each process's page cache "
        "(clusters/pagecache.py) after the first request of each URL: keyed by a version "
        "token that database triggers move with every write to the data shown, read by one "
        "query per request (the counts above are of pages rendered, the cache emptied before "
        "each; a cached page costs that one query); anonymous visitors get the whole page "
        "with their own CSRF token filled in, logged-in visitors the cached results inside a "
        "page rendered for them."
    )
