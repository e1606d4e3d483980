package oscal

import (
	"crypto/sha1"
	"fmt"
)

// namespace is the fixed name-space UUID from which every document's UUIDs
// are derived (RFC 9562 section 5.5); it identifies auditpack's OSCAL output.
var namespace = [16]byte{0x6f, 0x2b, 0x1c, 0x4e, 0x8a, 0x31, 0x5d, 0x02, 0x9e, 0x47, 0xc3, 0x18, 0x5a, 0x60, 0xd7, 0x9b}

// uuidV5 derives a name-based (version 5, SHA-1) UUID of name in ns, so the
// same run and content always get the same UUIDs.
func uuidV5(ns [16]byte, name string) [16]byte {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = (u[6] & 0x0f) | 0x50
	u[8] = (u[8] & 0x3f) | 0x80
	return u
}

func formatUUID(u [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// ids hands out the UUIDs of one run: each is a version 5 UUID of a kind and
// a name inside the run's own name space.
type ids struct{ run [16]byte }

func newIDs(runID string) ids { return ids{run: uuidV5(namespace, "run:"+runID)} }

func (i ids) of(kind, name string) string { return formatUUID(uuidV5(i.run, kind+":"+name)) }
