"""The admin listener from a test: plain HTTP/1.1 calls (http.client, any loopback address) and a
strict parser of the Prometheus text format 0.0.4."""

import http.client
import json
import re
import time

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


class AdminResponse:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self):
        return self.body.decode()

    def json(self):
        return json.loads(self.body)


def call(port, path, method="GET", token=None, host="127.0.0.1", headers=None):
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        conn.request(method, path, headers=hdrs)
        r = conn.getresponse()
        return AdminResponse(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        conn.close()


def wait_admin(port, host="127.0.0.1", token=None, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call(port, "/api/build", host=host, token=token)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _unescape(value):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


class Metrics:
    """Samples by (name, labels) with their families' types; every sample line must parse and
    belong to a family declared by # TYPE before it."""

    def __init__(self, text):
        self.samples = {}
        self.types = {}
        self.helps = {}
        family = None
        for line in text.splitlines():
            if line.startswith("# HELP "):
                name, _, help_text = line[7:].partition(" ")
                self.helps[name] = help_text
                continue
            if line.startswith("# TYPE "):
                name, _, kind = line[7:].partition(" ")
                assert name not in self.types, f"family {name} typed twice"
                assert kind in ("counter", "gauge", "histogram"), line
                self.types[name] = kind
                family = name
                continue
            assert line and not line.startswith("#"), f"unexpected line {line!r}"
            m = _SAMPLE.match(line)
            assert m, f"bad sample line {line!r}"
            name, label_text, value = m.group(1), m.group(3) or "", m.group(4)
            assert family is not None and (name == family or (
                self.types[family] == "histogram" and name in (family + "_bucket", family + "_sum",
                                                               family + "_count"))), line
            labels = {}
            rest = label_text
            while rest:
                lm = _LABEL.match(rest)
                assert lm, f"bad labels in {line!r}"
                labels[lm.group(1)] = _unescape(lm.group(2))
                rest = rest[lm.end():]
            key = (name, frozenset(labels.items()))
            assert key not in self.samples, f"duplicate series {line!r}"
            self.samples[key] = float(value)
        for name in self.types:
            assert name in self.helps, f"{name} has no HELP"

    def value(self, name, **labels):
        return self.samples[(name, frozenset(labels.items()))]

    def series(self, name):
        """The label sets of `name`'s samples."""
        return [dict(k[1]) for k in self.samples if k[0] == name]

    def __len__(self):
        return len(self.samples)


def scrape(port, host="127.0.0.1", token=None) -> Metrics:
    r = call(port, "/metrics", host=host, token=token)
    assert r.status == 200, r.body
    assert r.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return Metrics(r.text)
