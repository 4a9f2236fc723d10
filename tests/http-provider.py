#!/usr/bin/python3
"""http-provider.py -- a provider's REST service, stand-in for tests.

Listens on 127.0.0.1 and speaks the small API of dunspool's http
drivers, for one resource (--resource: faxes for the fax gateway,
letters for the hybrid-mail provider):

  POST /RESOURCE       a JSON object with "document" (base64); header
                       Idempotency-Key required (400 without).  A key
                       seen before answers what was made for it (200)
                       instead of making another (201).
                       Answer: {"id", "state"}.
  GET /RESOURCE/ID     {"id", "state", "pages_sent", "pages_total",
                       "reason"}; 404 for an unknown id.
  DELETE /RESOURCE/ID  cancels while the object's current state is
                       "accepted" or "queued" ({"id", "state":
                       "cancelled"}), else 409.

With --token, every request needs "Authorization: Bearer TOKEN" (401
otherwise).  --plan FILE is JSON mapping an object's "to" (faxes) or
"trace_id" (letters) to the answers its object gives to successive GETs,
each [state, pages_sent, reason]; the last repeats.  An object without a
plan is delivered at once.  --fail-posts N answers the first N POSTs
with 503.  Every object made is written to LOGDIR/ID.json (its request,
the decoded document's length), so a test can count them.
--ready-file FILE receives the port once listening; --watch-stdin exits
when stdin closes.  Needs only the standard library.
"""

import argparse
import base64
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Gateway:
    def __init__(self, options):
        self.options = options
        self.plan = {}
        if options.plan:
            with open(options.plan) as f:
                self.plan = json.load(f)
        self.by_key = {}
        self.faxes = {}
        self.polls = {}
        self.failed_posts = 0
        self.cancelled = set()
        self.lock = threading.Lock()


def write_atomically(path, data):
    temporary = path + ".tmp"
    with open(temporary, "wb") as f:
        f.write(data)
    os.rename(temporary, path)


class Handler(BaseHTTPRequestHandler):
    gateway = None

    def log_message(self, *args):
        pass

    def answer(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorised(self):
        token = self.gateway.options.token
        if token is None:
            return True
        if self.headers.get("Authorization") == "Bearer " + token:
            return True
        self.answer(401, {"error": "unauthorised"})
        return False

    def do_POST(self):
        g = self.gateway
        if not self.authorised():
            return
        if self.path != "/" + g.options.resource:
            return self.answer(404, {"error": "no such resource"})
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        key = self.headers.get("Idempotency-Key")
        if not key:
            return self.answer(400, {"error": "Idempotency-Key required"})
        with g.lock:
            if g.failed_posts < g.options.fail_posts:
                g.failed_posts += 1
                return self.answer(503, {"error": "try later"})
            if key in g.by_key:
                fax_id = g.by_key[key]
                return self.answer(200, {"id": fax_id, "state": "queued"})
            try:
                request = json.loads(body)
                document = base64.b64decode(request["document"],
                                            validate=True)
            except (ValueError, KeyError) as error:
                return self.answer(400, {"error": str(error)})
            fax_id = "%s%04d" % (g.options.resource[0], len(g.faxes) + 1)
            g.by_key[key] = fax_id
            g.faxes[fax_id] = request
            g.polls[fax_id] = 0
            record = dict(request, document=len(document), key=key)
            write_atomically(os.path.join(g.options.log_dir,
                                          fax_id + ".json"),
                             json.dumps(record).encode())
        self.answer(201, {"id": fax_id, "state": "queued"})

    def lookup(self):
        g = self.gateway
        prefix = "/%s/" % g.options.resource
        fax_id = self.path[len(prefix):]
        if not self.path.startswith(prefix) or fax_id not in g.faxes:
            self.answer(404, {"error": "no such object"})
            return None
        return fax_id

    def current(self, fax_id, advance):
        g = self.gateway
        request = g.faxes[fax_id]
        pages = int(request.get("pages", 1))
        if fax_id in g.cancelled:
            return ["cancelled", 0, ""], pages
        name = request.get("to", request.get("trace_id"))
        answers = g.plan.get(name, [["delivered", pages, ""]])
        index = min(g.polls[fax_id], len(answers) - 1)
        if advance:
            g.polls[fax_id] += 1
        return answers[index], pages

    def do_GET(self):
        g = self.gateway
        if not self.authorised():
            return
        fax_id = self.lookup()
        if fax_id is None:
            return
        with g.lock:
            (state, sent, reason), pages = self.current(fax_id, True)
        self.answer(200, {"id": fax_id, "state": state, "pages_sent": sent,
                          "pages_total": pages, "reason": reason})

    def do_DELETE(self):
        g = self.gateway
        if not self.authorised():
            return
        fax_id = self.lookup()
        if fax_id is None:
            return
        with g.lock:
            (state, _, _), _ = self.current(fax_id, False)
            if state not in ("accepted", "queued", "cancelled"):
                return self.answer(409, {"error": "already " + state})
            g.cancelled.add(fax_id)
        self.answer(200, {"id": fax_id, "state": "cancelled"})


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log-dir", required=True)
    parser.add_argument("--resource", default="faxes",
                        choices=["faxes", "letters"])
    parser.add_argument("--ready-file")
    parser.add_argument("--plan")
    parser.add_argument("--token")
    parser.add_argument("--fail-posts", type=int, default=0)
    parser.add_argument("--watch-stdin", action="store_true")
    options = parser.parse_args(argv)
    Handler.gateway = Gateway(options)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if options.ready_file:
        write_atomically(options.ready_file,
                         b"%d\n" % server.server_address[1])
    if options.watch_stdin:
        def watch():
            while os.read(sys.stdin.fileno(), 4096):
                pass
            server.shutdown()
        threading.Thread(target=watch, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
