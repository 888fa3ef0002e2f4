#!/usr/bin/env bash
# The long versions of the reliability (fault) tests, and the soak. RELIABILITY.md lists what each
# checks and the figures of the last runs; this script prints them (each module's tests write
# <module>/target/reliability-results.md: the process-level faults are in dist, the in-JVM ones in core).
#
#   scripts/reliability.sh            # faults, long versions (~35 min), the 10-minute soak, the churn
#   scripts/reliability.sh faults     # faults only
#   scripts/reliability.sh soak       # soak only
#   scripts/reliability.sh churn      # fleet churn only: 10,000 devices coming and going for 30 min
#   scripts/reliability.sh short      # the short versions the build runs (~13 min)
#
# Long versions: Kafka down for 30 s (build: 10 s); 3x the messages of the crash test and 3x the
# downlink time around the router kill; 3 rounds of rolling restarts (build: 1); and the fault tests
# tagged "reliability" that the build leaves out (Maven profile -Preliability): the replicated Kafka's
# active controller killed and its rolling restart, a split brain, one instance cut off from Kafka,
# lossy device links. Soak: 10 minutes (RELIABILITY_SOAK_MINUTES) of mixed load at half the capacity
# it measures first. Churn: FleetChurnIT for RELIABILITY_CHURN_MINUTES (default 30; at least 3)
# with RELIABILITY_CHURN_DEVICES (default 10,000) devices; each device holds one socket in the test JVM
# and one in the bridge, so the script raises the open-file limit to the hard limit first.
# Needs Java 17, Maven; everything it starts stops by itself (child JVMs run under `timeout -s KILL`).
# The network faults need root, iproute2 and iptables (network namespaces, veth pairs, iptables rules
# inside those namespaces only, all deleted again); without them they fail here
# (-Dnetfaults.required=true) rather than skip.
set -euo pipefail
cd "$(dirname "$0")/.."

what="${1:-all}"
soak_minutes="${RELIABILITY_SOAK_MINUTES:-10}"
churn_minutes="${RELIABILITY_CHURN_MINUTES:-30}"
churn_devices="${RELIABILITY_CHURN_DEVICES:-10000}"
faults='*Fault*IT,SlowConsumerIT'
case "$what" in
  all)    tests="$faults,ReliabilitySoak,FleetChurnIT"; long=true ;;
  faults) tests="$faults"; long=true ;;
  soak)   tests="ReliabilitySoak"; long=true ;;
  churn)  tests="FleetChurnIT"; long=true ;;
  short)  tests="$faults"; long=false ;;
  *) echo "usage: $0 [all|faults|soak|churn|short]" >&2; exit 2 ;;
esac

props=()
if [ "$long" = true ]; then
  props=(-Preliability -Dreliability.outageSeconds=30 -Dreliability.scale=3 -Dreliability.soakMinutes="$soak_minutes"
    -Dchurn.minutes="$churn_minutes" -Dchurn.devices="$churn_devices")
fi
props+=(-Dnetfaults.required=true)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

rm -f ./*/target/reliability-results.md
mvn -B -DskipTests package
start=$(date +%s)
mvn -B verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false -Dit.test="$tests" \
  -Dfailsafe.failIfNoSpecifiedTests=false "${props[@]}"
echo
echo "Reliability runs ($(date -u +%Y-%m-%d), $(( $(date +%s) - start )) s):"
echo "| fault | sent | acknowledged | found in Kafka | lost | duplicated | recovery | detail | run |"
echo "|---|---|---|---|---|---|---|---|---|"
cat ./*/target/reliability-results.md
