#!/usr/bin/env python3
"""okta_faults.py: the parts of the Okta-fault drill (okta_faults.sh) that are easier in Python.

  users  SIM_URL TOKEN CA N OUT.json          create N STAGED users in okta-sim (before any fault)
  send   HOOKD_URL SECRET CA USERS.json SECS OUT.json
                                              deliver one user.lifecycle.create event per user to hookd,
                                              spread over SECS seconds, retrying anything not answered 200
                                              (as Okta does), on 4 connections
  verdict DIR ADMIN_ACTOR                     reads DIR/{users,jobs,outbox,simusers,requests}.json and prints
                                              "key value" lines the shell checks
"""
import collections
import http.client
import json
import ssl
import sys
import threading
import time
import urllib.parse
import uuid


def conn(url, ca, timeout=10):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPSConnection(u.hostname, u.port, timeout=timeout,
                                       context=ssl.create_default_context(cafile=ca))


def users(sim_url, token, ca, n, out):
    c = conn(sim_url, ca)
    made = []
    tag = uuid.uuid4().hex[:6]
    for i in range(int(n)):
        login = "fault.%s.%05d@example.com" % (tag, i)
        body = json.dumps({"profile": {"login": login, "email": login, "firstName": "F", "lastName": "U%d" % i}})
        c.request("POST", "/api/v1/users?activate=false", body,
                  {"Authorization": "SSWS " + token, "Content-Type": "application/json"})
        r = c.getresponse()
        d = json.loads(r.read())
        if r.status != 200 or d.get("status") != "STAGED":
            sys.exit("user %d not created: %s %s" % (i, r.status, d))
        made.append({"id": d["id"], "login": login})
    json.dump(made, open(out, "w"))


def send(hookd_url, secret, ca, users_file, secs, out):
    us = json.load(open(users_file))
    secs = float(secs)
    todo = []
    for i, u in enumerate(us):
        ev = {"uuid": str(uuid.uuid4()), "published": "2026-11-27T05:00:00.000Z",
              "eventType": "user.lifecycle.create", "version": "0", "severity": "INFO",
              "displayMessage": "Create Okta user",
              "actor": {"id": "00uadminfaults", "type": "User", "alternateId": "admin@example.com",
                        "displayName": "Admin"},
              "target": [{"id": u["id"], "type": "User", "alternateId": u["login"], "displayName": u["login"]}]}
        body = {"eventType": "com.okta.event_hook", "eventTypeVersion": "1.0", "cloudEventsVersion": "0.1",
                "source": "https://sim/api/v1/eventHooks/whofaults", "eventId": str(uuid.uuid4()),
                "eventTime": "2026-11-27T05:00:00.000Z", "contentType": "application/json",
                "data": {"events": [ev]}}
        todo.append((i * secs / max(len(us), 1), json.dumps(body).encode()))
    stats = collections.Counter()
    lock = threading.Lock()
    t0 = time.monotonic()

    def worker(k):
        c = None
        for due, body in todo[k::4]:
            delay = t0 + due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            give_up = time.monotonic() + 60
            while True:
                try:
                    if c is None:
                        c = conn(hookd_url, ca)
                    c.request("POST", "/hooks/okta", body,
                              {"Authorization": secret, "Content-Type": "application/json"})
                    r = c.getresponse()
                    r.read()
                    status = r.status
                except Exception:
                    status = 0
                    c = None
                with lock:
                    stats[str(status)] += 1
                if status == 200:
                    break
                if time.monotonic() > give_up:
                    with lock:
                        stats["gave_up"] += 1
                    break
                time.sleep(0.2)

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    stats["seconds"] = round(time.monotonic() - t0, 1)
    json.dump(stats, open(out, "w"))


def verdict(d, admin_actor):
    us = json.load(open(d + "/users.json"))
    ids = {u["id"] for u in us}
    jobs = [j for j in map(json.loads, open(d + "/jobs.json")) if j["rule"] == "okta-created"]
    outbox = json.load(open(d + "/outbox.json"))
    simusers = {u["id"]: u for u in json.load(open(d + "/simusers.json"))}
    reqs = [r for r in json.load(open(d + "/requests.json"))["requests"] if r["actor"] != admin_actor]
    emails = collections.Counter(m["user_id"] for m in outbox if m["kind"] == "activation")
    per_subject = collections.Counter(j["subject"] for j in jobs)
    done = [j for j in jobs if j["state"] == "done"]
    dead = [j for j in jobs if j["state"] == "dead"]
    out = {}
    out["jobs"] = len(jobs)
    out["done"] = len(done)
    out["dead"] = len(dead)
    out["unsettled"] = len(jobs) - len(done) - len(dead)
    out["users_without_one_job"] = sum(1 for i in ids if per_subject[i] != 1)
    out["max_job_attempts"] = max((j["attempts"] for j in jobs), default=0)
    out["retried_jobs"] = sum(1 for j in jobs if j["attempts"] > 1)
    # re-runs that came after the job's activate had already taken effect: they must find nothing to do
    out["rerun_after_effect"] = sum(1 for j in done if j["attempts"] > 1 and (j["result"] or "").startswith("nothing to do"))
    out["users_with_two_emails"] = sum(1 for i in ids if emails[i] > 1)
    out["done_not_provisioned_once"] = sum(
        1 for j in done if emails[j["subject"]] != 1 or simusers[j["subject"]]["status"] != "PROVISIONED")
    out["users_active"] = sum(1 for i in ids if simusers[i]["status"] == "ACTIVE")
    # Calls that took effect: an activate answered 200, or one that succeeded and whose answer was lost.
    eff = collections.Counter()
    activates = collections.Counter()
    for r in reqs:
        p = r["path"].split("?")[0].split("/")
        if r["method"] == "POST" and len(p) == 7 and p[5:7] == ["lifecycle", "activate"]:
            activates[p[4]] += 1
            if r["status"] == 200 or r.get("lost_status") == 200:
                eff[p[4]] += 1
    out["activate_calls"] = sum(activates.values())
    out["users_activated_twice"] = sum(1 for i in ids if eff[i] > 1)
    faults = collections.Counter(r["fault"] or "none" for r in reqs)
    for k in ("latency", "drop", "lost", "error", "429"):
        out["fault_" + k] = faults[k]
    out["requests"] = len(reqs)
    out["spike_ms_max"] = max((r["end_ms"] - r["start_ms"] for r in reqs if r["fault"] == "latency"), default=0)
    # X-Rate-Limit-Reset: after a 429 in a bucket, no request in that bucket may arrive before the reset
    # instant. Requests already on their way when the 429 left the sim are not the client's choice:
    # 250 ms after the 429's answer is the grace for those.
    grace = 250
    bybucket = collections.defaultdict(list)
    for r in reqs:
        bybucket[r["bucket"]].append(r)
    viol = 0
    waits = []
    n429 = 0
    example = ""
    for b, rs in bybucket.items():
        rs.sort(key=lambda r: r["start_ms"])
        for r in rs:
            if r["status"] != 429:
                continue
            n429 += 1
            reset_ms = r["reset_s"] * 1000
            early = [x for x in rs if r["end_ms"] + grace < x["start_ms"] < reset_ms]
            if early:
                viol += len(early)
                if not example:
                    example = "%s 429 at %d reset %d; next at %d" % (b, r["end_ms"], reset_ms, early[0]["start_ms"])
            nxt = [x["start_ms"] for x in rs if x["start_ms"] > r["end_ms"] + grace]
            if nxt and reset_ms > r["end_ms"]:
                waits.append(min(nxt) - reset_ms)
    out["answers_429"] = n429
    out["reset_violations"] = viol
    if example:
        out["reset_violation_example"] = example.replace(" ", "_")
    waits.sort()
    out["after_reset_ms_min"] = waits[0] if waits else 0
    out["after_reset_ms_median"] = waits[len(waits) // 2] if waits else 0
    for k, v in out.items():
        print(k, v)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"users": users, "send": send, "verdict": verdict}[cmd](*args)
