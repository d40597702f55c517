"""Every rule, each minute, from the rollups: measure, compare, move each state, write the outbox.

A pass reads first, shared between rules (one statement per window, filters
and grouping, for every service those rules watch), through the metrics
query layer, which combines the rollup levels with the raw rows of the
newest minutes on either edition. Then the rules are settled a hundred to a
transaction: their rows are locked with SKIP LOCKED (a second worker running
the same pass skips them, or, once they are free, finds them evaluated moments
ago and skips them too), their state rows are locked, and the transitions with
their Delivery rows (the outbox) are written together. So a transition is written,
and notified, exactly once, whether a worker restarts or two run.

A mute or a service silence suppresses notifications only: the state is
still tracked and every transition still recorded (its `suppressed` says why
nothing was sent).
"""

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction

from accounts.models import Service
from alerts.models import AlertEvent, AlertRule, AlertState, AlertStateValue, Delivery, Metric, Silence
from alerts.models.rules import ABSENCE_METRICS, LATENCY_METRICS
from malti_site import clock
from telemetry.rollups.catalog import LEVEL_BY_NAME
from telemetry.rollups.histogram import percentiles
from telemetry.rollups.query import MetricsReader, Scope

log = logging.getLogger("malti.alerts")

# A service (or node) is watched for missing traffic once it has sent a request this recently,
# and for as long as its alert is pending or firing: a service that never sent anything does not page.
WATCH_LOOKBACK = timedelta(hours=24)
# A rule evaluated this recently is skipped: another worker's pass just did it.
RECENTLY_EVALUATED = timedelta(seconds=30)
# Every state of a batch in one statement (Django's bulk_update builds a CASE per row: seconds for hundreds).
UPDATE_STATES_SQL = """
UPDATE alerts_alertstate AS s SET state = v.state, since = v.since, last_value = v.last_value, evaluated_at = %s
FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[], %s::float8[]) AS v(id, state, since, last_value)
WHERE s.id = v.id
"""
# Rules settled per transaction: a few statements for all of them instead of a few for each.
BATCH = 100
QUANTILE = {Metric.P95_LATENCY: 0.95, Metric.P99_LATENCY: 0.99}
OK, PENDING, FIRING, RESOLVED = (
    AlertStateValue.OK,
    AlertStateValue.PENDING,
    AlertStateValue.FIRING,
    AlertStateValue.RESOLVED,
)


@dataclass
class Report:
    rules: int = 0
    skipped: int = 0
    transitions: int = 0
    notifications: int = 0
    seconds: float = 0.0
    read_seconds: float = 0.0  # of which reading the telemetry

    def __str__(self):
        return (
            f"evaluated {self.rules} alert rule(s) in {self.seconds:.2f}s: {self.transitions} transition(s), "
            f"{self.notifications} notification(s) queued, reads {self.read_seconds:.2f}s"
            + (f", {self.skipped} skipped" if self.skipped else "")
        )


def _key(rule: AlertRule) -> tuple:
    return tuple(sorted(rule.filters().items()))


def _dims(rule: AlertRule) -> tuple[str, ...]:
    return ("service", "node") if rule.per_node else ("service",)


@dataclass
class Reads:
    """The rows of one pass, read once per (window, filters, grouping) for all rules that share them."""

    now: object
    window: dict = field(default_factory=dict)  # (minutes, filters, dims) -> {(key, node): row}
    seen: dict = field(default_factory=dict)  # (filters, dims) -> {(key, node)}

    def prepare(self, rules, keys_of):
        wanted, latency, watched = defaultdict(set), defaultdict(bool), defaultdict(set)
        for rule in rules:
            group = (rule.window_minutes, _key(rule), _dims(rule))
            wanted[group] |= keys_of[rule.id]
            latency[group] |= rule.metric in LATENCY_METRICS
            if rule.metric in ABSENCE_METRICS:
                watched[_key(rule), _dims(rule)] |= keys_of[rule.id]
        for (minutes, filters, dims), keys in wanted.items():
            reader = MetricsReader(self._scope(timedelta(minutes=minutes), filters), tuple(sorted(keys)))
            rows = reader.grouped(dims, limit=None, latency=latency[minutes, filters, dims])
            self.window[minutes, filters, dims] = {(row["service"], row.get("node")): row for row in rows}
        for (filters, dims), keys in watched.items():
            reader = MetricsReader(self._scope(WATCH_LOOKBACK, filters), tuple(sorted(keys)))
            self.seen[filters, dims] = {(row["service"], row.get("node")) for row in reader.counts(dims)}

    def _scope(self, span: timedelta, filters: tuple) -> Scope:
        return Scope(start=self.now - span, end=self.now, level=LEVEL_BY_NAME["1min"], filters=dict(filters))

    def rows(self, rule: AlertRule) -> dict:
        return self.window[rule.window_minutes, _key(rule), _dims(rule)]

    def seen_subjects(self, rule: AlertRule) -> set:
        return self.seen.get((_key(rule), _dims(rule)), set())


def measure(rule: AlertRule, row: dict | None, apdex_t_ms: int) -> tuple[float | None, bool]:
    """The rule's value for one subject's row, and whether the condition holds."""
    count = row["count"] if row else 0
    metric = rule.metric
    if metric == Metric.SILENCE:
        return float(count), count == 0
    if metric in (Metric.REQUEST_RATE_ABOVE, Metric.REQUEST_RATE_BELOW):
        value = round(count / rule.window_minutes, 3)
        return value, rule.breaches(value)
    if not count:
        return None, False  # no requests: no rate, latency or Apdex to judge
    if metric == Metric.ERROR_RATE:
        value = round(100.0 * row["errors"] / count, 3)
    elif metric == Metric.SERVER_ERROR_RATE:
        value = round(100.0 * row["server_errors"] / count, 3)
    elif metric in QUANTILE:
        value = percentiles(row.get("histogram"), [QUANTILE[metric]], row["time_min"], row["time_max"])[0]
    elif metric == Metric.APDEX_BELOW:
        from objectives.apdex import apdex_value, row_apdex_score  # the objectives app's Apdex, from histograms

        value = apdex_value(row_apdex_score(row, apdex_t_ms), count)
    else:
        return None, False
    if value is None:
        return None, False
    return value, count >= rule.min_requests and rule.breaches(value)


def burn_rate(service: Service, now) -> float | None:
    """The multi-window burn rate: for each objective and pair (1 h & 5 min, 6 h & 30 min), the lower of the two
    windows' rates; the highest of those. Above the threshold means both windows of a pair burn that fast."""
    from objectives.health import burn_rates  # the objectives app's; only burn-rate rules need it

    rates = burn_rates(service, now)
    pairs = [
        min(windows[long], windows[short])
        for windows in rates.values()
        for long, short in (("1h", "5m"), ("6h", "30m"))
        if windows.get(long) is not None and windows.get(short) is not None
    ]
    return max(pairs) if pairs else None


@dataclass
class Writes:
    """What settling a batch of rules writes, in a few statements."""

    new_states: list = field(default_factory=list)
    changed_states: list = field(default_factory=list)
    gone_states: list = field(default_factory=list)
    events: list = field(default_factory=list)  # (event, channels to notify)

    def save(self):
        AlertState.objects.bulk_create(self.new_states)
        if self.changed_states:
            rows = self.changed_states
            with connection.cursor() as cursor:
                cursor.execute(
                    UPDATE_STATES_SQL,
                    [
                        rows[0].evaluated_at,  # one pass, one moment
                        [state.pk for state in rows],
                        [state.state for state in rows],
                        [state.since for state in rows],
                        [None if state.last_value is None else float(state.last_value) for state in rows],
                    ],
                )
        AlertState.objects.filter(pk__in=self.gone_states).delete()
        AlertEvent.objects.bulk_create([event for event, _ in self.events])
        Delivery.objects.bulk_create(
            Delivery(event=event, channel=channel, next_try=event.at, created_at=event.at)
            for event, channels in self.events
            for channel in channels
        )


class Evaluator:
    """One pass over every enabled rule."""

    def __init__(self, now=None):
        self.now = now or clock.now()
        self.report = Report()

    def run(self, rules=None) -> Report:
        started = time.monotonic()
        rules = list(rules if rules is not None else AlertRule.objects.to_evaluate())
        keys_of, self.services = self._services(rules)
        reads = Reads(self.now)
        reads.prepare([rule for rule in rules if rule.metric != Metric.BURN_RATE], keys_of)
        self.report.read_seconds = time.monotonic() - started
        all_keys = set().union(*keys_of.values()) if keys_of else set()
        self.apdex_t = {}
        if any(rule.metric == Metric.APDEX_BELOW for rule in rules):
            from objectives.models import ServiceObjectives  # each service's Apdex T

            self.apdex_t = ServiceObjectives.objects.apdex_thresholds(all_keys)
        self.silenced = set(Silence.objects.active(self.now).values_list("service_id", flat=True))
        self.by_id = {service.id: service for service in self.services.values()}
        self.active = defaultdict(set)  # rule id -> (key, node) of its states pending or firing
        absent = [rule.id for rule in rules if rule.metric in ABSENCE_METRICS]
        for rule_id, key, node in (
            AlertState.objects.filter(rule_id__in=absent)
            .exclude(state=OK)
            .values_list("rule_id", "service__telemetry_key", "node")
        ):
            self.active[rule_id].add((key, node))
        for start in range(0, len(rules), BATCH):
            batch = rules[start : start + BATCH]
            subjects = {rule.id: self._subjects(rule, reads, keys_of[rule.id]) for rule in batch}
            settled = self._settle(batch, subjects)
            self.report.rules += settled
            self.report.skipped += len(batch) - settled
        self.report.seconds = time.monotonic() - started
        return self.report

    def _services(self, rules):
        """Each rule's stored service keys, and every service by key."""
        tenants = {rule.tenant_id for rule in rules if rule.service_id is None}
        by_tenant, by_key = defaultdict(set), {}
        for service in Service.objects.filter(tenant_id__in=tenants).select_related("tenant"):
            by_tenant[service.tenant_id].add(service.telemetry_key)
            by_key[service.telemetry_key] = service
        keys_of = {}
        for rule in rules:
            if rule.service_id is not None:
                by_key[rule.service.telemetry_key] = rule.service
                keys_of[rule.id] = {rule.service.telemetry_key}
            else:
                keys_of[rule.id] = by_tenant[rule.tenant_id]
        return keys_of, by_key

    def _subjects(self, rule, reads, keys) -> dict:
        """(service key, node) -> (value, breach) for everything the rule watches now."""
        if rule.metric == Metric.BURN_RATE:
            found = {}
            for key in keys:
                value = burn_rate(self.services[key], self.now)
                found[key, None] = (value, value is not None and rule.breaches(value))
            return found
        rows = reads.rows(rule)
        if rule.metric in ABSENCE_METRICS:
            watched = {subject for subject in reads.seen_subjects(rule) | self.active[rule.id] if subject[0] in keys}
        elif rule.per_node:
            watched = set(rows)
        else:
            watched = {(key, None) for key in keys}
        if rule.per_node:
            watched = {subject for subject in watched if subject[1] is not None}  # traffic that names no node
        default_t = getattr(settings, "MALTI_APDEX_DEFAULT_T_MS", 500)  # (objectives.ServiceObjectives)
        return {
            subject: measure(rule, rows.get(subject), self.apdex_t.get(subject[0], default_t)) for subject in watched
        }

    @transaction.atomic
    def _settle(self, rules, subjects) -> int:
        """Move these rules' states under their row locks, all writes in one transaction; how many it settled.

        Rules another worker holds (SKIP LOCKED) or evaluated moments ago are left alone.
        """
        locked = AlertRule.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            pk__in=[rule.pk for rule in rules], enabled=True
        )
        fresh = {
            rule.id: rule
            for rule in locked.order_by().select_related("tenant")
            if not (rule.evaluated_at and self.now - rule.evaluated_at < RECENTLY_EVALUATED)
        }
        states = defaultdict(dict)
        for state in AlertState.objects.select_for_update().filter(rule_id__in=fresh):
            states[state.rule_id][state.service_id, state.node] = state
        channels = defaultdict(list)
        for link in AlertRule.channels.through.objects.filter(alertrule_id__in=fresh).select_related("channel"):
            channels[link.alertrule_id].append(link.channel)
        self.writes = Writes()
        for rule_id, rule in fresh.items():
            held = states[rule_id]
            for (key, node), (value, breach) in subjects[rule_id].items():
                service = self.services[key]
                state = held.pop((service.id, node), None)
                if state is None:
                    state = AlertState(rule=rule, service=service, node=node, state=OK, since=self.now)
                    self.writes.new_states.append(state)
                else:
                    state.service = service
                    self.writes.changed_states.append(state)
                self._advance(rule, state, value, breach, channels[rule_id])
            for state in held.values():  # no longer in the rule's scope (an edit narrowed it)
                if state.state == FIRING:
                    self._advance(rule, state, None, False, channels[rule_id])
                self.writes.gone_states.append(state.pk)
        self.writes.save()
        AlertRule.objects.filter(pk__in=fresh).update(evaluated_at=self.now)
        return len(fresh)

    def _advance(self, rule, state, value, breach, channels):
        before = state.state
        after = before
        if breach and before == OK:
            after = FIRING if rule.for_minutes == 0 else PENDING
        elif breach and before == PENDING and self.now - state.since >= timedelta(minutes=rule.for_minutes):
            after = FIRING
        elif not breach and before in (PENDING, FIRING):
            after = OK
        state.last_value, state.evaluated_at = value, self.now
        if after != before:
            state.state, state.since = after, self.now
            to_state = RESOLVED if before == FIRING else after
            self._record(rule, state, before, to_state, value, channels)

    def _record(self, rule, state, before, after, value, channels):
        event = AlertEvent(
            rule=rule,
            service=state.service,
            node=state.node,
            at=self.now,
            from_state=before,
            to_state=after,
            value=value,
            threshold=rule.threshold,
        )
        self.report.transitions += 1
        outgoing = []
        if event.notifies:
            event.suppressed = self._suppressed(rule, state, event, channels)
            if not event.suppressed:
                outgoing = channels
                self.report.notifications += len(channels)
        self.writes.events.append((event, outgoing))

    def _suppressed(self, rule, state, event, channels) -> str:
        """Why this transition is not notified, or "" when it is."""
        if rule.is_muted(self.now):
            return f"rule muted until {rule.muted_until:%Y-%m-%d %H:%M} UTC"
        if state.service_id in self.silenced:
            return "service silenced"
        if not channels:
            return "no channels"
        if event.to_state == RESOLVED:
            fired = (
                AlertEvent.objects.filter(rule=rule, service=state.service, node=state.node, to_state=FIRING)
                .order_by("-at", "-id")
                .first()
            )
            if fired is not None and fired.suppressed:
                return "its firing was not notified"
        return ""


def evaluate(now=None) -> Report:
    """Evaluate every enabled rule once (what the worker does each minute)."""
    return Evaluator(now).run()
