#!/usr/bin/env python3
"""Cross-node lag of BENCHMARKS.md: how long after a write returns on node A node B has
applied it, under a write load.

Starts NODES release nodes (`target/release/infoharbor`, or $INFOHARBOR_BINARY) on a fresh
PostgreSQL database ($POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test names the
server), each with its own data dir; WRITERS threads create and publish items through node A
(a trusted correspondent, `createOpportunity(publish: true)`) for SECONDS; a prober reads
`infoharbor_change_log_applied_seq` from every other node's /metrics every 2 ms. After the run,
each write's change-log number is read from the database, and its lag on a node is the first
probe at which that node had applied every entry up to it, minus the moment its mutation
returned on A. The applied point is contiguous (every entry up to it is in the index), so the
figure is an upper bound on "searchable", give or take the probe's 2 ms.

    tools/perf/cluster-lag.py [WRITERS=8] [SECONDS=20] [NODES=2]

Prints throughput, and per follower node the lag's p50, p90, p99 and max in milliseconds (a
write applied on the follower before A answered counts as 0, and their share is printed).
With NO_NOTIFY=1 the change log's notification trigger is dropped before the load: the nodes
then learn of each other's writes only by polling (the baseline of the same run).
"""
import json, os, re, shutil, statistics, subprocess, sys, tempfile, threading, time, urllib.request, uuid

WRITERS = int(sys.argv[1]) if len(sys.argv) > 1 else 8
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 20
NODES = int(sys.argv[3]) if len(sys.argv) > 3 else 2
BINARY = os.environ.get("INFOHARBOR_BINARY", "target/release/infoharbor")
SERVER = os.environ.get("POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
PASSWORD = "cluster-lag-password"

database = "ih_cli_lag_" + uuid.uuid4().hex[:8]
url = SERVER.rsplit("/", 1)[0] + "/" + database
work = tempfile.mkdtemp(prefix="ih-lag-")
processes = []


def psql(sql, target=SERVER):
    return subprocess.run(["psql", target, "-Atqc", sql], check=True, capture_output=True, text=True).stdout


def environment():
    env = dict(os.environ, DATABASE_URL=url, RUST_LOG="warn,api::cli=info")
    env.pop("HARBOR_JWT_SECRET", None)
    return env


def start_node(index):
    process = subprocess.Popen([BINARY, "--data-dir", f"{work}/node{index}", "serve", "--bind", "127.0.0.1:0"],
                               env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    processes.append(process)
    for line in process.stderr:
        found = re.search(r"address=(\S+)", line)
        if found:
            threading.Thread(target=lambda: [None for _ in process.stderr], daemon=True).start()
            return "http://" + found.group(1)
    raise RuntimeError("a node did not start")


def wait_ready(base):
    while True:
        try:
            with urllib.request.urlopen(base + "/readyz") as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)


def gql(base, query, variables=None, token=None):
    request = urllib.request.Request(base + "/graphql", data=json.dumps({"query": query, "variables": variables or {}}).encode(),
                                     headers={"content-type": "application/json", **({"authorization": "Bearer " + token} if token else {})})
    with urllib.request.urlopen(request) as response:
        answer = json.loads(response.read())
    if answer.get("errors"):
        raise RuntimeError(answer["errors"])
    return answer["data"]


def applied(base):
    with urllib.request.urlopen(base + "/metrics") as response:
        for line in response.read().decode().splitlines():
            if line.startswith("infoharbor_change_log_applied_seq "):
                return int(float(line.split()[1]))
    raise RuntimeError("no applied_seq gauge")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


try:
    psql(f"CREATE DATABASE {database}")
    subprocess.run([BINARY, "--data-dir", f"{work}/admin", "user", "add", "--email", "lag@example.org", "--role", "correspondent",
                    "--trusted", "--countries", "VN", "--sectors", "05"], input=PASSWORD, text=True, env=environment(),
                   check=True, capture_output=True)
    bases = [start_node(index) for index in range(NODES)]
    for base in bases:
        wait_ready(base)
    if os.environ.get("NO_NOTIFY") == "1":
        psql("DROP TRIGGER change_log_notify ON change_log", url)
    token = gql(bases[0], "mutation($e:String!,$p:String!){login(email:$e,password:$p){accessToken}}",
                {"e": "lag@example.org", "p": PASSWORD})["login"]["accessToken"]
    returned = {}  # item id -> when its mutation returned
    probes = {base: [] for base in bases[1:]}  # (time, applied) per follower
    stop = threading.Event()

    def write():
        while not stop.is_set():
            word = uuid.uuid4().hex[:12]
            item = {"content": {"title": f"Cluster lag {word}", "summary": "A write under load.", "body": "Body " * 60,
                                "language": "en", "countries": ["VN"], "sectors": ["0505"], "visibility": "PUBLIC"},
                    "opportunityType": "INVESTMENT", "deadline": "2030-06-30"}
            created = gql(bases[0], "mutation($i:OpportunityInput!){createOpportunity(input:$i,publish:true){id}}", {"i": item}, token)
            returned[created["createOpportunity"]["id"]] = time.monotonic()

    def probe(base):
        while not stop.is_set():
            probes[base].append((time.monotonic(), applied(base)))
            time.sleep(0.002)

    threads = [threading.Thread(target=write) for _ in range(WRITERS)] + [threading.Thread(target=probe, args=(base,)) for base in probes]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(SECONDS)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    # The last writes may land after the probes stopped: probe once more until caught up.
    head = int(psql("SELECT max(seq) FROM change_log", url))
    for base in probes:
        while probes[base][-1][1] < head:
            probes[base].append((time.monotonic(), applied(base)))
            time.sleep(0.002)
    # Global ids are base64 of "Kind:uuid"; the change log holds the uuid.
    import base64
    def key_of(global_id):
        text = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
        return text.split(":", 1)[1]
    seq_of = dict(line.split("|") for line in psql("SELECT content_id, seq FROM change_log WHERE operation = 'CREATED'", url).split())
    print(f"{len(returned)} items in {elapsed:.1f} s through node A: {len(returned) / elapsed:.0f} published items/s with {WRITERS} writers")
    for base, series in probes.items():
        lags = []
        for item, at in returned.items():
            seq = int(seq_of[key_of(item)])
            first = next(when for when, point in series if point >= seq)
            lags.append(max(0.0, first - at) * 1000)
        early = sum(1 for lag in lags if lag == 0) / len(lags)
        print(f"node {bases.index(base) + 1} lag behind A, ms: p50 {percentile(lags, 0.5):.1f}  p90 {percentile(lags, 0.9):.1f}  "
              f"p99 {percentile(lags, 0.99):.1f}  max {max(lags):.1f}  (mean {statistics.mean(lags):.1f}, {len(lags)} writes, "
              f"{early:.0%} applied before A answered)")
finally:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait()
    try:
        psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    except subprocess.CalledProcessError:
        pass
    shutil.rmtree(work, ignore_errors=True)
