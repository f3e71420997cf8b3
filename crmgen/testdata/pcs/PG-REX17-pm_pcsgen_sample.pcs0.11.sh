#!/bin/sh

xmlfile=$(basename "$0" .sh).xml
pcs cluster cib "${xmlfile}"

### Cluster Option
pcs -f "${xmlfile}" property set priority-fencing-delay=10s
pcs -f "${xmlfile}" property set node-health-strategy=only-green

### Resource Defaults
pcs -f "${xmlfile}" resource defaults update resource-stickiness=200
pcs -f "${xmlfile}" resource defaults update migration-threshold=1

### Primitive Configuration
pcs -f "${xmlfile}" resource create ipaddr-primary ocf:heartbeat:IPaddr2 \
    ip="{{ ipaddr.ip }}" nic="{{ ipaddr.nic }}" cidr_netmask="{{ ipaddr.cidr_netmask }}" \
    op start timeout=60s on-fail=restart \
    monitor timeout=60s interval=10s on-fail=restart \
    stop timeout=60s on-fail=fence

### Primitive Configuration
pcs -f "${xmlfile}" resource create ipaddr-replication ocf:heartbeat:IPaddr2 \
    ip="{{ ipaddr_replication.ip }}" nic="{{ ipaddr_replication.nic }}" cidr_netmask="{{ ipaddr_replication.cidr_netmask }}" \
    meta migration-threshold="0" \
    op start timeout=60s on-fail=stop \
    monitor timeout=60s interval=10s on-fail=restart \
    stop timeout=60s on-fail=ignore

### Group Configuration
pcs -f "${xmlfile}" resource group add primary-group ipaddr-primary ipaddr-replication

### Primitive Configuration
pcs -f "${xmlfile}" resource create ipaddr-standby ocf:heartbeat:IPaddr2 \
    ip="{{ ipaddr_standby.ip }}" nic="{{ ipaddr_standby.nic }}" cidr_netmask="{{ ipaddr_standby.cidr_netmask }}" \
    meta resource-stickiness="1" \
    op start timeout=60s on-fail=restart \
    monitor timeout=60s interval=10s on-fail=restart \
    stop timeout=60s on-fail=fence

### Primitive Configuration
pcs -f "${xmlfile}" resource create pgsql ocf:linuxhajp:pgsql \
    pgctl="{{ pgsql.pgctl }}" psql="{{ pgsql.psql }}" pgdata="{{ pgsql.pgdata }}" pgdba="postgres" pgport="{{ pgsql.pgport }}" pgdb="template1" rep_mode="sync" node_list="{{ groups.hacluster[0] }} {{ groups.hacluster[1] }}" master_ip="{{ ipaddr_replication.ip }}" restore_command="/bin/cp /dbfp/pgarch/arc1/%f %p" repuser="repuser" primary_conninfo_opt="keepalives_idle=60 keepalives_interval=5 keepalives_count=5" stop_escalate="0" xlog_check_count="0" \
    op start timeout=300s interval=0s on-fail=restart \
    monitor timeout=60s interval=10s on-fail=restart \
    monitor timeout=60s interval=9s on-fail=restart role=Promoted \
    promote timeout=300s interval=0s on-fail=restart \
    demote timeout=60s interval=0s on-fail=fence \
    notify timeout=60s interval=0s \
    stop timeout=60s interval=0s on-fail=fence

### Promotable Clone Configuration
pcs -f "${xmlfile}" resource promotable pgsql pgsql-clone
pcs -f "${xmlfile}" resource meta pgsql-clone promoted-max=1 promoted-node-max=1 clone-max=2 clone-node-max=1 notify=true priority=1

### Primitive Configuration
pcs -f "${xmlfile}" resource create ping ocf:pacemaker:ping \
    name="ping-status" host_list="{{ ping.host_list }}" attempts="2" timeout="2" debug="true" \
    op start timeout=60s on-fail=restart \
    monitor timeout=60s interval=10s on-fail=restart \
    stop timeout=60s on-fail=fence

### Clone Configuration
pcs -f "${xmlfile}" resource clone ping ping-clone

### Primitive Configuration
pcs -f "${xmlfile}" resource create storage-mon ocf:heartbeat:storage-mon \
    drives="{{ storage_mon.drives }}" io_timeout="10" \
    op start timeout=120s on-fail=restart \
    monitor timeout=120s interval=10s on-fail=restart \
    stop timeout=120s on-fail=fence

### Clone Configuration
pcs -f "${xmlfile}" resource clone storage-mon storage-mon-clone

### STONITH Configuration
pcs -f "${xmlfile}" stonith create fence1-ipmilan fence_ipmilan \
    pcmk_host_list="{{ groups.hacluster_vbmc[0] }}" ip="{{ hostvars[groups.hacluster_vbmc[0]].IPMI_IP }}" username="{{ hostvars[groups.hacluster_vbmc[0]].IPMI_USER }}" password="{{ hostvars[groups.hacluster_vbmc[0]].IPMI_PASS }}" lanplus="1" \
    op start timeout=60s on-fail=restart \
    monitor timeout=60s interval=3600s on-fail=restart \
    stop timeout=60s on-fail=ignore

### STONITH Configuration
pcs -f "${xmlfile}" stonith create fence2-ipmilan fence_ipmilan \
    pcmk_host_list="{{ groups.hacluster_vbmc[1] }}" ip="{{ hostvars[groups.hacluster_vbmc[1]].IPMI_IP }}" username="{{ hostvars[groups.hacluster_vbmc[1]].IPMI_USER }}" password="{{ hostvars[groups.hacluster_vbmc[1]].IPMI_PASS }}" lanplus="1" \
    op start timeout=60s on-fail=restart \
    monitor timeout=60s interval=3600s on-fail=restart \
    stop timeout=60s on-fail=ignore

### Resource Location
pcs -f "${xmlfile}" constraint location fence1-ipmilan avoids "{{ groups.hacluster[0] }}=INFINITY"
pcs -f "${xmlfile}" constraint location fence2-ipmilan avoids "{{ groups.hacluster[1] }}=INFINITY"
pcs -f "${xmlfile}" constraint location ipaddr-standby rule score=200 pgsql-status eq HS:sync
pcs -f "${xmlfile}" constraint location ipaddr-standby rule score=100 pgsql-status eq PRI
pcs -f "${xmlfile}" constraint location ipaddr-standby rule score=-INFINITY not_defined pgsql-status
pcs -f "${xmlfile}" constraint location ipaddr-standby rule score=-INFINITY pgsql-status ne HS:sync and pgsql-status ne PRI
pcs -f "${xmlfile}" constraint location pgsql-clone rule score=-INFINITY ping-status lt 1 or not_defined ping-status or not_defined "#health-storage-mon"

### Resource Colocation
pcs -f "${xmlfile}" constraint colocation add pgsql-clone with ping-clone score=INFINITY
pcs -f "${xmlfile}" constraint colocation add pgsql-clone with storage-mon-clone score=INFINITY
pcs -f "${xmlfile}" constraint colocation add primary-group with Promoted pgsql-clone score=INFINITY

### Resource Order
pcs -f "${xmlfile}" constraint order ping-clone then pgsql-clone symmetrical=false
pcs -f "${xmlfile}" constraint order storage-mon-clone then pgsql-clone symmetrical=false
pcs -f "${xmlfile}" constraint order promote pgsql-clone then start primary-group symmetrical=false
pcs -f "${xmlfile}" constraint order demote pgsql-clone then stop primary-group kind=Optional symmetrical=false
