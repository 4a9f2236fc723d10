#!/usr/bin/python3
"""smtp-sink.py -- a small SMTP server for dunspool's tests.

Listens on 127.0.0.1, takes mail the way a relay would and writes every
message it accepts into MAILDIR as two files: NNNN.eml holds the message
exactly as it arrived (CRLF line ends, dot-stuffing undone) and NNNN.json
its envelope: {"mail_from": ..., "rcpt_tos": [...], "refused": [...]}.
Both are written under a temporary name and renamed, the .json last, and
before the server answers the message, so a client that has its reply can
read them at once.

It can misbehave on purpose:
  --refuse PATTERN    answer RCPT TO for matching addresses with 550
  --defer PATTERN     answer RCPT TO for matching addresses with 451
  --defer-data        answer the message with 451 (and keep nothing)
  --drop-after-data   keep the message, then close the connection without
                      answering it: the client cannot know it arrived
  --auth USER:PASS    require AUTH (PLAIN or LOGIN) with these credentials
PATTERN is a shell pattern (fnmatch), case-insensitive; each option may be
given more than once.

--port 0 picks a free port; --ready-file FILE receives the port number once
the server listens (written atomically).  --watch-stdin makes the server
exit when its standard input reaches end of file, so that it dies with the
test that started it even when that test could not stop it.  SIGTERM stops
it too.  Runs on Debian's python3-aiosmtpd; needs nothing else.
"""

import argparse
import asyncio
import fnmatch
import json
import logging
import os
import signal
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def matches(patterns, address):
    return any(fnmatch.fnmatch(address.lower(), pattern.lower())
               for pattern in patterns)


def write_atomically(path, data):
    directory, name = os.path.split(path)
    temporary = os.path.join(directory, "." + name + ".tmp")
    with open(temporary, "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    os.rename(temporary, path)


class SinkHandler:
    def __init__(self, options):
        self.options = options
        self.count = 0

    @staticmethod
    def refuse(envelope, address, reply):
        if not hasattr(envelope, "refused"):
            envelope.refused = []
        envelope.refused.append(address)
        return reply

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        if matches(self.options.refuse, address):
            return self.refuse(envelope, address,
                               "550 5.1.1 <%s>: recipient refused" % address)
        if matches(self.options.defer, address):
            return self.refuse(envelope, address,
                               "451 4.3.0 <%s>: try again later" % address)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    def store(self, envelope):
        self.count += 1
        name = "%04d" % self.count
        base = os.path.join(self.options.maildir, name)
        write_atomically(base + ".eml", envelope.original_content)
        record = {"mail_from": envelope.mail_from,
                  "rcpt_tos": envelope.rcpt_tos,
                  "refused": getattr(envelope, "refused", [])}
        write_atomically(base + ".json", json.dumps(record).encode())
        return name

    async def handle_DATA(self, server, session, envelope):
        if self.options.defer_data:
            return "451 4.3.0 message deferred, try again later"
        name = self.store(envelope)
        if self.options.drop_after_data:
            server.transport.abort()
        return "250 2.0.0 OK queued as %s" % name


def make_authenticator(credentials):
    login, _, password = credentials.partition(":")

    def authenticate(server, session, envelope, mechanism, auth_data):
        good = (isinstance(auth_data, LoginPassword) and
                auth_data.login == login.encode() and
                auth_data.password == password.encode())
        # handled=False: aiosmtpd itself answers a failure with 535.
        return AuthResult(success=good, handled=False)
    return authenticate


def parse_options(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--ready-file")
    parser.add_argument("--refuse", action="append", default=[])
    parser.add_argument("--defer", action="append", default=[])
    parser.add_argument("--defer-data", action="store_true")
    parser.add_argument("--drop-after-data", action="store_true")
    parser.add_argument("--auth")
    parser.add_argument("--watch-stdin", action="store_true")
    return parser.parse_args(argv)


def stop_on_stdin_eof(loop, stop):
    def readable():
        if not os.read(sys.stdin.fileno(), 4096):
            loop.remove_reader(sys.stdin.fileno())
            stop.set()
    loop.add_reader(sys.stdin.fileno(), readable)


async def serve(options):
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    handler = SinkHandler(options)
    smtp_options = {"hostname": "sink.test", "loop": loop}
    if options.auth is not None:
        smtp_options.update(authenticator=make_authenticator(options.auth),
                            auth_required=True, auth_require_tls=False)

    server = await loop.create_server(
        lambda: SMTP(handler, **smtp_options), "127.0.0.1", options.port)
    port = server.sockets[0].getsockname()[1]
    if options.ready_file:
        write_atomically(options.ready_file, b"%d\n" % port)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    if options.watch_stdin:
        stop_on_stdin_eof(loop, stop)
    await stop.wait()
    server.close()


def main(argv):
    options = parse_options(argv)
    # AUTH without TLS is what --auth is for; aiosmtpd warns about it.
    warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    os.makedirs(options.maildir, exist_ok=True)
    asyncio.run(serve(options))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
