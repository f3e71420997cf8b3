#!/bin/sh

xmlfile=$(basename "$0" .sh).xml
pcs cluster cib "${xmlfile}"

### Cluster Option
pcs -f "${xmlfile}" property set priority-fencing-delay=10s
pcs -f "${xmlfile}" property set stonith-enabled=true

### Cluster Node
pcs -f "${xmlfile}" node attribute node1 rack=r1
pcs -f "${xmlfile}" node utilization node1 cpu=4
pcs -f "${xmlfile}" node attribute node2 rack=r2
pcs -f "${xmlfile}" node utilization node2 cpu=8

### Resource Defaults
pcs -f "${xmlfile}" resource defaults update resource-stickiness=200
pcs -f "${xmlfile}" resource defaults update migration-threshold=1

### Operation Defaults
pcs -f "${xmlfile}" resource op defaults update record-pending=true

### Primitive Configuration
pcs -f "${xmlfile}" resource create web1 ocf:pacemaker:Dummy \
    fake="a value with spaces" \
    meta target-role="Started" \
    op start timeout=60s interval=0s on-fail=restart \
    monitor timeout=30s interval=10s on-fail=restart \
    stop timeout=60s interval=0s on-fail=block

pcs -f "${xmlfile}" resource utilization web1 cpu=1

### Primitive Configuration
pcs -f "${xmlfile}" resource create web2 ocf:heartbeat:Dummy \
    op monitor timeout=30s on-fail=restart

### Group Configuration
pcs -f "${xmlfile}" resource group add front web1 web2
pcs -f "${xmlfile}" resource meta front "description=web tier"

### Primitive Configuration
pcs -f "${xmlfile}" resource create state ocf:pacemaker:Stateful \
    op monitor timeout=30s interval=10s on-fail=restart role=Unpromoted \
    monitor timeout=30s interval=9s on-fail=restart role=Promoted \
    promote timeout=60s interval=0s on-fail=restart

### Promotable Clone Configuration
pcs -f "${xmlfile}" resource promotable state state-clone
pcs -f "${xmlfile}" resource meta state-clone promoted-max=1 notify=true

### Primitive Configuration
pcs -f "${xmlfile}" resource create back1 ocf:pacemaker:Dummy \
    state="/run/back1.state"

### Group Configuration
pcs -f "${xmlfile}" resource group add back back1

### Clone Configuration
pcs -f "${xmlfile}" resource clone back back-clone
pcs -f "${xmlfile}" resource meta back-clone clone-max=2

### STONITH Configuration
pcs -f "${xmlfile}" stonith create fence1 fence_dummy \
    pcmk_host_list="node1" \
    meta priority="5" \
    op monitor timeout=60s interval=3600s on-fail=restart

### STONITH Configuration
pcs -f "${xmlfile}" stonith create fence2 fence_dummy \
    pcmk_host_list="node2"

### STONITH Level
pcs -f "${xmlfile}" stonith level add 1 node1 fence2 --force
pcs -f "${xmlfile}" stonith level add 2 node1 fence1 --force
pcs -f "${xmlfile}" stonith level add 1 node2 fence2 --force

### Resource Location
pcs -f "${xmlfile}" constraint location fence1 avoids node1=INFINITY
pcs -f "${xmlfile}" constraint location fence2 avoids node2=INFINITY
pcs -f "${xmlfile}" constraint location front prefers node1=100
pcs -f "${xmlfile}" constraint location state-clone rule role=Promoted score=200 "#uname" eq node1
pcs -f "${xmlfile}" constraint location back-clone rule score=-INFINITY not_defined rack or rack ne r1

### Resource Colocation
pcs -f "${xmlfile}" constraint colocation add Started front with Promoted state-clone score=INFINITY

### Resource Order
pcs -f "${xmlfile}" constraint order promote state-clone then start front kind=Mandatory symmetrical=false
pcs -f "${xmlfile}" constraint order back-clone then state-clone kind=Optional

### Alert Configuration
pcs -f "${xmlfile}" alert create path="/usr/share/pacemaker/alerts/alert_file.sh.sample" id=alert_1 \
  meta timeout="10s"
pcs -f "${xmlfile}" alert recipient add alert_1 value=/var/log/pcmk_alert.log \
  options format="\$now\$ node"

### Additional Config
pcs -f "${xmlfile}" resource op defaults update timeout=90s
