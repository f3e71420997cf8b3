// SPDX-License-Identifier: Apache-2.0

package attrd

import "fmt"

// Lifetime says where Pacemaker keeps a node attribute, and so how long it
// lives.
type Lifetime int

const (
	// Reboot attributes live in the CIB status section (written through
	// pacemaker-attrd). They vanish when the node leaves the cluster, which
	// is exactly what the agent wants for <rsc>-status and the promotion
	// score: a node that rebooted must not be promoted on stale claims.
	Reboot Lifetime = iota
	// Forever attributes live in the nodes section of the CIB configuration
	// and survive reboots and cluster restarts. <rsc>-data-status is one:
	// a node marked DISCONNECT must stay unpromotable until someone looks.
	Forever
)

// String returns the value crm_attribute's --lifetime option takes.
func (l Lifetime) String() string {
	switch l {
	case Reboot:
		return "reboot"
	case Forever:
		return "forever"
	default:
		return fmt.Sprintf("Lifetime(%d)", int(l))
	}
}

// valid reports whether l is one of the two lifetimes Pacemaker knows;
// anything else would make crm_attribute fail with an obscure message.
func (l Lifetime) valid() bool { return l == Reboot || l == Forever }
