"""The README's production steps, run literally on throwaway services, then driven over HTTP.

Reads the block between ``<!-- deploy-steps:begin -->`` and ``<!-- deploy-steps:end -->`` in
README.md and runs each of its lines with ``bash -c``, in order, with the environment the
README exports pointed at a PostgreSQL server (initdb in a temporary folder) and a Redis
server (append-only file) of its own on free loopback ports; a line starting ``gunicorn`` or
``celery`` runs for ever, so it is started in the background. Then, as a browser behind the
TLS proxy would (``X-Forwarded-Proto: https``, ``X-Forwarded-For``), it checks:

1. sign up, verify the address by the link in the email, state an interest: suggestions appear;
2. the log-in limits: past its limit an account is refused even with the right password,
   a password reset lifts that lock, and an address past its limit of failed log-ins (any
   accounts) is refused; past the sign-up limit the answer is 429 and tells nothing about
   the address posted (the limits are set low here, as each attempt hashes a password);
3. PostgreSQL restarted: after a short recovery window, no answer is a 5xx;
4. Redis restarted: an interest saved while it was down is matched by beat's sweep.

Prints one ``FIGURES`` line per check and exits non-zero at the first failure, with the
tail of the logs. Run it with ``scripts/deploy-check.sh`` (the test command does).
"""

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.loopback import free_port, start_redis, wait_until  # noqa: E402
from tests.realservices import PostgresCluster  # noqa: E402

BEGIN, END = "<!-- deploy-steps:begin -->", "<!-- deploy-steps:end -->"
SERVICES = ("gunicorn", "celery")  # steps that run for ever
RECOVERY_WINDOW = 3.0  # seconds after PostgreSQL is back before no 5xx is allowed
PASSWORD = "a long and unusual passphrase 7"


class DeployCheckFailed(Exception):
    pass


def deploy_steps(readme: str) -> list[str]:
    """The command lines of the README's deploy-steps block (fences and blank lines left out)."""
    if readme.count(BEGIN) != 1 or readme.count(END) != 1:
        raise DeployCheckFailed(f"README.md must hold exactly one {BEGIN} ... {END} block")
    block = readme.split(BEGIN, 1)[1].split(END, 1)[0]
    lines = [line.strip() for line in block.splitlines()]
    steps = [line for line in lines if line and not line.startswith(("```", "#"))]
    if not steps:
        raise DeployCheckFailed("the README's deploy-steps block is empty")
    return steps


def exported_names(readme: str) -> set[str]:
    """Every variable the ``export`` lines of the README's section holding the block set."""
    section = readme.split(BEGIN, 1)[0].rsplit("\n## ", 1)[-1]
    names = set()
    for line in section.splitlines():
        if line.startswith("export "):
            names |= set(re.findall(r"\b([A-Z][A-Z0-9_]*)=", line))
    return names


def check(condition: bool, message: str) -> None:
    if not condition:
        raise DeployCheckFailed(message)


_PHASE = {"started": time.monotonic()}


def figures(name: str, **values) -> None:
    """Print a check's figures, with the seconds it took since the previous one."""
    now = time.monotonic()
    values["phase_seconds"] = round(now - _PHASE["started"], 1)
    _PHASE["started"] = now
    print(f"FIGURES deploy-check {name}: {json.dumps(values)}", flush=True)


class Browser:
    """A visitor behind the TLS proxy: keeps its cookies (all of them, Secure ones too, as
    the proxy's HTTPS would carry them), sends the CSRF token, never follows redirects."""

    def __init__(self, port: int, address: str):
        self.port, self.address = port, address
        self.origin = f"https://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None, timeout: float = 30):
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.address,
            "Accept-Language": "en",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            form = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **form}
            body = urlencode(form, doseq=True)
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.origin,
                "Referer": self.origin + path,
            }
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location") or "", text

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, form: dict):
        if "csrftoken" not in self.cookies:
            self.get(path)
        return self.request("POST", path, form)


class Deployment:
    """The throwaway servers, the README's steps and the processes they started."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.postgres = PostgresCluster(free_port())
        self.redis_port = free_port()
        self.redis = None
        self.port = free_port()
        self.services: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self.env: dict[str, str] = {}

    # --- services -------------------------------------------------------------------------

    def start_servers(self) -> None:
        self.postgres.init()
        self.postgres.start()
        import psycopg

        with psycopg.connect(self.postgres.url(), autocommit=True) as connection:
            connection.execute("CREATE DATABASE eumx")
        (self.workdir / "redis").mkdir()
        self.start_redis()

    def start_redis(self) -> None:
        self.redis = start_redis(
            self.redis_port, self.workdir / "redis", appendonly=True, new_session=True,
            error=DeployCheckFailed,
        )  # fmt: skip

    def stop_redis(self) -> None:
        self.redis.terminate()  # a clean shutdown: the append-only file is flushed
        self.redis.wait(timeout=20)

    def readme_environment(self) -> dict[str, str]:
        """Every variable the README exports, and only those, pointed at these servers."""
        redis = f"redis://127.0.0.1:{self.redis_port}"
        site = f"https://127.0.0.1:{self.port}"
        return {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": site,
            "CSRF_TRUSTED_ORIGINS": site,
            "TRUSTED_PROXY_COUNT": "1",
            "DATABASE_URL": self.postgres.url("eumx"),
            "DATABASE_POOL": "true",
            "CELERY_BROKER_URL": f"{redis}/0",
            "CACHE_URL": f"{redis}/1",
            # The console backend: the emails land in gunicorn's log, where this reads them.
            "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "VAR_DIR": str(self.workdir / "var"),
            "PORT": str(self.port),
            "WEB_CONCURRENCY": "2",
        }

    def environment(self) -> dict[str, str]:
        keep = {"HOME", "LANG", "LC_ALL", "TMPDIR", "USER"}
        (self.workdir / "var").mkdir(exist_ok=True)
        return {
            **{k: v for k, v in os.environ.items() if k in keep},
            "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            **self.readme_environment(),
            # Beyond the README: nothing written into the repository, the sweep every 5 s
            # instead of 5 min, smaller limits (each log-in attempt hashes a password, about
            # half a second here; the tests prove the default counts).
            "STATIC_ROOT": str(self.workdir / "static"),
            "MATCH_SWEEP_SECONDS": "5",
            "LOGIN_FAILURES_PER_DAY": "5",
            "LOGIN_FAILURES_PER_HOUR": "8",
            "SIGNUPS_PER_HOUR": "5",
            "PYTHONUNBUFFERED": "1",
        }

    def run_steps(self, steps: list[str]) -> dict[str, float]:
        self.env = self.environment()
        timings = {}
        for step in steps:
            started = time.monotonic()
            name = step.split()[0]
            if name in SERVICES:
                label = step.split()[3] if name == "celery" else name  # worker, beat
                self.logs[label] = self.workdir / f"{label}.log"
                self.services[label] = subprocess.Popen(
                    ["bash", "-c", step], cwd=ROOT, env=self.env, start_new_session=True,
                    stdout=self.logs[label].open("wb"), stderr=subprocess.STDOUT,
                )  # fmt: skip
                print(f"deploy-check: started  {step}", flush=True)
                continue
            result = subprocess.run(
                ["bash", "-c", step], cwd=ROOT, env=self.env, capture_output=True, text=True,
                timeout=600,
            )  # fmt: skip
            timings[step] = round(time.monotonic() - started, 1)
            print(f"deploy-check: ran      {step}  ({timings[step]} s)", flush=True)
            if result.returncode != 0:
                output = (result.stdout + result.stderr)[-3000:]
                raise DeployCheckFailed(f"{step!r} exited {result.returncode}:\n{output}")
        return timings

    def wait_until_serving(self) -> None:
        check({"gunicorn", "worker", "beat"} <= set(self.services), "the README's steps "
              "must start gunicorn, a celery worker and celery beat")  # fmt: skip

        def answering():
            self.assert_running()
            try:
                return Browser(self.port, "192.0.2.1").get("/")[0] == 200
            except OSError:
                return False

        # The worker logs at WARNING, so says nothing when ready: the journey's suggestions
        # prove it consumes.
        wait_until(answering, timeout=60, what="gunicorn answering", error=DeployCheckFailed)

    def assert_running(self) -> None:
        for label, process in self.services.items():
            check(process.poll() is None, f"{label} exited with status {process.returncode}")

    def log_text(self, label: str) -> str:
        return self.logs[label].read_text(errors="replace")

    def stop(self) -> None:
        for process in self.services.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.services.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        if self.redis and self.redis.poll() is None:
            self.redis.kill()
            self.redis.wait(timeout=10)
        self.postgres.destroy()

    def keep_logs(self) -> Path:
        """Copy the services' logs to var/deploy-check/ (the temporary folder goes)."""
        kept = ROOT / "var" / "deploy-check"
        kept.mkdir(parents=True, exist_ok=True)
        for label, path in self.logs.items():
            if path.exists():
                shutil.copy(path, kept / f"{label}.log")
        return kept

    def tails(self) -> str:
        parts = [f"(whole logs in {self.keep_logs()})"]
        for label, path in self.logs.items():
            text = path.read_text(errors="replace") if path.exists() else ""
            parts.append(f"--- {label} log (tail) ---\n{text[-2500:]}")
        return "\n".join(parts)


# --- the checks ----------------------------------------------------------------------------


def checkbox_value(html: str, name: str, label: str) -> str:
    """The value of the checkbox ``name`` whose label reads ``label``."""
    match = re.search(rf'name="{name}" value="([^"]+)"[^>]*>\s*{re.escape(label)}\s*<', html)
    check(match is not None, f"no {name!r} checkbox labelled {label!r} on the form")
    return match[1]


def emailed_link(deployment: Deployment, pattern: str, after: int) -> str:
    """The first link matching ``pattern`` in the emails gunicorn printed after offset
    ``after`` of its log."""

    def found():
        text = deployment.log_text("gunicorn")[after:]
        match = re.search(pattern, text)
        return match and urlsplit(match[0]).path

    return wait_until(found, timeout=20, what=f"an email with {pattern}", error=DeployCheckFailed)


def suggestions_for(browser: Browser, interest_id: int) -> int:
    status, _, text = browser.get("/api/v1/me/suggestions/")
    if status != 200:
        return 0
    for interest in json.loads(text)["interests"]:
        if interest["id"] == interest_id:
            return len(interest["suggestions"])
    return 0


def state_interest(browser: Browser, title: str) -> int:
    status, _, html = browser.get("/interests/new/")
    check(status == 200, f"the interest form answered {status}")
    form = {
        "title": title,
        "sectors": checkbox_value(html, "sectors", "Aerospace"),
        "kinds": "supply_chain",
        "description": "Turbine parts and maintenance, repair and overhaul",
    }
    status, location, html = browser.post("/interests/new/", form)
    errors = re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]+)<', html)
    check(status == 302, f"stating an interest answered {status} {errors[:5]}")
    match = re.search(r"/interests/(\d+)/", location)
    check(match is not None, f"stating an interest redirected to {location!r}")
    return int(match[1])


def journey(deployment: Deployment) -> Browser:
    """Sign up, verify by the emailed link, state an interest: suggestions appear."""
    browser = Browser(deployment.port, "198.51.100.10")
    started = time.monotonic()
    log_offset = len(deployment.log_text("gunicorn"))
    status, location, _ = browser.post("/signup/", {
        "email": "owner@example.eu", "password1": PASSWORD, "password2": PASSWORD,
        "name": "Deploy Check GmbH", "country": "DE", "kind": "sme", "consent": "on",
    })  # fmt: skip
    check(status == 302, f"sign-up answered {status}, not 302")
    link = emailed_link(deployment, r"https://127\.0\.0\.1:\d+/verify/[^\s/]+/", log_offset)
    status, _, _ = browser.get(link)
    check(status == 302, f"the verification link answered {status}")
    interest_id = state_interest(browser, "Aerospace suppliers")
    saved = time.monotonic()
    count = wait_until(
        lambda: suggestions_for(browser, interest_id), timeout=60,
        what="suggestions for the new interest", error=DeployCheckFailed,
    )  # fmt: skip
    figures(
        "journey", signed_up_and_verified=True, suggestions=count,
        seconds_from_interest_to_suggestions=round(time.monotonic() - saved, 1),
        seconds_total=round(time.monotonic() - started, 1),
    )  # fmt: skip
    return browser


def log_in(browser: Browser, email: str, password: str):
    return browser.post("/accounts/login/", {"username": email, "password": password})


def limits(deployment: Deployment) -> str:
    """The log-in and sign-up limits engage; a password reset lifts an account's lock.
    Returns the new password."""
    port, env = deployment.port, deployment.env
    per_account, per_address = (
        int(env["LOGIN_FAILURES_PER_DAY"]),
        int(env["LOGIN_FAILURES_PER_HOUR"]),
    )
    signup_limit = int(env["SIGNUPS_PER_HOUR"])
    statuses = []
    for attempt in range(per_account):  # wrong passwords, each from another address
        status, _, _ = log_in(Browser(port, f"203.0.113.{attempt + 1}"), "owner@example.eu", "x")
        statuses.append(status)
    check(statuses == [200] * per_account, f"wrong passwords answered {sorted(set(statuses))}")
    browser = Browser(port, "203.0.113.99")
    status, _, html = log_in(browser, "owner@example.eu", PASSWORD)
    locked = status == 200 and "Too many failed log-in attempts for this account" in html
    check(locked, f"the log-in after {per_account} failures, with the right password, "
          f"answered {status} unlocked")  # fmt: skip

    log_offset = len(deployment.log_text("gunicorn"))
    status, _, _ = browser.post("/accounts/password_reset/", {"email": "owner@example.eu"})
    check(status == 302, f"the password-reset request answered {status}")
    link = emailed_link(deployment, r"https://127\.0\.0\.1:\d+/accounts/reset/[^\s]+/", log_offset)
    status, form_page, _ = browser.get(link)
    check(status == 302, f"the reset link answered {status}")
    new_password = PASSWORD + " renewed"
    status, _, _ = browser.post(
        form_page, {"new_password1": new_password, "new_password2": new_password}
    )
    check(status == 302, f"setting the new password answered {status}")
    status, _, _ = log_in(browser, "owner@example.eu", new_password)
    check(status == 302, f"after the reset the log-in answered {status}, still locked")

    prober = Browser(port, "203.0.113.200")  # one address trying many accounts
    answered = 0
    for number in range(per_address * 2):
        status, _, html = log_in(prober, f"someone{number}@example.eu", "guess")
        if "from your network" in html:
            break
        answered += 1
    check(answered == per_address, f"one address had {answered} failed log-ins answered, "
          f"not {per_address}")  # fmt: skip

    signups, leaks = [], 0
    for number in range(signup_limit + 5):  # an existing address: ever told past the limit?
        status, _, html = Browser(port, "203.0.113.201").post("/signup/", {
            "email": "owner@example.eu", "password1": PASSWORD, "password2": PASSWORD,
            "name": f"Probe {number}", "country": "DE", "kind": "sme", "consent": "on",
        })  # fmt: skip
        signups.append(status)
        leaks += status == 429 and "already exists" in html
    expected = [200] * signup_limit + [429] * 5
    check(signups == expected, f"sign-ups from one address: {signups}")
    check(leaks == 0, f"{leaks} throttled sign-ups said the address has an account")
    figures(
        "limits", account_locked_after_failures=per_account, right_password_refused=True,
        lock_lifted_by_password_reset=True, failed_log_ins_answered_per_address=answered,
        signups_accepted_per_address=signups.count(200), signups_refused_429=signups.count(429),
        throttled_signups_telling_the_address_exists=leaks,
    )  # fmt: skip
    return new_password


def postgres_restart(deployment: Deployment, browser: Browser) -> None:
    """PostgreSQL stopped (fast: every connection cut) and started: after the recovery window,
    no 5xx, although every pooled connection of the first pool generation is dead."""
    paths = [
        "/dashboard/",
        "/api/v1/me/suggestions/",
        "/clusters/",
        "/api/v1/clusters/?q=aero",
        "/map/",
    ]
    for path in paths * 2:  # every gunicorn process has pooled connections
        status = browser.get(path)[0]
        check(status == 200, f"{path} answered {status} before the restart")
    deployment.postgres.stop("fast")
    asked = time.monotonic()
    down_status = browser.get("/dashboard/")[0]
    down_seconds = round(time.monotonic() - asked, 1)
    deployment.postgres.start()
    back = time.monotonic()
    time.sleep(RECOVERY_WINDOW)
    statuses, slowest = [], 0.0
    for number in range(20):
        asked = time.monotonic()
        statuses.append(browser.get(paths[number % len(paths)])[0])
        slowest = max(slowest, time.monotonic() - asked)
    server_errors = sum(status >= 500 for status in statuses)
    check(statuses == [200] * 20, f"{server_errors} of 20 answers were 5xx after the restart "
          f"(statuses {statuses})")  # fmt: skip
    figures(
        "postgres_restart", status_while_down=down_status,
        seconds_to_answer_while_down=down_seconds,
        recovery_window_seconds=RECOVERY_WINDOW, requests_after=len(statuses),
        server_errors_after=server_errors, slowest_answer_seconds=round(slowest, 2),
        seconds_after_restart=round(time.monotonic() - back, 1),
    )  # fmt: skip


def redis_restart(deployment: Deployment, browser: Browser) -> None:
    """Redis (broker and cache) stopped; an interest saved meanwhile; Redis started: beat's
    sweep has it matched."""
    deployment.stop_redis()
    started = time.monotonic()
    interest_id = state_interest(browser, "Saved while Redis was down")
    saved_in = round(time.monotonic() - started, 2)
    check(suggestions_for(browser, interest_id) == 0, "matched while Redis was down?")
    deployment.start_redis()
    back = time.monotonic()
    count = wait_until(lambda: suggestions_for(browser, interest_id), timeout=90,
                       what="the sweep to match the interest", error=DeployCheckFailed)  # fmt: skip
    deployment.assert_running()
    figures(
        "redis_restart", interest_saved_while_down=True, seconds_to_save=saved_in,
        suggestions=count, seconds_from_redis_back_to_matched=round(time.monotonic() - back, 1),
    )  # fmt: skip


def main() -> int:
    started = time.monotonic()
    readme = (ROOT / "README.md").read_text()
    steps = deploy_steps(readme)
    workdir = Path(tempfile.mkdtemp(prefix="eumx-deploy-"))
    os.chmod(workdir, 0o755)
    deployment = Deployment(workdir)
    try:
        exported, ours = exported_names(readme), set(deployment.readme_environment())
        check(exported == ours, f"the README exports {sorted(exported - ours)} that this check "
              f"does not set, and not {sorted(ours - exported)} that it sets")  # fmt: skip
        deployment.start_servers()
        timings = deployment.run_steps(steps)
        deployment.wait_until_serving()
        figures("steps", seconds=timings)
        figures("serving", seconds_since_start=round(time.monotonic() - started, 1))
        browser = journey(deployment)
        new_password = limits(deployment)
        # The reset ended the account's other sessions, the journey's too.
        check(log_in(browser, "owner@example.eu", new_password)[0] == 302, "log-in failed")
        postgres_restart(deployment, browser)
        redis_restart(deployment, browser)
        deployment.assert_running()
        errors = deployment.log_text("gunicorn").count("Internal Server Error")
        figures("done", seconds=round(time.monotonic() - started, 1), logged_500s=errors)
    except (DeployCheckFailed, subprocess.SubprocessError, OSError) as exc:
        print(f"deploy-check: FAILED: {exc}", file=sys.stderr)
        print(deployment.tails(), file=sys.stderr)
        return 1
    finally:
        deployment.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"deploy-check: passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
