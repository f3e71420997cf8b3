// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"net/netip"
	"testing"
)

func TestPeerFromDLAN(t *testing.T) {
	a, b := netip.MustParseAddr("192.0.2.71"), netip.MustParseAddr("192.0.2.72")
	for _, tt := range []struct {
		local []netip.Addr
		want  string
	}{
		{[]netip.Addr{a}, "192.0.2.72"}, {[]netip.Addr{b, netip.MustParseAddr("10.0.0.1")}, "192.0.2.71"},
		{nil, ""}, {[]netip.Addr{a, b}, ""},
	} {
		if got := peerFromDLAN([]netip.Addr{a, b}, tt.local); got != tt.want {
			t.Errorf("local %v: %q, want %q", tt.local, got, tt.want)
		}
	}
}
