#!/usr/bin/env python3
"""testssl_verdict.py: judges a testssl.sh --jsonfile report against hookd's TLS policy.

Usage: testssl_verdict.py REPORT.json [REPORT.json ...]   (exit 0: passes, 1: fails, 2: unusable report)
       testssl_verdict.py --self-test                      (the verdict rejects a crafted bad report)

Fails on: any protocol below TLS 1.2 offered; any cipher without forward secrecy (key exchange other
than ECDH/DH, or the PFS check not OK); any weak cipher class offered (NULL, aNULL, EXPORT, LOW,
3DES/IDEA, AVERAGE i.e. CBC-era suites) or a weak cipher (RC4, DES, 3DES, NULL, CBC); a certificate
chain that does not verify or holds only the leaf; any finding rated MEDIUM, HIGH or CRITICAL except
those listed in ALLOWED with the reason; a FATAL scan error; and checks missing from the report.
"""
import json
import sys

# Findings tolerated in the test setting, each with its reason (printed when seen).
ALLOWED = {
    "cert_revocation": "the development CA publishes no CRL/OCSP; production certificates come from the operator's CA",
}
REQUIRED = ["SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3", "PFS", "cert_chain_of_trust",
            "certs_countServer", "cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW",
            "cipherlist_3DES_IDEA", "cipherlist_AVERAGE"]
OLD_PROTOCOLS = ["SSLv2", "SSLv3", "TLS1", "TLS1_1"]
WEAK_CLASSES = ["cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW",
                "cipherlist_3DES_IDEA", "cipherlist_AVERAGE"]
WEAK_ENC = ("RC4", "DES", "3DES", "NULL", "IDEA", "SEED", "CAMELLIA")


def judge(rows):
    """Returns (problems, notes) for a list of testssl JSON rows."""
    problems, notes = [], []
    by_id = {}
    for r in rows:
        by_id.setdefault(r.get("id", ""), []).append(r)
    for rid in REQUIRED:
        if rid not in by_id:
            problems.append("the report lacks %s (scan incomplete?)" % rid)
    for rid in OLD_PROTOCOLS:
        for r in by_id.get(rid, []):
            if not r["finding"].startswith("not offered"):
                problems.append("%s is offered: %s" % (rid, r["finding"]))
    for rid in WEAK_CLASSES:
        for r in by_id.get(rid, []):
            if not r["finding"].startswith("not offered"):
                problems.append("weak cipher class %s offered: %s" % (rid, r["finding"]))
    for r in by_id.get("PFS", []):
        if r["severity"] != "OK":
            problems.append("forward secrecy check: %s %s" % (r["severity"], r["finding"]))
    ciphers = [r for r in rows if r.get("id", "").startswith("cipher-") or r.get("id", "").startswith("cipher_x")]
    for r in ciphers:
        f = r["finding"].split()
        # "TLS 1.2   xc02c   ECDHE-ECDSA-AES256-GCM-SHA384   ECDH 253   AESGCM   256   TLS_ECDHE_..."
        if len(f) < 6:
            continue
        name, kx, enc = f[3], f[4], f[6] if len(f) > 6 else ""
        if not (kx.startswith("ECDH") or kx.startswith("DH")):
            problems.append("cipher without forward secrecy: %s (key exchange %s)" % (name, kx))
        if enc.upper().startswith(WEAK_ENC) or "CBC" in name or ("SHA" in name and "GCM" not in name
                                                                 and "CHACHA" not in name and "CCM" not in name
                                                                 and not name.startswith("TLS_")):
            problems.append("weak cipher offered: %s (%s)" % (name, enc))
    notes.append("%d cipher suites offered: %s" % (len(ciphers), " ".join(r["finding"].split()[3] for r in ciphers
                                                                         if len(r["finding"].split()) > 3)))
    for r in by_id.get("cert_chain_of_trust", []):
        if not r["finding"].startswith("passed"):
            problems.append("certificate chain of trust: %s" % r["finding"])
    for r in by_id.get("certs_countServer", []):
        try:
            n = int(r["finding"].split()[0])
        except ValueError:
            n = 0
        if n < 2:
            problems.append("the server sends %d certificate(s): the chain (intermediate/CA) is missing" % n)
    for r in rows:
        sev, rid = r.get("severity", ""), r.get("id", "")
        if sev == "FATAL":
            problems.append("scan error %s: %s" % (rid, r["finding"]))
        elif sev in ("MEDIUM", "HIGH", "CRITICAL"):
            if rid in ALLOWED:
                notes.append("tolerated %s %s (%s): %s" % (sev, rid, r["finding"], ALLOWED[rid]))
            else:
                problems.append("%s %s: %s" % (sev, rid, r["finding"]))
        elif sev == "WARN":
            notes.append("scan warning %s: %s" % (rid, r["finding"]))
    return problems, notes


def self_test():
    bad = [
        {"id": "SSLv2", "severity": "OK", "finding": "not offered"},
        {"id": "SSLv3", "severity": "OK", "finding": "not offered"},
        {"id": "TLS1", "severity": "INFO", "finding": "offered"},
        {"id": "TLS1_1", "severity": "INFO", "finding": "not offered"},
        {"id": "TLS1_2", "severity": "OK", "finding": "offered"},
        {"id": "TLS1_3", "severity": "OK", "finding": "offered with final"},
        {"id": "PFS", "severity": "OK", "finding": "offered"},
        {"id": "cert_chain_of_trust", "severity": "OK", "finding": "passed."},
        {"id": "certs_countServer", "severity": "INFO", "finding": "1"},
        {"id": "cipherlist_NULL", "severity": "OK", "finding": "not offered"},
        {"id": "cipherlist_aNULL", "severity": "OK", "finding": "not offered"},
        {"id": "cipherlist_EXPORT", "severity": "OK", "finding": "not offered"},
        {"id": "cipherlist_LOW", "severity": "OK", "finding": "not offered"},
        {"id": "cipherlist_3DES_IDEA", "severity": "INFO", "finding": "not offered"},
        {"id": "cipherlist_AVERAGE", "severity": "LOW", "finding": "offered"},
        {"id": "cipher-tls1_2_x2f", "severity": "INFO",
         "finding": "TLS 1.2   x2f   AES128-SHA   RSA   AES   128   TLS_RSA_WITH_AES_128_CBC_SHA"},
        {"id": "cert_revocation", "severity": "HIGH", "finding": "Neither CRL nor OCSP URI provided"},
        {"id": "LUCKY13", "severity": "LOW", "finding": "potentially vulnerable"},
        {"id": "SWEET32", "severity": "HIGH", "finding": "VULNERABLE"},
    ]
    problems, _ = judge(bad)
    text = "\n".join(problems)
    expect = ["TLS1 is offered", "cipherlist_AVERAGE", "without forward secrecy: AES128-SHA",
              "weak cipher offered: AES128-SHA", "sends 1 certificate", "HIGH SWEET32"]
    missing = [e for e in expect if e not in text]
    if "cert_revocation" in text:
        missing.append("(cert_revocation should be tolerated)")
    if missing:
        print("self-test FAILED: the verdict missed " + ", ".join(missing))
        return 1
    print("self-test ok: a crafted bad report yields %d problems" % len(problems))
    return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) < 2:
        print(__doc__)
        return 2
    rc = 0
    for path in argv[1:]:
        try:
            rows = json.load(open(path))
        except (OSError, ValueError) as e:
            print("%s: unusable report: %s" % (path, e))
            return 2
        if isinstance(rows, dict):  # --jsonfile-pretty layout
            rows = [f for s in rows.get("scanResult", []) for k, v in s.items() if isinstance(v, list) for f in v]
        problems, notes = judge(rows)
        for n in notes:
            print("%s: note: %s" % (path, n))
        for p in problems:
            print("%s: PROBLEM: %s" % (path, p))
        print("%s: %s" % (path, "passes" if not problems else "%d problem(s)" % len(problems)))
        rc |= 1 if problems else 0
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
