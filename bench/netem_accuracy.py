#!/usr/bin/env python3
"""netem_accuracy.py — set vs measured for every netem parameter, from a migtorture results.json.

    netem_accuracy.py RESULTS.json [--dist-tool PATH] [--check] [--markdown]

Used by bench/netem-accuracy (the table in docs/netem-accuracy.md) and by the lab test
tests/lab/netem_accuracy.sh (--check: exit 1 when a figure is outside its tolerance).

Every figure comes from the run's own udp probe (client -> mt-guest -> client, one request
every `interval`): the series probe.udp.rtt_ms (t = send time, v = RTT or null = lost) and the
counters probe.udp.{duplicates,reordered,received}. netem sits on the router's client-side
egress (vec0), so it acts on the replies only, once per round trip.

A cell's window starts 50 ms after its `fault.applied` event (the agent's record of when the
netlink call returned, mapped to the runner's clock) and ends where the series ends (the
probe's last `timeout` is cut, unbiased, by the probe itself). The cell with `fault = none`
is the baseline: its RTTs are the path without netem (UML router + TCG guest noise).

Theory, from the kernel's netem (net/sched/sch_netem.c, linux 6.1 as in the UML router):
  * delay d, jitter J: tabledist() returns d + X with
      - no distribution (uniform): X = (rnd % 2J) - J, uniform on [-J, J): sd(X) = J/sqrt(3);
      - a table (normal, pareto, paretonormal): X = J * t / 8192 for an entry t picked uniformly
        from the table migtorture sent (bench/netem-dist prints it): mean and sd of X follow
        exactly from the table (normal: sd = J; the iproute2 pareto tables are clamped to
        +-4 sigma in int16, so their sd is ~0.82 J).
    RTT = base + X with base independent of X, so
      - sd(RTT) = sqrt(sd(base)^2 + sd(X)^2)  — ping's mdev is this sd (ping divides by n;
        with n > 5000 the difference is < 0.01 %); the probe reports it as rtt_ms.sd (n-1);
      - RFC 3550 jitter (the probe's jitter_ms) is an exponentially weighted (gain 1/16)
        estimate of E|D|, D = difference of consecutive transit times; its value at the end of
        a window is one noisy draw, so we compare its target, the window's mean |D|, with
        E|D_base + X1 - X2| computed by Monte Carlo from the baseline's own consecutive
        differences and independent draws of X. Without base noise: uniform 2J/3, normal
        2J/sqrt(pi).
  * loss p: each reply is dropped with probability p: loss_pct = p, binomial sd
    sqrt(p(1-p)/n).
  * duplicate p: each reply is sent twice with probability p: duplicates / replies = p.
  * reorder R with delay d (gap 1, as tc and libnl default it): a reply is sent at once with
    probability R (queue head, no delay), else after d: the fraction of replies faster than
    base + d/2 is R. Every delayed reply overtaken by an immediate one is counted by the probe
    as reordered (RFC 4737 §3.3), which depends on how bursty the guest's replies are.
  * corrupt p: one random bit of the frame (from the Ethernet header: netem corrupts
    skb->data on the egress of an Ethernet device) is flipped in a fraction p of the replies.
    A flip in the source MAC (48 bits) or the destination's group bit (1 bit) still delivers
    the frame; any other flip is dropped (bad IP or UDP checksum, wrong MAC or ethertype).
    The reply frame is 14 + 20 + 8 + 192 = 234 bytes, so loss = p (1 - 49/1872).
  * rate r: the bytes netem counts are the frames' skb->len (Ethernet header, no FCS), so a
    TCP download with 1448-byte segments (MSS 1460 - 12 bytes of timestamps) in 1514-byte
    frames gets r * 1448/1514 of goodput.
"""
import argparse
import json
import math
import random
import subprocess
import sys

REPLY_FRAME = 14 + 20 + 8 + 192


def params(spec):
    out = {}
    for w in spec.split()[1:]:
        if "=" in w:
            k, v = w.split("=", 1)
            out[k] = v
    return out


def ms(v):
    v = v.strip()
    if v.endswith("ms"):
        return float(v[:-2])
    if v.endswith("us"):
        return float(v[:-2]) / 1000
    if v.endswith("s"):
        return float(v[:-1]) * 1000
    return float(v)


def pct(v):
    return float(v.rstrip("%"))


def rate_bps(v):
    v = v.lower()
    for suf, mul in (("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3), ("bit", 1)):
        if v.endswith(suf):
            return float(v[: -len(suf)]) * mul
    return float(v)


def mean(v):
    return sum(v) / len(v) if v else float("nan")


def sd(v):
    if len(v) < 2:
        return float("nan")
    m = mean(v)
    return math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1))


def rfc3550(v):
    j = 0.0
    for a, b in zip(v, v[1:]):
        j += (abs(b - a) - j) / 16
    return j


def fault_spec(cell):
    """The cell's fault spec: its axis value, else (a fault set in a section, not an axis)
    the detail of its fault.on event; "none" when it has none."""
    if "fault" in cell["axes"]:
        return cell["axes"]["fault"]
    for e in cell["timeline"]:
        if e["what"].startswith("fault.on") and e.get("detail"):
            return e["detail"]
    return "none"


def applied_ns(cell):
    for e in cell["timeline"]:
        if e["what"].startswith("fault.applied"):
            return e["actual_ns"]
    return None


def window(cell, start_ns):
    s = cell["series"].get("probe.udp.rtt_ms")
    if not s:
        return [], 0
    got, sent = [], 0
    for t, v in zip(s["t_ns"], s["v"]):
        if t < start_ns:
            continue
        sent += 1
        if v is not None:
            got.append(v)
    return got, sent


def table(tool, dist):
    out = subprocess.run([tool, dist], check=True, capture_output=True, text=True).stdout
    return [int(x) / 8192.0 for x in out.split()]


def dist_draw(dist, jitter, tab, rng):
    if dist == "uniform":
        return rng.uniform(-jitter, jitter)
    return jitter * tab[rng.randrange(len(tab))]


def dist_moments(dist, jitter, tab):
    if dist == "uniform":
        return 0.0, jitter / math.sqrt(3)
    m = mean(tab)
    return jitter * m, jitter * math.sqrt(sum((x - m) ** 2 for x in tab) / len(tab))


def mc_mean_abs_d(base, dist, jitter, tab, n=200000, seed=1):
    """E|D| for RTT = base + X: consecutive baseline differences plus X1 - X2."""
    rng = random.Random(seed)
    bd = [b - a for a, b in zip(base, base[1:])]
    acc = 0.0
    for _ in range(n):
        acc += abs(bd[rng.randrange(len(bd))] + dist_draw(dist, jitter, tab, rng)
                   - dist_draw(dist, jitter, tab, rng))
    return acc / n


def quantile(xs, q):
    """The q-quantile of xs by nearest rank on the sorted values (xs non-empty)."""
    ys = sorted(xs)
    return ys[min(len(ys) - 1, int(q * len(ys)))]


def mc_rtt(base, dist, jitter, tab, n=200000, seed=2):
    """Draws of RTT - d = base + X: a baseline RTT and an independent X."""
    rng = random.Random(seed)
    return [base[rng.randrange(len(base))] + dist_draw(dist, jitter, tab, rng)
            for _ in range(n)]


def mc_abs_d(base, dist, jitter, tab, n=200000, seed=3):
    """Draws of |D| = |D_base + X1 - X2| (consecutive baseline differences)."""
    rng = random.Random(seed)
    bd = [b - a for a, b in zip(base, base[1:])]
    return [abs(bd[rng.randrange(len(bd))] + dist_draw(dist, jitter, tab, rng)
                - dist_draw(dist, jitter, tab, rng)) for _ in range(n)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results", nargs="+")
    ap.add_argument("--dist-tool", default="build/bench/netem-dist")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()

    cells = []
    for f in args.results:
        cells += json.load(open(f))["cells"]
    base = None
    for c in cells:
        if fault_spec(c) == "none" and "probe.udp.rtt_ms" in c["series"]:
            # the baseline: skip the first second (first packets wait for ARP, the guest's
            # TCG code warms up)
            base, _ = window(c, 1_000_000_000)
    if not base:
        print("no baseline cell (fault = none) with udp samples", file=sys.stderr)
        return 2
    bmean, bsd, bp50 = mean(base), sd(base), sorted(base)[len(base) // 2]
    rows, fails = [], []

    def row(param, setv, theory, measured, n, tol_ok, note=""):
        rows.append((param, setv, theory, measured, n, "ok" if tol_ok else "OUT", note))
        if not tol_ok:
            fails.append(param)

    rows.append(("baseline RTT", "-", "-", "mean %.3f ms, sd %.3f ms, p50 %.3f ms" %
                 (bmean, bsd, bp50), len(base), "-", ""))
    for c in cells:
        spec = fault_spec(c)
        if not spec.startswith("netem"):
            continue
        p = params(spec)
        a = applied_ns(c)
        if a is None:
            row(spec, "-", "-", "fault never applied (%s)" % c.get("reason"), 0, False)
            continue
        m = c["metrics"].get("probe", {}).get("udp", {})
        if "rate" in p:
            ser = c["series"].get("web.video.goodput_bps")
            if not ser:
                row("rate", p["rate"], "-", "no goodput series", 0, False)
                continue
            # 100 ms buckets from 1 s after the fault (TCP slow start, queue fill)
            g = [v for t, v in zip(ser["t_ns"], ser["v"]) if t >= a + 1_000_000_000
                 and v is not None]
            r = rate_bps(p["rate"])
            th = r * 1448 / 1514
            med = sorted(g)[len(g) // 2] if g else float("nan")
            row("rate", p["rate"], "goodput %.2f Mbit/s" % (th / 1e6),
                "goodput p50 %.2f Mbit/s, mean %.2f" % (med / 1e6, mean(g) / 1e6), len(g),
                abs(med / th - 1) <= 0.05, "TCP download, 100 ms buckets; ratio %.3f" %
                (med / th))
            continue
        got, sent = window(c, a + 50_000_000)
        n = len(got)
        if sent == 0:
            row(spec, "-", "-", "no samples", 0, False)
            continue
        loss = 100.0 * (sent - n) / sent
        dmean, dsd = mean(got), sd(got)
        d = ms(p.get("delay", "0"))
        if "jitter" in p:
            J = ms(p["jitter"])
            dist = p.get("distribution", "uniform")
            tab = table(args.dist_tool, dist) if dist != "uniform" else None
            xm, xsd = dist_moments(dist, J, tab)
            th_sd = math.sqrt(bsd ** 2 + xsd ** 2)
            th_mean = bmean + d + xm
            th_ad = mc_mean_abs_d(base, dist, J, tab)
            ad = mean([abs(y - x) for x, y in zip(got, got[1:])])
            label = "jitter %s %s" % (p["jitter"], dist)
            # Judged by median and quantiles, whose theory is drawn from the baseline's own
            # samples plus X: the mean, ping's mdev and mean |D| also count every scheduling
            # spike of this shared machine (a CI run's ASan stage, idle otherwise: delay mean
            # +2.4 ms, mdev ratio 1.28; another: mdev ratio 1.58 with the mean in tolerance),
            # so they are printed, not judged.
            sim = mc_rtt(base, dist, J, tab)
            th_p50, th_iqr = d + quantile(sim, 0.5), quantile(sim, 0.75) - quantile(sim, 0.25)
            p50, iqr = quantile(got, 0.5), quantile(got, 0.75) - quantile(got, 0.25)
            ads = [abs(y - x) for x, y in zip(got, got[1:])]
            th_mad = quantile(mc_abs_d(base, dist, J, tab), 0.5)
            mad = quantile(ads, 0.5)
            row(label + ": delay", p["delay"], "p50 %.2f ms" % th_p50,
                "p50 %.2f ms (mean %.2f, theory %.2f: not judged)" % (p50, dmean, th_mean), n,
                abs(p50 - th_p50) <= 1.0)
            row(label + ": spread", p["jitter"], "IQR %.3f ms" % th_iqr, "IQR %.3f ms" % iqr, n,
                abs(iqr / th_iqr - 1) <= 0.10, "ratio %.3f; ping mdev %.3f ms vs %.3f (X alone "
                "%.3f), ratio %.3f: not judged" % (iqr / th_iqr, dsd, th_sd, xsd, dsd / th_sd))
            row(label + ": RFC 3550 jitter, median abs(D)", p["jitter"], "%.3f ms" % th_mad,
                "%.3f ms" % mad, n, abs(mad / th_mad - 1) <= 0.10,
                "ratio %.3f; mean abs(D) %.3f vs %.3f (probe's final J %.3f): not judged" %
                (mad / th_mad, mean(ads), th_ad, rfc3550(got)))
        elif "reorder" in p:
            R = pct(p["reorder"])
            fast = sum(1 for x in got if x < bp50 + d / 2)
            f = 100.0 * fast / n
            s3 = 4 * 100 * math.sqrt(R / 100 * (1 - R / 100) / n)
            rec = m.get("received") or 0
            reo = m.get("reordered") or 0
            row("reorder (sent at once)", p["reorder"], "%.2f %% ± %.2f (4 sd)" % (R, s3),
                "%.2f %%" % f, n, abs(f - R) <= s3,
                "probe: %d of %d replies reordered (RFC 4737), %.1f %%" %
                (reo, rec, 100.0 * reo / rec if rec else float("nan")))
            if reo <= 0:
                fails.append("reorder not seen by the probe")
        elif "duplicate" in p:
            P = pct(p["duplicate"])
            rec = m.get("received") or 0
            dup = m.get("duplicates") or 0
            f = 100.0 * dup / rec if rec else float("nan")
            s3 = 4 * 100 * math.sqrt(P / 100 * (1 - P / 100) / max(rec, 1))
            row("duplicate", p["duplicate"], "%.2f %% ± %.2f (4 sd)" % (P, s3),
                "%.2f %% (%d of %d)" % (f, dup, rec), rec, abs(f - P) <= s3 and dup > 0)
        elif "corrupt" in p:
            P = pct(p["corrupt"])
            th = P * (1 - 49 / (8 * REPLY_FRAME))
            s3 = 4 * 100 * math.sqrt(th / 100 * (1 - th / 100) / sent)
            row("corrupt (-> loss)", p["corrupt"], "%.2f %% ± %.2f (4 sd)" % (th, s3),
                "%.2f %% lost" % loss, sent, abs(loss - th) <= s3)
        elif "loss" in p:
            P = pct(p["loss"])
            tol = 0.5
            row("loss", p["loss"], "%.2f %% ± %.2f" % (P, tol), "%.2f %%" % loss, sent,
                abs(loss - P) <= tol, "binomial sd %.2f" %
                (100 * math.sqrt(P / 100 * (1 - P / 100) / sent)))
        elif "delay" in p:
            # A fixed delay shifts the whole RTT distribution by d, so the median moves by
            # exactly d; the mean also carries the scheduling spikes of a loaded machine
            # (a ci-fresh run beside builds: baseline mean 2.45 ms, sd 2.42, p50 1.46).
            dp50 = sorted(got)[len(got) // 2]
            row("delay" + (" (ingress, ifb)" if p.get("parent") == "ingress" else ""),
                p["delay"], "p50 %.2f ms (+%.1f)" % (bp50 + d, d),
                "p50 %.2f ms (+%.2f), mean %.2f, sd %.3f" % (dp50, dp50 - bp50, dmean, dsd),
                n, abs(dp50 - bp50 - d) <= 1.0)
    print("| parameter | set | theory | measured | samples | within tolerance | note |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print("| " + " | ".join(str(x) for x in r) + " |")
    if fails:
        print("outside tolerance: " + ", ".join(fails), file=sys.stderr)
        return 1 if args.check else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
