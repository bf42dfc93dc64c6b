#!/usr/bin/env python3
"""hostile.py: hostile HTTP/TLS clients for the drills (asyncio, stdlib only).

Usage: hostile.py MODE --port P [--conns N] [--seconds S] [--interval I] [--secret X]
Modes:
  idle-tcp        N TCP connections that never start TLS
  idle-tls        N connections that finish the TLS handshake and then send nothing
  keep-alive      N TLS connections that send one unauthenticated GET /healthz, read the answer and
                  then stay idle on keep-alive
  connect-flood   N concurrent loops opening TLS connections and closing them at once, as fast as
                  they can, for --seconds; reports how many handshakes were made
  slow-headers    N TLS connections trickling a request's headers, one byte per interval
  slow-body       N TLS connections sending complete headers (Content-Length 60000) and then the
                  body one byte per interval
  chunked-forever N TLS connections sending a chunked body, a 16-byte chunk per interval, never the end
  big-headers     N sequential requests with a 100 KiB header; records the answers
  big-body        N sequential requests announcing Content-Length 1 GB; records the answers
  big-body-stream N sequential 2 MB deliveries still being sent when the 413 comes; records the answers
  big-chunked     N sequential chunked requests streaming 4 MiB as fast as possible; records the answers
  plain-http      N sequential plain-HTTP requests on the TLS port; records what comes back
Holding modes run for --seconds and report how many connections the server closed and when;
sequential modes report status counts and timings. One JSON object on stdout.
"""
import argparse
import asyncio
import json
import socket
import ssl
import statistics
import time

CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE


def head(path="/hooks/okta", extra=""):
    return ("POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n%s" % (path, extra)).encode()


class Hold:
    """Counts connections the server closed (and when) while the attacker keeps them open."""

    def __init__(self):
        self.opened = 0
        self.failed = 0
        self.closed_at = []
        self.answers = {}
        self.t0 = time.monotonic()

    def closed(self, data=b""):
        self.closed_at.append(time.monotonic() - self.t0)
        if data.startswith(b"HTTP/1."):
            code = data.split(b" ", 2)[1].decode()
            self.answers[code] = self.answers.get(code, 0) + 1


async def reader_watch(reader, hold, start):
    data = b""
    try:
        while True:
            chunk = await reader.read(4096)
            if not chunk:
                break
            data += chunk
    except (ConnectionError, ssl.SSLError, OSError):
        pass
    hold.closed_at.append(time.monotonic() - start)
    if data.startswith(b"HTTP/1."):
        code = data.split(b" ", 2)[1].decode()
        hold.answers[code] = hold.answers.get(code, 0) + 1


async def one_holder(mode, a, hold, deadline):
    try:
        if mode == "idle-tcp":
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", a.port), 10)
        else:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", a.port, ssl=CTX, server_hostname="localhost"), 30)
    except (OSError, ssl.SSLError, asyncio.TimeoutError):
        hold.failed += 1
        return
    hold.opened += 1
    start = time.monotonic()
    watch = asyncio.ensure_future(reader_watch(reader, hold, start))
    if mode == "slow-headers":
        payload = head(extra="Authorization: %s\r\nX-Pad: " % a.secret) + b"a" * 100000
    elif mode == "slow-body":
        payload = None
        writer.write(head(extra="Authorization: %s\r\nContent-Length: 60000\r\n\r\n" % a.secret))
    elif mode == "chunked-forever":
        payload = None
        writer.write(head(extra="Authorization: %s\r\nTransfer-Encoding: chunked\r\n\r\n" % a.secret))
    elif mode == "keep-alive":
        payload = None
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    else:
        payload = None
    i = 0
    try:
        while time.monotonic() < deadline and not watch.done():
            if mode in ("slow-headers",) and i < len(payload):
                writer.write(payload[i:i + 1])
                i += 1
            elif mode == "slow-body":
                writer.write(b" ")
            elif mode == "chunked-forever":
                writer.write(b"10\r\n" + b" " * 16 + b"\r\n")
            if mode not in ("idle-tcp", "idle-tls", "keep-alive"):
                await writer.drain()
            await asyncio.wait([watch], timeout=a.interval)
    except (ConnectionError, ssl.SSLError, OSError):
        # A write failed: the server closed (a reset answers a write to a closed socket). The reader
        # usually sees the close too; give it a moment, else count the close from here.
        await asyncio.wait([watch], timeout=1)
        if not watch.done():
            watch.cancel()
            hold.closed_at.append(time.monotonic() - start)
    if not watch.done():
        watch.cancel()
    writer.close()


async def holders(mode, a):
    hold = Hold()
    deadline = time.monotonic() + a.seconds
    tasks = []
    for _ in range(a.conns):
        tasks.append(asyncio.ensure_future(one_holder(mode, a, hold, deadline)))
        await asyncio.sleep(a.ramp / max(a.conns, 1))
    await asyncio.gather(*tasks)
    c = sorted(hold.closed_at)
    return {"mode": mode, "connections": a.conns, "opened": hold.opened, "failed_to_open": hold.failed,
            "closed_by_server": len(c), "answers": hold.answers,
            "median_close_s": round(statistics.median(c), 2) if c else None,
            "max_close_s": round(c[-1], 2) if c else None, "seconds": a.seconds}


async def sequential(mode, a):
    statuses, times = {}, []
    for _ in range(a.conns):
        t = time.monotonic()
        try:
            if mode == "plain-http":
                reader, writer = await asyncio.open_connection("127.0.0.1", a.port)
                writer.write(b"POST /hooks/okta HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}")
            else:
                reader, writer = await asyncio.open_connection("127.0.0.1", a.port, ssl=CTX,
                                                               server_hostname="localhost")
                if mode == "big-headers":
                    writer.write(head(extra="Authorization: %s\r\nX-Big: %s\r\nContent-Length: 2\r\n\r\n{}" % (
                        a.secret, "b" * 102400)))
                elif mode == "big-body":
                    writer.write(head(extra="Authorization: %s\r\nContent-Length: 1000000000\r\n\r\n" % a.secret))
                    writer.write(b"{" * 65536)

                elif mode == "big-chunked":
                    writer.write(head(extra="Authorization: %s\r\nTransfer-Encoding: chunked\r\n\r\n" % a.secret))
                    chunk = b"4000\r\n" + b" " * 16384 + b"\r\n"
                    for _ in range(256):
                        writer.write(chunk)
            try:
                await asyncio.wait_for(writer.drain(), 15)
            except (ConnectionError, ssl.SSLError, OSError, asyncio.TimeoutError):
                pass
            data = b""
            try:
                data = await asyncio.wait_for(reader.read(200), 15)
            except (ConnectionError, ssl.SSLError, OSError, asyncio.TimeoutError):
                pass
            key = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/1.") and len(data.split(b" ")) > 1 \
                else ("nothing" if not data else "non-http")
            writer.close()
        except (ConnectionError, ssl.SSLError, OSError) as e:
            key = "error:" + type(e).__name__
        statuses[key] = statuses.get(key, 0) + 1
        times.append(time.monotonic() - t)
    return {"mode": mode, "requests": a.conns, "answers": statuses,
            "median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3)}


async def flood(a):
    """--conns loops, each opening a TLS connection and closing it at once until the deadline."""
    made, failed = [0], [0]
    deadline = time.monotonic() + a.seconds

    async def loop():
        while time.monotonic() < deadline:
            try:
                _, writer = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", a.port, ssl=CTX, server_hostname="localhost"), 10)
                made[0] += 1
                writer.close()
            except (OSError, ssl.SSLError, asyncio.TimeoutError):
                failed[0] += 1
                await asyncio.sleep(0.01)

    await asyncio.gather(*(loop() for _ in range(a.conns)))
    return {"mode": "connect-flood", "connections": a.conns, "opened": made[0], "failed_to_open": failed[0],
            "per_second": round(made[0] / a.seconds, 1), "closed_by_server": made[0], "answers": {},
            "seconds": a.seconds}


def body_stream(a):
    """Blocking sockets on purpose: asyncio reads ahead in the background, which would hide a reset
    that destroys an answer the client has not read yet."""
    statuses, times = {}, []
    for _ in range(a.conns):
        t = time.monotonic()
        key = "nothing"
        try:
            s = CTX.wrap_socket(socket.create_connection(("127.0.0.1", a.port), timeout=15),
                                server_hostname="localhost")
            s.sendall(head(extra="Authorization: %s\r\nContent-Length: 2000000\r\n\r\n" % a.secret) + b"{" * 60000)
            time.sleep(0.02)  # still sending, and a moment slower than loopback to read the answer
            data = s.recv(200)
            if data.startswith(b"HTTP/1."):
                key = data.split(b" ", 2)[1].decode()
            s.close()
        except (ConnectionError, ssl.SSLError, OSError) as e:
            key = "error:" + type(e).__name__
        statuses[key] = statuses.get(key, 0) + 1
        times.append(time.monotonic() - t)
    return {"mode": "big-body-stream", "requests": a.conns, "answers": statuses,
            "median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--conns", type=int, default=100)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--ramp", type=float, default=1.0, help="seconds over which to open the connections")
    p.add_argument("--secret", default="x")
    a = p.parse_args()
    if a.mode in ("idle-tcp", "idle-tls", "keep-alive", "slow-headers", "slow-body", "chunked-forever"):
        r = asyncio.run(holders(a.mode, a))
    elif a.mode == "connect-flood":
        r = asyncio.run(flood(a))
    elif a.mode == "big-body-stream":
        r = body_stream(a)
    else:
        r = asyncio.run(sequential(a.mode, a))
    print(json.dumps(r))


if __name__ == "__main__":
    main()
