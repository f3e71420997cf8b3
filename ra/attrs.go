// SPDX-License-Identifier: Apache-2.0

package ra

// AttrStore is the node-attribute store the replication modes use
// (attrd.CRM in production, attrd.Fake in unit tests).
type AttrStore interface{}
