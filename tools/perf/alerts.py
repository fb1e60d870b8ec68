#!/usr/bin/env python3
"""The alert fan-out of BENCHMARKS.md: one publication against N saved searches.

Against a running server (URL), with USERS member accounts already made (alert1@… to
alertUSERS@…, password alert-bench-2026) and the server started with
HARBOR_MAX_SAVED_SEARCHES ≥ N / USERS: publishes ROUNDS items with no saved search (the
baseline), saves N searches (queries from the load generator's mix, half with a country
filter), then publishes ROUNDS items again. For each publication: how long its mutation took,
and how long until the server reports it matched (`infoharbor_alert_publications_total`).

    tools/perf/alerts.py http://127.0.0.1:18183 10 10000 5 [distinct]

With `distinct`, every query gets a word of its own, so no two searches ask the same.
"""
import json, random, statistics, sys, threading, time, urllib.request

base, users, searches, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
DISTINCT = len(sys.argv) > 5 and sys.argv[5] == "distinct"
QUERIES = ["market", "investment partner", "cold chain logistics", "digital economy", "rice export",
           "port", "smart city platform", "payment", "solar energy", "cross-border e-commerce",
           "data centre", "training programme", "数字经济", "港口", "冷链", "跨境电商", "人工智能",
           "เศรษฐกิจดิจิทัล", "โลจิสติกส์", "kinh tế số", "thương mại điện tử", "ekonomi digital",
           "logistik", "pembayaran digital", "cloud", "fintech", "agritech", "e-invoicing", ""]
COUNTRIES = ["VN", "TH", "ID", "MY", "SG", "PH", "KH", "LA", "MM", "BN", "CN"]

def gql(query, variables=None, token=None):
    request = urllib.request.Request(base + "/graphql", data=json.dumps({"query": query, "variables": variables or {}}).encode(),
                                     headers={"content-type": "application/json", **({"authorization": "Bearer " + token} if token else {})})
    with urllib.request.urlopen(request) as response:
        answer = json.loads(response.read())
    if answer.get("errors"):
        raise RuntimeError(answer["errors"])
    return answer["data"]

def login(email, password):
    return gql("mutation($e:String!,$p:String!){login(email:$e,password:$p){accessToken}}", {"e": email, "p": password})["login"]["accessToken"]

def matched():
    with urllib.request.urlopen(base + "/metrics") as response:
        for line in response.read().decode().splitlines():
            if line.startswith("infoharbor_alert_publications_total "):
                return int(line.split()[1])
    raise RuntimeError("no alert counter")

writer = login("correspondent@demo.infoharbor.example", "demo-correspondent-2026")

def publish_rounds(label):
    publish_ms, deliver_ms = [], []
    for round_number in range(rounds):
        before = matched()
        started = time.perf_counter()
        gql("mutation($i:OpportunityInput!){createOpportunity(input:$i, publish:true){id}}", {"i": {
            "content": {"title": f"Cloud payments and cold chain logistics platform {label} {round_number} {random.random()}",
                        "summary": "A digital economy investment partner for cross-border e-commerce.",
                        "body": "Smart city platform, data centre and payment services for the digital economy in Viet Nam.",
                        "language": "en", "countries": ["VN"], "sectors": ["0505"]},
            "opportunityType": "INVESTMENT"}}, writer)
        returned = time.perf_counter()
        while matched() <= before:
            time.sleep(0.002)
        done = time.perf_counter()
        publish_ms.append((returned - started) * 1000)
        deliver_ms.append((done - started) * 1000)
    print(f"{label}: publish median {statistics.median(publish_ms):.1f} ms (max {max(publish_ms):.1f}); "
          f"matched and alerted median {statistics.median(deliver_ms):.1f} ms (max {max(deliver_ms):.1f}) after the mutation began")

publish_rounds("no saved searches")
tokens = [login(f"alert{n}@example.org", "alert-bench-2026") for n in range(1, users + 1)]
per_user = searches // users
def save_all(token, worker):
    rng = random.Random(worker)
    for n in range(per_user):
        query = rng.choice(QUERIES)
        if DISTINCT:
            # Every search a question of its own: the worst case, which no sharing helps.
            query = f"{query} w{worker}n{n}".strip()
        variables = {"name": f"search {worker}-{n}", "query": query or None,
                     "filter": {"countries": [rng.choice(COUNTRIES)]} if n % 2 else None}
        gql("mutation($name:String!,$query:String,$filter:SearchFilter){saveSearch(name:$name,query:$query,filter:$filter){id}}", variables, token)
started = time.perf_counter()
threads = [threading.Thread(target=save_all, args=(token, worker)) for worker, token in enumerate(tokens)]
[thread.start() for thread in threads]; [thread.join() for thread in threads]
print(f"saved {per_user * users} searches in {time.perf_counter() - started:.1f} s")
publish_rounds(f"{per_user * users} saved searches")
