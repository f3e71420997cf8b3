// SPDX-License-Identifier: Apache-2.0

package crmgen

// pm_crmgen wrote the attributes of an "op" line in the iteration order of
// a CPython 2.7 dict keyed by the O sub-table's column names. That order
// is visible in every generated file (e.g. "interval" before "timeout"
// although the sheet has timeout first), so reproducing it byte for byte
// means replaying CPython 2.7's string hash and open-addressing table. The
// emulation below was checked against a real Python 2.7 on hundreds of
// random column sets.

// pyHash is CPython 2.7's hash of a (unicode) string on a 64-bit build
// with hash randomisation off, which is the default.
func pyHash(s string) int64 {
	r := []rune(s)
	if len(r) == 0 {
		return 0
	}
	x := uint64(r[0]) << 7
	for _, c := range r {
		x = (1000003 * x) ^ uint64(c)
	}
	x ^= uint64(len(r))
	h := int64(x)
	if h == -1 {
		h = -2
	}
	return h
}

const pyPerturbShift = 5

type pyEntry struct {
	key  string
	hash int64
	used bool
}

// pyDictOrder returns the iteration order of a dict built by inserting
// keys (distinct) in the given order.
func pyDictOrder(keys []string) []string {
	table := make([]pyEntry, 8)
	used := 0
	insert := func(t []pyEntry, key string, h int64) {
		mask := uint64(len(t) - 1)
		i := uint64(h) & mask
		perturb := uint64(h)
		for t[i&mask].used {
			i = (i << 2) + i + perturb + 1
			perturb >>= pyPerturbShift
		}
		t[i&mask] = pyEntry{key: key, hash: h, used: true}
	}
	for _, k := range keys {
		insert(table, k, pyHash(k))
		used++
		// Without deletions "fill" equals "used"; resize when two thirds
		// full, to the smallest power of two above 4×used.
		if used*3 >= len(table)*2 {
			size := 8
			for size <= 4*used {
				size <<= 1
			}
			bigger := make([]pyEntry, size)
			for _, e := range table {
				if e.used {
					insert(bigger, e.key, e.hash)
				}
			}
			table = bigger
		}
	}
	out := make([]string, 0, len(keys))
	for _, e := range table {
		if e.used {
			out = append(out, e.key)
		}
	}
	return out
}

// opAttributeOrder gives the order of the op attributes for an O
// sub-table whose header names the given columns (in column order,
// "type" included); "type" itself is the op name, not an attribute.
func opAttributeOrder(names []string) []string {
	var out []string
	for _, k := range pyDictOrder(names) {
		if k != "type" {
			out = append(out, k)
		}
	}
	return out
}
