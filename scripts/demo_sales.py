#!/usr/bin/env python3
"""Fills a demo till's history with made-up sales, for the What works page
and the README's screenshot: starts `pos-recs demo-server` and `pos-recs
serve` (comparison group 20 %), then drives the till's POS link as a POS
would: a customer, their recommendations, and a sale that sometimes buys
what was recommended. Prints `pos-recs stats` at the end.

    scripts/demo_sales.py [--sales 300] [--days 14] [--bin target/release/pos-recs] [--keep DIR]

With --days N (default 14) the made-up history is then spread over the last
N days (its timestamps moved in the file), so the daily trend has a shape.
"""
import argparse, json, os, random, socket, sqlite3, subprocess, sys, tempfile, time, urllib.request

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def wait_for(port, deadline=10):
    end = time.time() + deadline
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on {port}")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sales", type=int, default=300)
    ap.add_argument("--bin", default="target/release/pos-recs")
    ap.add_argument("--days", type=int, default=14, help="spread the sales over this many days (1: all today)")
    ap.add_argument("--keep", help="folder for the config and the history (default: a temporary one)")
    args = ap.parse_args()
    home = args.keep or tempfile.mkdtemp(prefix="pos-recs-demo-sales-")
    os.makedirs(home, exist_ok=True)
    shop_port, link_port, token = free_port(), free_port(), "demo-sales-token-0123456789"
    history = os.path.join(home, "history.sqlite3")
    config = os.path.join(home, "config.toml")
    # The demo shop's own sources and titles (assets/demo/sources.json).
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "assets", "demo", "sources.json")) as f:
        demo = [d for d in json.load(f) if d.get("enabled", True)]
    sources = "".join(f"[[sources]]\nid = {d['id']}\ntitle = {json.dumps(d['title'])}\nmax_cards = 6\n"
                      for d in demo)
    with open(config, "w") as f:
        f.write(f'[yespo]\nbase_url = "http://127.0.0.1:{shop_port}/api"\napi_key = "demo"\n'
                f'[history]\npath = "{history}"\n[experiment]\nholdout_percent = 20\n'
                f'[integration]\nlisten = "127.0.0.1:{link_port}"\ntoken = "{token}"\n{sources}')
    os.chmod(config, 0o600)
    shop = subprocess.Popen([args.bin, "demo-server", "--port", str(shop_port)], stdout=subprocess.DEVNULL)
    till = subprocess.Popen([args.bin, "serve", "--config", config], stderr=subprocess.DEVNULL)
    try:
        wait_for(shop_port); wait_for(link_port)
        base = f"http://127.0.0.1:{link_port}/v1"
        def call(method, path, body=None):
            req = urllib.request.Request(base + path, method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Authorization": f"Bearer {token}",
                                                  "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    return json.load(r)
            except urllib.error.HTTPError as e:
                return {"status": e.code}
        rng = random.Random(7)
        shelf = [f"SKU-{n}" for n in range(2000, 2100)]
        for n in range(args.sales):
            call("POST", "/customer", {"phone": f"067{rng.randrange(10**7):07d}"})
            doc = {}
            for _ in range(100):
                doc = call("GET", "/recommendations")
                if not any(s.get("status") == "pending" for s in doc.get("sources", [])):
                    break
                time.sleep(0.01)
            offered = [p for s in doc.get("sources", []) for p in s.get("products", [])]
            lines = [{"product": rng.choice(shelf), "quantity": rng.randint(1, 3),
                      "price": float(rng.randrange(50, 900))} for _ in range(rng.randint(1, 4))]
            for p in offered:
                if rng.random() < 0.03:
                    lines.append({"product": p["id"], "quantity": 1, "price": float(p.get("price") or 300)})
            call("POST", "/sale", {"lines": lines})
        till.terminate(); till.wait(10)
        if args.days > 1:
            # Each lookup's events and each sale go back a whole number of
            # days, the same for a sale and the lookup before it.
            db = sqlite3.connect(history)
            day = lambda n: (n * 7919) % args.days * 86400
            db.create_function("back", 1, day)
            db.execute("UPDATE sales SET at = at - back(id)")
            db.execute("""UPDATE events SET at = at - back(
                (SELECT COUNT(*) FROM events e WHERE e.kind = 'lookup' AND e.rowid <= events.rowid))""")
            db.commit(); db.close()
        subprocess.run([args.bin, "stats", "--config", config])
        print(f"\nhistory: {history}", file=sys.stderr)
    finally:
        for p in (till, shop):
            if p.poll() is None:
                p.kill()

if __name__ == "__main__":
    main()
