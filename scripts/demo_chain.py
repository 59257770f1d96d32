#!/usr/bin/env python3
"""Generates a chain's folder of daily reports (schema 2, as tills put them
through the gateway) and prints `pos-recs stats --chain` over it: the
README's and docs/chain.md's example output.

Usage: scripts/demo_chain.py [--stores N] [--tills-per-store N] [--days N]
                             [--bin PATH] [--keep DIR] [-- stats args…]
"""
import argparse, json, os, random, subprocess, sys, tempfile, time

SOURCES = {1244: "Also bought", 1245: "Bestsellers", 1246: "Personal", 1247: "You may also like"}
STORES = ["kyiv-01", "kyiv-02", "lviv-01", "odesa-01", "dnipro-01"]


def report(store, till, day, rng, made_at):
    sources, lines, revenue = [], 0, 0.0
    for sid, title in SOURCES.items():
        lookups = rng.randint(30, 60)
        answered = lookups - rng.randint(0, 2)
        shown = answered * rng.randint(3, 5)
        sell = {1244: 0.05, 1245: 0.02, 1246: 0.04, 1247: 0.03}[sid]
        bought = sum(rng.random() < sell for _ in range(shown))
        rev = round(sum(rng.uniform(80, 900) for _ in range(bought)), 2)
        lines += bought
        revenue += rev
        sources.append({
            "source_id": sid, "lookups": lookups, "answered": answered, "shown": shown,
            "opened": rng.randint(2, 9), "to_customer": rng.randint(0, 3), "added": rng.randint(1, 5),
            "bought_lines": bought, "bought_quantity": float(bought), "revenue": rev,
            "bought_after_click": bought // 2,
        })
    groups = []
    for group, n, mean in (("shown", rng.randint(40, 60), 1030.0), ("holdout", rng.randint(4, 8), 960.0)):
        values = [max(20.0, rng.gauss(mean, 380.0)) for _ in range(n)]
        groups.append({
            "period": "10%-3f2a", "group": group, "sales": n, "priced_sales": n,
            "value_sum": sum(values), "value_squares": sum(v * v for v in values),
            "items_sum": 3.0 * n, "items_squares": 10.0 * n,
        })
    return {
        "schema": 2, "app_version": "0.1.0", "store": store, "till": till, "made_at": made_at,
        "titles": {str(k): v for k, v in SOURCES.items()}, "day": day,
        "lookups": sources[0]["lookups"], "sources": sources,
        "sales": sum(g["sales"] for g in groups), "recommended_lines": lines,
        "recommended_revenue": round(revenue, 2), "groups": groups,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stores", type=int, default=3)
    ap.add_argument("--tills-per-store", type=int, default=4)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--bin", default="target/release/pos-recs")
    ap.add_argument("--keep")
    ap.add_argument("stats", nargs="*")
    args = ap.parse_args()
    rng = random.Random(26)
    folder = args.keep or tempfile.mkdtemp(prefix="chain-")
    now = int(time.time())
    for s in STORES[: args.stores]:
        for t in range(1, args.tills_per_store + 1):
            till = f"{s}-till-{t}"
            os.makedirs(os.path.join(folder, s, till), exist_ok=True)
            for d in range(args.days):
                day = time.strftime("%Y-%m-%d", time.gmtime(now - d * 86400))
                with open(os.path.join(folder, s, till, f"{day}.json"), "w") as f:
                    json.dump(report(s, till, day, rng, now), f)
    cmd = [args.bin, "stats", "--days", str(args.days), "--chain", folder] + args.stats
    print("$ pos-recs " + " ".join(cmd[1:]).replace(folder, "reports/"), flush=True)
    sys.exit(subprocess.call(cmd))


if __name__ == "__main__":
    main()
