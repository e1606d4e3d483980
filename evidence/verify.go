package evidence

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Problem is one way a bundle differs from its manifest.
type Problem struct {
	Path string `json:"path"`
	// Kind is changed, missing, added, duplicate, sums or signature.
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// VerifyReport is the outcome of verifying a bundle.
type VerifyReport struct {
	Problems []Problem `json:"problems"`
	Files    int       `json:"files"`
	// Signed reports whether the bundle carries manifest.sig.
	Signed bool `json:"signed"`
	// SignatureValid is true when the signature verified with KeySource.
	SignatureValid bool `json:"signature_valid"`
	// KeySource is "pubkey" (the key the auditor gave) or "bundle" (the key
	// shipped inside, which proves only that the bundle is self-consistent).
	KeySource      string `json:"key_source,omitempty"`
	KeyFingerprint string `json:"key_fingerprint,omitempty"`
	ManifestSHA256 string `json:"manifest_sha256,omitempty"`
}

// OK reports whether the bundle is intact (and, when a key was required,
// validly signed).
func (r *VerifyReport) OK() bool { return len(r.Problems) == 0 }

// Verify checks every file of the zip at path against its manifest, that
// SHA256SUMS agrees, and the signature. With pubkey set, the bundle must be
// signed by that key; without, a signature is checked with the key shipped
// inside the bundle.
func Verify(path string, pubkey ed25519.PublicKey) (*VerifyReport, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("open bundle %s: %w", path, err)
	}
	defer zr.Close()
	return verifyZip(&zr.Reader, pubkey)
}

func verifyZip(zr *zip.Reader, pubkey ed25519.PublicKey) (*VerifyReport, error) {
	rep := &VerifyReport{}
	contents := map[string][]byte{}
	for _, f := range zr.File {
		if _, dup := contents[f.Name]; dup {
			rep.Problems = append(rep.Problems, Problem{Path: f.Name, Kind: "duplicate", Detail: "the zip holds this name more than once"})
			continue
		}
		data, err := readZipFile(f)
		if err != nil {
			rep.Problems = append(rep.Problems, Problem{Path: f.Name, Kind: "changed", Detail: fmt.Sprintf("entry cannot be read: %v", err)})
			contents[f.Name] = nil
			continue
		}
		contents[f.Name] = data
	}
	mdata, ok := contents[ManifestName]
	if !ok {
		rep.Problems = append(rep.Problems, Problem{Path: ManifestName, Kind: "missing", Detail: "the bundle has no manifest"})
		return rep, nil
	}
	msum := sha256.Sum256(mdata)
	rep.ManifestSHA256 = hex.EncodeToString(msum[:])
	var m Manifest
	if err := json.Unmarshal(mdata, &m); err != nil {
		rep.Problems = append(rep.Problems, Problem{Path: ManifestName, Kind: "changed", Detail: fmt.Sprintf("manifest is not valid JSON: %v", err)})
		return rep, nil
	}

	listed := map[string]bool{}
	for _, mf := range m.Files {
		listed[mf.Path] = true
		data, ok := contents[mf.Path]
		if !ok {
			rep.Problems = append(rep.Problems, Problem{Path: mf.Path, Kind: "missing", Detail: "listed in the manifest but not in the bundle"})
			continue
		}
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != mf.SHA256 {
			rep.Problems = append(rep.Problems, Problem{Path: mf.Path, Kind: "changed", Detail: fmt.Sprintf("SHA-256 %s, manifest says %s", got, mf.SHA256)})
		}
	}
	rep.Files = len(m.Files)
	for name := range contents {
		if listed[name] || name == ManifestName || name == SignatureName || name == SumsName {
			continue
		}
		rep.Problems = append(rep.Problems, Problem{Path: name, Kind: "added", Detail: "in the bundle but not in the manifest"})
	}

	rep.Problems = append(rep.Problems, checkSums(contents, m)...)
	rep.Problems = append(rep.Problems, checkSignature(rep, contents, mdata, pubkey)...)
	sort.Slice(rep.Problems, func(i, j int) bool {
		if rep.Problems[i].Path != rep.Problems[j].Path {
			return rep.Problems[i].Path < rep.Problems[j].Path
		}
		return rep.Problems[i].Kind < rep.Problems[j].Kind
	})
	return rep, nil
}

// checkSums compares SHA256SUMS with the manifest: it must list exactly the
// manifest's files plus manifest.json, with the same hashes.
func checkSums(contents map[string][]byte, m Manifest) []Problem {
	sums, ok := contents[SumsName]
	if !ok {
		return []Problem{{Path: SumsName, Kind: "missing", Detail: "the bundle has no SHA256SUMS"}}
	}
	want := map[string]string{}
	for _, mf := range m.Files {
		want[mf.Path] = mf.SHA256
	}
	msum := sha256.Sum256(contents[ManifestName])
	want[ManifestName] = hex.EncodeToString(msum[:])

	var out []Problem
	got := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(sums))
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		hash, name, ok := strings.Cut(text, "  ")
		if !ok || len(hash) != 64 {
			out = append(out, Problem{Path: SumsName, Kind: "sums", Detail: fmt.Sprintf("line %d is not in sha256sum format", line)})
			continue
		}
		got[name] = hash
	}
	for name, h := range want {
		if g, ok := got[name]; !ok {
			out = append(out, Problem{Path: SumsName, Kind: "sums", Detail: fmt.Sprintf("does not list %s", name)})
		} else if g != h {
			out = append(out, Problem{Path: SumsName, Kind: "sums", Detail: fmt.Sprintf("hash of %s disagrees with the manifest", name)})
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			out = append(out, Problem{Path: SumsName, Kind: "sums", Detail: fmt.Sprintf("lists %s, which the manifest does not", name)})
		}
	}
	return out
}

func checkSignature(rep *VerifyReport, contents map[string][]byte, manifest []byte, pubkey ed25519.PublicKey) []Problem {
	sig, signed := contents[SignatureName]
	rep.Signed = signed
	key := pubkey
	rep.KeySource = "pubkey"
	if key == nil {
		rep.KeySource = "bundle"
		if pemData, ok := contents[PublicKeyName]; ok {
			k, err := ParsePublicKey(pemData)
			if err != nil {
				return []Problem{{Path: PublicKeyName, Kind: "signature", Detail: err.Error()}}
			}
			key = k
		}
	}
	if key != nil {
		rep.KeyFingerprint = Fingerprint(key)
	}
	_, shipsKey := contents[PublicKeyName]
	switch {
	case !signed && shipsKey:
		return []Problem{{Path: SignatureName, Kind: "signature", Detail: "the bundle carries its signer's public key but no signature: manifest.sig was removed"}}
	case !signed && pubkey != nil:
		return []Problem{{Path: SignatureName, Kind: "signature", Detail: "the bundle is not signed, but a public key was given"}}
	case !signed:
		return nil
	case key == nil:
		return []Problem{{Path: SignatureName, Kind: "signature", Detail: "the bundle is signed but carries no public key; verify with --pubkey"}}
	case !ed25519.Verify(key, manifest, sig):
		return []Problem{{Path: SignatureName, Kind: "signature", Detail: fmt.Sprintf("the signature is not valid for key %s", rep.KeyFingerprint)}}
	}
	rep.SignatureValid = true
	return nil
}

func readZipFile(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}
