#!/usr/bin/env bash
# bench/kubernetes.sh: roadie's k8s source against the guide's kubectl export, one run.
#
# Starts a private control plane (scripts/test-servers run kube: etcd, kube-apiserver,
# kube-controller-manager; no kubelet) and creates BENCH_OBJECTS objects (default 5,000) across
# BENCH_NAMESPACES namespaces (default 20): per namespace, in the proportions of an application
# namespace, config maps (40%), secrets (20%), headless services (10%), deployments (10%), service
# accounts (10%), roles (5%) and role bindings (5%).
# Measures:
#   1. backup wall time: the guide's export, `kubectl get <every listable namespaced kind> -o yaml`
#      per namespace into one file each, vs `roadie backup k8s --namespace ...` of all of them
#      (a first backup into an empty repository; roadie's time includes its JVM start-up);
#   2. a second backup with nothing changed: the bytes it adds to data/ and index/ (the snapshot
#      file itself aside);
#   3. restore into empty namespaces: `kubectl apply -R -f` of the same objects as YAML files (the
#      backup written out by `roadie restore --target`, namespaces renamed), vs `roadie restore
#      --to-cluster --namespace-mapping` of each namespace into a new one.
# Prints the numbers and PASS/MISS against the goals (backup <= 1.0x kubectl, restore <= 0.5x
# kubectl apply, second backup < 1 KiB), with the load average.
# Environment: BENCH_DIR (default /tmp/roadie-bench-k8s, removed unless KEEP=1), BENCH_OBJECTS,
# BENCH_NAMESPACES. Exit status: 0 if every step worked.
set -euo pipefail

root=$(readlink -f -- "${BASH_SOURCE[0]}")
root=${root%/*/*}
BENCH_DIR=${BENCH_DIR:-/tmp/roadie-bench-k8s}
BENCH_OBJECTS=${BENCH_OBJECTS:-5000}
BENCH_NAMESPACES=${BENCH_NAMESPACES:-20}
KEEP=${KEEP:-0}
roadie=$root/roadie

# shellcheck source=lib.sh
. "$root/bench/lib.sh"

rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR/res"
supervisor=
cleanup() {
  if [[ -n $supervisor ]]; then kill -TERM "$supervisor" 2>/dev/null || true; wait "$supervisor" 2>/dev/null || true; fi
  [ "$KEEP" = 1 ] || rm -rf "$BENCH_DIR"
}
trap cleanup EXIT

log "building the test servers (once per machine) and roadie"
"$root/scripts/test-servers" build kube >&2
kubectl=$("$root/scripts/test-servers" path kubectl)
"$roadie" version >/dev/null

log "starting a private control plane in $BENCH_DIR/kube"
setsid "$root/scripts/test-servers" run kube "$BENCH_DIR/kube" --detached </dev/null >"$BENCH_DIR/kube.log" 2>&1 &
supervisor=$!
for _ in $(seq 600); do [[ -f $BENCH_DIR/kube/env ]] && break; kill -0 "$supervisor" || { cat "$BENCH_DIR/kube.log" >&2; exit 1; }; sleep 0.5; done
export KUBECONFIG=$BENCH_DIR/kube/kubeconfig
k() { "$kubectl" "$@"; }

per_ns=$((BENCH_OBJECTS / BENCH_NAMESPACES))
namespaces=()
for i in $(seq -w 1 "$BENCH_NAMESPACES"); do namespaces+=("bench-$i"); done
log "creating $BENCH_OBJECTS objects in ${#namespaces[@]} namespaces"
python3 - "$BENCH_DIR/objects" "$per_ns" "${namespaces[@]}" <<'EOF'
import os, sys, random
out, per_ns, namespaces = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
os.makedirs(out, exist_ok=True)
random.seed(7)
mix = [("configmap", 0.40), ("secret", 0.20), ("service", 0.10), ("deployment", 0.10),
       ("serviceaccount", 0.10), ("role", 0.05), ("rolebinding", 0.05)]
def doc(kind, ns, i):
    name = f"{kind}-{i:04d}"
    if kind == "configmap":
        data = "\n".join(f"  key{j}: \"{random.getrandbits(64):x}-value-{j}\"" for j in range(8))
        return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: {ns}, labels: {{app: a{i % 7}}}}}\ndata:\n{data}\n"
    if kind == "secret":
        return f"apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: {ns}}}\nstringData: {{password: p{random.getrandbits(64):x}}}\n"
    if kind == "service":
        # headless: the test cluster's service range (a /24) holds fewer addresses than the services
        return (f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {ns}}}\n"
                f"spec: {{clusterIP: None, selector: {{app: a{i % 7}}}, ports: [{{port: 80, targetPort: 8080}}]}}\n")
    if kind == "deployment":
        return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {ns}}}\n"
                f"spec:\n  replicas: 0\n  selector: {{matchLabels: {{app: {name}}}}}\n"
                f"  template:\n    metadata: {{labels: {{app: {name}}}}}\n"
                f"    spec: {{containers: [{{name: app, image: registry.example/app:{i}, env: [{{name: MODE, value: bench}}]}}]}}\n")
    if kind == "serviceaccount":
        return f"apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: {name}, namespace: {ns}}}\n"
    if kind == "role":
        return (f"apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: {name}, namespace: {ns}}}\n"
                f"rules: [{{apiGroups: [\"\"], resources: [configmaps], verbs: [get, list]}}]\n")
    return (f"apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: {name}, namespace: {ns}}}\n"
            f"roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: role-{i:04d}}}\n"
            f"subjects: [{{kind: ServiceAccount, name: serviceaccount-{i:04d}, namespace: {ns}}}]\n")
for ns in namespaces:
    docs = [f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n"]
    for kind, share in mix:
        docs += [doc(kind, ns, i) for i in range(int(per_ns * share))]
    open(os.path.join(out, ns + ".yaml"), "w").write("---\n".join(docs))
EOF
# four namespaces at a time: more makes a loaded two-core machine's API server time out
creates=()
for ns in "${namespaces[@]}"; do
  k create -f "$BENCH_DIR/objects/$ns.yaml" >/dev/null & creates+=($!)
  if (( ${#creates[@]} == 4 )); then for p in "${creates[@]}"; do wait "$p"; done; creates=(); fi
done
for p in "${creates[@]}"; do wait "$p"; done
# the controller manager's own objects (service account, root CA) settle
sleep 5

kinds=$(k api-resources --verbs=list --namespaced -o name | paste -sd, -)
# The guide's export, one namespace after another (a script: measure runs a command, not a function).
mkdir -p "$BENCH_DIR/export"
{
  echo 'set -e'
  for ns in "${namespaces[@]}"; do
    printf '%q get %q -n %q -o yaml >%q\n' "$kubectl" "$kinds" "$ns" "$BENCH_DIR/export/$ns.yaml"
  done
} >"$BENCH_DIR/export.sh"
export ROADIE_REPOSITORY=$BENCH_DIR/repo ROADIE_PASSWORD=bench
"$roadie" init >/dev/null
ns_list=$(IFS=,; echo "${namespaces[*]}")

measure export bash "$BENCH_DIR/export.sh"
measure backup "$roadie" backup k8s --namespace "$ns_list" --json
objects=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(sum(s["source"]["objects"].values()))' "$BENCH_DIR/res/backup.out")
before=$(( $(dusize "$BENCH_DIR/repo/data") + $(dusize "$BENCH_DIR/repo/index") ))
measure backup2 "$roadie" backup k8s --namespace "$ns_list" --json
after=$(( $(dusize "$BENCH_DIR/repo/data") + $(dusize "$BENCH_DIR/repo/index") ))
added2=$((after - before))
snapshot_bytes=$(ls -l "$BENCH_DIR/repo/snapshots"/* | awk '{print $5}' | tail -n 1)

# The same objects as YAML files, into new namespaces, for kubectl apply.
"$roadie" restore latest --target "$BENCH_DIR/files" >/dev/null
mkdir -p "$BENCH_DIR/apply"
for ns in "${namespaces[@]}"; do
  cp -r "$BENCH_DIR/files/$ns" "$BENCH_DIR/apply/$ns"
  sed -i "s/^  namespace: $ns\$/  namespace: k-$ns/" $(find "$BENCH_DIR/apply/$ns" -name '*.yaml')
  sed "s/^  name: $ns\$/  name: k-$ns/" "$BENCH_DIR/files/_cluster/namespaces/$ns.yaml" >"$BENCH_DIR/apply/ns-$ns.yaml"
done
# the namespaces first, then everything
printf 'set -e\n%q apply -f %q >/dev/null\n%q apply -R -f %q >/dev/null\n' "$kubectl" "$BENCH_DIR/apply" \
  "$kubectl" "$BENCH_DIR/apply" >"$BENCH_DIR/apply.sh"
measure apply bash "$BENCH_DIR/apply.sh"
mapping=()
for ns in "${namespaces[@]}"; do mapping+=(--namespace-mapping "$ns:r-$ns"); done
measure restore "$roadie" restore latest --to-cluster "${mapping[@]}" --json
failed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counts"].get("failed", 0))' "$BENCH_DIR/res/restore.out")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v r="$1" -v g="$2" 'BEGIN { print (r <= g ? "PASS" : "MISS") }'; }
rb=$(ratio "$(get backup.s)" "$(get export.s)")
rr=$(ratio "$(get restore.s)" "$(get apply.s)")
echo
echo "kubernetes: $objects objects backed up in ${#namespaces[@]} namespaces, load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
printf '%-44s %10s %10s %8s  %s\n' step kubectl roadie ratio goal
printf '%-44s %9ss %9ss %8s  %s\n' "backup (export every kind per namespace)" "$(get export.s)" "$(get backup.s)" "$rb" "<= 1.0x $(verdict "$rb" 1.0)"
printf '%-44s %9ss %9ss %8s  %s\n' "restore into empty namespaces (apply -f)" "$(get apply.s)" "$(get restore.s)" "$rr" "<= 0.5x $(verdict "$rr" 0.5)"
printf '%-44s %10s %9sB %8s  %s\n' "second backup, nothing changed: data+index" "" "$added2" "" "< 1 KiB $( [[ $added2 -lt 1024 ]] && echo PASS || echo MISS)"
echo "second backup: ${snapshot_bytes} B snapshot file, $(get backup2.s)s; restore: $failed failed; roadie peak RSS backup $(( $(get backup.rss) / 1024 )) MiB, restore $(( $(get restore.rss) / 1024 )) MiB"
[[ $failed == 0 ]]
